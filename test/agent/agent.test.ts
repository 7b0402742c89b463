import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Agent, type AgentLinkEvent } from '../../agent/agent.ts'
import { backoffDelay } from '../../agent/backoff.ts'
import { eventually, freePort, startTestVigil, type TestVigil } from '../helpers/vigil.ts'

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
  assert.is(
    backoffDelay(0, options, () => 0),
    500,
  )
  assert.is(
    backoffDelay(0, options, () => 1),
    1000,
  )
  assert.is(
    backoffDelay(3, options, () => 1),
    8000,
  )
  assert.is(
    backoffDelay(30, options, () => 1),
    60_000,
  )
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
  await eventually(() =>
    assert.ok(t.vigil.metrics.value('vigil_events_total', { type: 'heartbeatReceived' }) > before),
  )
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

test('keeps trying while the broker is down at start, and connects once it is up', async () => {
  const site = await t.site()
  const credentials = await site.enroll()
  const port = await freePort()
  const events: AgentLinkEvent[] = []
  const agent = new Agent(credentials, {
    mqttUrl: `mqtts://localhost:${port}`,
    now: () => t.scheduler.now(),
    statusEveryMs: 24 * 3600_000,
    backoff: { initialMs: 50, maxMs: 200 },
    onLinkEvent: (event) => events.push(event),
  })
  const started = agent.start({ untilConnected: true })
  // Awaited below; a failed assertion before that must not leave it unhandled.
  started.catch(() => undefined)

  let later: TestVigil | undefined
  try {
    await eventually(() =>
      assert.ok(
        events.filter((e) => e.type === 'reconnectScheduled').length >= 3,
        'retried while down',
      ),
    )
    const first = events[0]
    assert.is(
      first?.type === 'reconnectScheduled' && (first.error as { code?: string }).code,
      'ECONNREFUSED',
    )
    assert.not.ok(agent.connected)

    // The same registry, now with a broker on the port the agent keeps trying.
    later = await startTestVigil({ mqttPort: port }, t.dataDir)
    await started
    assert.ok(agent.connected)
    assert.equal(events.at(-1), { type: 'connected', connections: 1 })
    await eventually(() =>
      assert.ok(
        later!.vigil.metrics.value('vigil_events_total', { type: 'heartbeatReceived' }) >= 1,
        'its heartbeat arrived',
      ),
    )
  } finally {
    await agent.stop()
    await later?.close()
  }
})

test('keeps running when the heartbeat sent on leaving silence fails', async () => {
  const site = await t.site()
  const agent = new Agent(await site.enroll())
  const unhandled: unknown[] = []
  const record = (reason: unknown) => unhandled.push(reason)
  process.on('unhandledRejection', record)
  try {
    agent.heartbeat = () => Promise.reject(new Error('publish timed out'))
    agent.setSilent(true)
    agent.setSilent(false)
    await new Promise((resolve) => setTimeout(resolve, 20))
  } finally {
    process.off('unhandledRejection', record)
  }
  assert.equal(unhandled, [], 'no unhandled rejection, which would end the process on Node 20')
})

test.run()
