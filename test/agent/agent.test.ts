import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { backoffDelay } from '../../agent/backoff.ts'
import { eventually, startTestVigil, type TestVigil } from '../helpers/vigil.ts'

const test = suite('agent')
let t: TestVigil

test.before(async () => {
  t = await startTestVigil()
})
test.after(async () => {
  await t.close()
})

test('backs off exponentially with jitter, within bounds', () => {
  const options = { initialMs: 1000, maxMs: 60_000 }
  assert.is(backoffDelay(0, options, () => 0), 500)
  assert.is(backoffDelay(0, options, () => 1), 1000)
  assert.is(backoffDelay(3, options, () => 1), 8000)
  assert.is(backoffDelay(30, options, () => 1), 60_000)
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(4, options)))
  assert.ok(spread.size > 10, 'delays are spread, not synchronised')
  for (const d of spread) assert.ok(d >= 8000 && d <= 16_000)
})

test('reconnects by itself when the broker comes back', async () => {
  const site = await t.site()
  const agent = await site.agent(await site.enroll(), { backoff: { initialMs: 50, maxMs: 200 } })
  await t.restart({ keepAgents: true })

  await eventually(() => assert.is(agent.connections, 2, 'connected again'), 5000)
  const before = t.vigil.metrics.value('vigil_events_total', { type: 'heartbeatReceived' })
  await agent.heartbeat()
  await eventually(() => assert.ok(
    t.vigil.metrics.value('vigil_events_total', { type: 'heartbeatReceived' }) > before))
})

test('sends a status only when the set of situations changes', async () => {
  const site = await t.site()
  const agent = await site.agent(await site.enroll())
  await eventually(() => assert.is(agent.sent.statuses, 1, 'the status sent on connect'))
  const sent = agent.sent.statuses
  await agent.setConditions([{ kind: 'camera-unreachable', subject: 'Camera 3' }])
  await agent.setConditions([{ kind: 'camera-unreachable', subject: 'Camera 3' }])
  assert.is(agent.sent.statuses - sent, 1)
  await agent.setConditions([])
  assert.is(agent.sent.statuses - sent, 2)
})

test.run()
