import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rotateKey } from '../../agent/credentials.ts'
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

test('rotates a server\'s key without losing messages sealed with the old one', async () => {
  const site = await t.site()
  const credentials = await site.enroll()
  const agent = await site.agent(credentials)
  const before = raised()

  const rotated = await rotateKey(t.vigil.httpUrl, credentials)
  assert.is(rotated.keyId, 'k2')
  assert.is.not(rotated.key, credentials.key)

  await agent.setConditions([{ kind: 'drive-full', subject: 'D:' }])
  agent.useCredentials(rotated)
  await agent.setConditions([{ kind: 'drive-full', subject: 'D:' }, { kind: 'drive-full', subject: 'E:' }])
  await eventually(() => assert.is(raised() - before, 2))
  assert.is(refusals('decrypt.unknown-key') + refusals('decrypt.failed'), 0)
})

test('removing a server releases its state and refuses it from then on', async () => {
  const site = await t.site()
  const credentials = await site.enroll()
  const agent = await site.agent(credentials)
  const beats = t.vigil.metrics.value('vigil_events_total', { type: 'heartbeatReceived' })
  await agent.heartbeat()
  await eventually(() => assert.ok(
    t.vigil.metrics.value('vigil_events_total', { type: 'heartbeatReceived' }) > beats))
  const tracked = t.vigil.pipeline.trackedServers

  const res = await t.api(`/api/operator/servers/${credentials.serverId}`,
    { method: 'DELETE', token: t.operatorToken })
  assert.is(res.status, 200)
  assert.is(t.vigil.pipeline.trackedServers, tracked - 1)

  const unknown = refusals('gate.unknown-server')
  await agent.heartbeat()
  await eventually(() => assert.ok(refusals('gate.unknown-server') > unknown))

  const again = await t.api(`/api/operator/servers/${credentials.serverId}`,
    { method: 'DELETE', token: t.operatorToken })
  assert.is(again.status, 404)
})

test('a reseller token cannot remove servers', async () => {
  const site = await t.site()
  const credentials = await site.enroll()
  const res = await t.api(`/api/operator/servers/${credentials.serverId}`,
    { method: 'DELETE', token: site.token })
  assert.is(res.status, 401)
  assert.ok(t.vigil.registry.server(credentials.serverId))
})

test.run()
