import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { ServerAvailable, ServerUnavailable } from '../../core/events.ts'
import { intervalMs, pipelineBench, tickMs } from '../helpers/pipeline.ts'

const test = suite('heartbeat rule')

test('marks a server unavailable after the third missed heartbeat, not before', () => {
  const p = pipelineBench()
  const server = p.enrollServer()
  p.heartbeat(server)

  p.scheduler.advanceBy(3 * intervalMs - 1)
  assert.is(p.of('serverUnavailable').length, 0, 'two misses and a bit: still available')

  p.scheduler.advanceBy(2 * tickMs + 1)
  const [event] = p.of('serverUnavailable') as ServerUnavailable[]
  assert.ok(event, 'unavailable right after the third missed deadline')
  assert.is(event.lastSeenAt, p.scheduler.now() - 3 * intervalMs - 2 * tickMs)
  p.close()
})

test('detects within one second of the third missed deadline', () => {
  const p = pipelineBench()
  const server = p.enrollServer()
  p.scheduler.advanceBy(137)
  p.heartbeat(server)
  const deadline = p.scheduler.now() + 3 * intervalMs

  while (p.of('serverUnavailable').length === 0) p.scheduler.advanceBy(10)
  const event = p.of('serverUnavailable')[0]!
  assert.ok(event.at - deadline >= 0 && event.at - deadline < 1000, `lag ${event.at - deadline} ms`)
  p.close()
})

test('never flags a server whose jittered heartbeats arrive on time', () => {
  const p = pipelineBench()
  const server = p.enrollServer()
  let seed = 7
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647

  for (let i = 0; i < 500; i++) {
    p.heartbeat(server)
    p.scheduler.advanceBy(Math.round(intervalMs * (0.7 + random() * 0.6)))
  }
  assert.is(p.of('serverUnavailable').length, 0)
  assert.is(p.of('heartbeatReceived').length, 500)
  p.close()
})

test('two missed heartbeats followed by a late one do not flag', () => {
  const p = pipelineBench()
  const server = p.enrollServer()
  p.heartbeat(server)
  p.scheduler.advanceBy(2.9 * intervalMs)
  p.heartbeat(server)
  p.scheduler.advanceBy(2.9 * intervalMs)
  assert.is(p.of('serverUnavailable').length, 0)
  p.close()
})

test('the next message makes the server available again and records the outage', () => {
  const p = pipelineBench()
  const server = p.enrollServer()
  p.heartbeat(server)
  const lastSeen = p.scheduler.now()
  p.scheduler.advanceBy(2 * 3600_000)
  assert.is(p.of('serverUnavailable').length, 1, 'one outage, not one per tick')

  p.status(server, [])
  const [back] = p.of('serverAvailable') as ServerAvailable[]
  assert.ok(back)
  assert.equal(back.outage, {
    startedAt: lastSeen,
    endedAt: p.scheduler.now(),
    durationMs: 2 * 3600_000,
  })

  p.scheduler.advanceBy(3 * intervalMs + 1000)
  assert.is(p.of('serverUnavailable').length, 2, 'silence after recovery counts again')
  p.close()
})

test('watches many servers independently', () => {
  const p = pipelineBench()
  const quiet = p.enrollServer()
  const busy = p.enrollServer()
  p.heartbeat(quiet)
  for (let i = 0; i < 8; i++) {
    p.heartbeat(busy)
    p.scheduler.advanceBy(intervalMs / 2)
  }
  assert.equal(
    p.of('serverUnavailable').map((e) => e.serverId),
    [quiet.serverId],
  )
  p.close()
})

test('after a restart, deadlines count from start-up, not from the last heartbeat', () => {
  const start = Date.parse('2026-03-01T10:00:00Z')
  const lastSeenAt = start - 6 * 3600_000
  const first = pipelineBench({ start: lastSeenAt })
  const server = first.enrollServer()
  first.close(true)

  const p = pipelineBench({
    start,
    dir: first.dir,
    snapshot: new Map([
      [
        server.serverId,
        {
          serverId: server.serverId,
          slc: server.slc,
          heartbeatIntervalMs: intervalMs,
          lastSeenAt,
          lastSeq: 0,
          unavailableSince: null,
          conditions: [],
        },
      ],
    ]),
  })
  p.scheduler.advanceBy(3 * intervalMs - 1000)
  assert.is(p.of('serverUnavailable').length, 0, "Vigil's own downtime flags nobody")

  p.scheduler.advanceBy(2000)
  const [event] = p.of('serverUnavailable') as ServerUnavailable[]
  assert.ok(event, 'still silent three intervals after start-up: unavailable')
  assert.is(event.lastSeenAt, lastSeenAt)
  p.close()
})

test('flags a server that enrolled but never sent anything, from its enrollment', () => {
  const p = pipelineBench()
  const enrolledAt = p.scheduler.now()
  p.enrollServer()
  p.scheduler.advanceBy(3 * intervalMs - 1000)
  assert.is(p.of('serverUnavailable').length, 0)

  p.scheduler.advanceBy(2000)
  const [event] = p.of('serverUnavailable') as ServerUnavailable[]
  assert.ok(event, 'a server never heard from is not healthy')
  assert.is(event.lastSeenAt, enrolledAt, 'the outage starts at enrollment')
  p.close()
})

test('does not count silence while the site has withdrawn or its subscription lapsed', () => {
  const p = pipelineBench()
  const server = p.enrollServer()
  p.heartbeat(server)
  p.registry.setAcceptance(server.slc, false, 'site admin')
  p.scheduler.advanceBy(5 * 3600_000)
  assert.is(p.of('serverUnavailable').length, 0, 'an opted-out site is not an outage')

  p.registry.setAcceptance(server.slc, true, 'site admin')
  p.scheduler.advanceBy(intervalMs)
  p.heartbeat(server)
  assert.is(p.of('serverAvailable').length, 0, 'so nothing to recover from')

  p.registry.setSubscription(server.slc, p.scheduler.now() + intervalMs)
  p.scheduler.advanceBy(24 * 3600_000)
  assert.is(p.of('serverUnavailable').length, 0, 'nor is a lapsed subscription')

  p.registry.setSubscription(server.slc, p.scheduler.now() + 365 * 24 * 3600_000)
  p.scheduler.advanceBy(6 * intervalMs + 1000)
  assert.is(p.of('serverUnavailable').length, 1, 'renewed and still silent: unavailable again')
  p.close()
})

test('refuses a server that floods, past its burst, and lets it send again later', () => {
  const p = pipelineBench()
  const flooder = p.enrollServer()
  const neighbour = p.enrollServer()
  for (let i = 0; i < 150; i++) p.heartbeat(flooder)
  p.heartbeat(neighbour)
  assert.is(p.of('heartbeatReceived', flooder.serverId).length, 100)
  assert.is(p.metrics.value('vigil_refusals_total', { code: 'gate.rate-limited' }), 50)
  assert.is(p.of('heartbeatReceived', neighbour.serverId).length, 1, 'others are not affected')

  p.scheduler.advanceBy(1000)
  for (let i = 0; i < 10; i++) p.heartbeat(flooder)
  assert.is(p.of('heartbeatReceived', flooder.serverId).length, 105, 'five per second refill')
  p.close()
})

test.run()
