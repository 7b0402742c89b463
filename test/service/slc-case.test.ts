import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Agent } from '../../agent/agent.ts'
import { enroll } from '../../agent/credentials.ts'
import { topicFor } from '../../core/topics.ts'
import { eventually, startTestVigil, type TestVigil } from '../helpers/vigil.ts'

const test = suite('SLCs are one installation in any case')

let t: TestVigil
let agent: Agent | undefined

test.before(async () => {
  t = await startTestVigil()
})
test.after(async () => {
  await agent?.stop()
  await t.close()
})

function reseller(name: string) {
  return t.vigil.registry.createReseller(name).token
}

async function register(token: string, slc: string) {
  const res = await t.api('/api/installations', {
    method: 'POST',
    token,
    json: { slc, customerName: `Customer of ${slc}` },
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

test('refuses an SLC that differs from a registered one only in case (409 slc-taken)', async () => {
  const a = reseller('Reseller Upper')
  const b = reseller('Reseller Lower')
  assert.is((await register(a, 'SLC-1001')).status, 201)

  for (const [token, slc] of [
    [b, 'slc-1001'],
    [b, 'Slc-1001'],
    [a, 'slc-1001'],
  ] as const) {
    const taken = await register(token, slc)
    assert.is(taken.status, 409, slc)
    assert.is((taken.body.error as { code: string }).code, 'slc-taken')
  }
  const mine = await t.api('/api/installations?all=true', { token: b })
  assert.equal(((await mine.json()) as { items: unknown[] }).items, [], 'B got nothing')
})

test('carries a server enrolled with a lower-case SLC through to the reseller', async () => {
  const token = reseller('Reseller Case')
  const registered = await register(token, 'SLC-CASE-7')
  const enrollmentCode = registered.body.enrollmentCode as string
  const subscription = await t.api('/api/operator/installations/slc-case-7/subscription', {
    method: 'PUT',
    token: t.operatorToken,
    json: { expiresAt: t.scheduler.now() + 365 * 24 * 3600_000 },
  })
  assert.is(subscription.status, 200)

  // Typed at the site in lower case; the topics must carry the registered spelling,
  // which the broker compares exactly.
  const credentials = await enroll(t.vigil.httpUrl, {
    slc: 'slc-case-7',
    enrollmentCode,
    serverName: 'Recorder 1',
    acceptedBy: 'site admin',
  })
  assert.is(credentials.slc, 'SLC-CASE-7')
  assert.is(credentials.topics.status, topicFor('SLC-CASE-7', credentials.serverId, 'status'))

  agent = new Agent(credentials, {
    mqttUrl: `mqtts://localhost:${t.vigil.mqttPort}`,
    now: () => t.scheduler.now(),
    statusEveryMs: 24 * 3600_000,
  })
  await agent.start()
  await agent.setConditions([{ kind: 'drive-full', subject: 'D:' }])

  const view = await eventually(async () => {
    t.vigil.flush()
    const res = await t.api('/api/installations/slc-case-7', { token })
    assert.is(res.status, 200)
    const body = (await res.json()) as {
      slc: string
      serverDetails: Array<{ id: string; conditions: Array<{ kind: string; subject: string }> }>
    }
    assert.is(body.serverDetails[0]?.conditions[0]?.kind, 'drive-full')
    return body
  })
  assert.is(view.slc, 'SLC-CASE-7')
  assert.is(view.serverDetails[0]!.id, credentials.serverId)

  const events = await t.api('/api/installations/Slc-Case-7/events', { token })
  const { slc, items } = (await events.json()) as { slc: string; items: Array<{ type: string }> }
  assert.is(slc, 'SLC-CASE-7')
  assert.ok(
    items.some((e) => e.type === 'conditionRaised'),
    'history found in any case',
  )
  assert.equal(
    t.vigil.registry.acceptanceLog('slc-case-7').map((a) => a.byWhom),
    ['site admin'],
  )
})

test.run()
