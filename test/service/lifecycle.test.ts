import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rotateKey, setAcceptance } from '../../agent/credentials.ts'
import { eventually, startTestVigil, type TestVigil } from '../helpers/vigil.ts'

const test = suite('server lifecycle')
let t: TestVigil

test.before(async () => {
  t = await startTestVigil()
})
test.after(async () => {
  await t.close()
})

const refusals = (code: string) => t.vigil.metrics.value('vigil_refusals_total', { code })
const raised = () => t.vigil.metrics.value('vigil_events_total', { type: 'conditionRaised' })

test("rotates a server's key without losing messages sealed with the old one", async () => {
  const site = await t.site()
  const credentials = await site.enroll()
  const agent = await site.agent(credentials)
  const before = raised()

  const rotated = await rotateKey(t.vigil.httpUrl, credentials)
  assert.is(rotated.keyId, 'k2')
  assert.is.not(rotated.key, credentials.key)

  await agent.setConditions([{ kind: 'drive-full', subject: 'D:' }])
  agent.useCredentials(rotated)
  await agent.setConditions([
    { kind: 'drive-full', subject: 'D:' },
    { kind: 'drive-full', subject: 'E:' },
  ])
  await eventually(() => assert.is(raised() - before, 2))
  assert.is(refusals('decrypt.unknown-key') + refusals('decrypt.failed'), 0)
})

test('removing a server releases its state and refuses it from then on', async () => {
  const site = await t.site()
  const credentials = await site.enroll()
  const agent = await site.agent(credentials, { backoff: { initialMs: 20, maxMs: 50 } })
  const beats = t.vigil.metrics.value('vigil_events_total', { type: 'heartbeatReceived' })
  await agent.heartbeat()
  await eventually(() =>
    assert.ok(t.vigil.metrics.value('vigil_events_total', { type: 'heartbeatReceived' }) > beats),
  )
  const tracked = t.vigil.pipeline.trackedServers

  const res = await t.api(`/api/operator/servers/${credentials.serverId}`, {
    method: 'DELETE',
    token: t.operatorToken,
  })
  assert.is(res.status, 200)
  assert.is(t.vigil.pipeline.trackedServers, tracked - 1)

  const refusedBefore = refusals('auth.bad-credentials')
  await eventually(() =>
    assert.ok(
      refusals('auth.bad-credentials') > refusedBefore,
      'disconnected at once, and its credentials no longer open a connection',
    ),
  )
  assert.not.ok(agent.connected)

  const again = await t.api(`/api/operator/servers/${credentials.serverId}`, {
    method: 'DELETE',
    token: t.operatorToken,
  })
  assert.is(again.status, 404)
})

test('a reseller token cannot remove servers', async () => {
  const site = await t.site()
  const credentials = await site.enroll()
  const res = await t.api(`/api/operator/servers/${credentials.serverId}`, {
    method: 'DELETE',
    token: site.token,
  })
  assert.is(res.status, 401)
  assert.ok(t.vigil.registry.server(credentials.serverId))
})

test('disconnects a server whose site withdrew, and its reconnects are refused', async () => {
  const site = await t.site()
  const credentials = await site.enroll()
  const agent = await site.agent(credentials, { backoff: { initialMs: 20, maxMs: 50 } })
  await setAcceptance(t.vigil.httpUrl, credentials, false, 'site admin')

  const refusedBefore = refusals('auth.not-accepted')
  await agent.heartbeat()
  await eventually(() =>
    assert.ok(
      refusals('auth.not-accepted') > refusedBefore,
      'dropped, and the broker refuses it on reconnect',
    ),
  )
  assert.not.ok(agent.connected)
})

test('shows an enrolled server that never sent anything as unavailable', async () => {
  const site = await t.site()
  await site.enroll('Never started')
  t.scheduler.advanceBy(3 * 60_000 + 1000)
  await eventually(async () => {
    t.vigil.flush()
    const res = await t.api(`/api/installations/${site.slc}`, { token: site.token })
    const view = (await res.json()) as {
      serverDetails: Array<{ available: boolean; lastSeenAt: number | null }>
    }
    assert.equal(
      view.serverDetails.map((s) => [s.available, s.lastSeenAt]),
      [[false, null]],
    )
  })
})

test.run()
