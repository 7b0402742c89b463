import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ManualScheduler } from '../../core/clock.ts'
import { UptimeTicker, type UptimeMinutes } from '../../store/influx/uptime.ts'
import { eventsOf } from './influx-fixture.ts'

const test = suite('uptime minutes')
const T0 = Date.parse('2026-01-05T08:00:00Z')
const s = 1000
const min = 60_000

/** A ticker on virtual time whose writes are kept as InfluxDB keeps them: last one wins. */
function ticker(start = T0) {
  const scheduler = new ManualScheduler(start)
  const records: UptimeMinutes[] = []
  const uptime = new UptimeTicker(scheduler, (record) => records.push(record))
  const subscription = uptime.start()
  const stored = () => {
    const points = new Map<string, number>()
    for (const r of records) {
      for (const m of r.minutes) points.set(`${m.serverId}@${(m.at - T0) / min}`, m.up)
    }
    const byKey = ([a]: [string, number], [b]: [string, number]) =>
      a.localeCompare(b, 'en', { numeric: true })
    return Object.fromEntries([...points].sort(byKey))
  }
  return { scheduler, uptime, records, stored, subscription }
}

const a = eventsOf('SLC-U', 'a')
const b = eventsOf('SLC-U', 'b')

test('writes one point per seen server per minute, from its first whole minute', () => {
  const t = ticker()
  t.uptime.observe(a.heartbeat(T0))
  t.uptime.observe(b.heartbeat(T0 + 30 * s))
  t.scheduler.advanceTo(T0 + 3 * min)
  assert.equal(t.stored(), { 'a@0': 1, 'a@1': 1, 'a@2': 1, 'b@1': 1, 'b@2': 1 })
  assert.is(t.records.length, 3, 'one record per minute')
  t.subscription.unsubscribe()
})

test('dates an outage back to the last message and rewrites the minutes already written', () => {
  const t = ticker()
  t.uptime.observe(a.heartbeat(T0))
  t.scheduler.advanceTo(T0 + 3 * min + 30 * s)
  assert.equal(t.stored(), { 'a@0': 1, 'a@1': 1, 'a@2': 1 })

  // Three missed 60 s heartbeats after 08:00:30: unavailable since then.
  t.uptime.observe(a.unavailable(T0 + 3 * min + 30 * s, T0 + 30 * s))
  t.scheduler.advanceTo(T0 + 5 * min)
  assert.equal(t.stored(), { 'a@0': 0.5, 'a@1': 0, 'a@2': 0, 'a@3': 0, 'a@4': 0 })
  t.subscription.unsubscribe()
})

test('counts the minute an outage ends by the part that was available', () => {
  const t = ticker()
  t.uptime.observe(a.heartbeat(T0))
  t.uptime.observe(a.unavailable(T0 + 30 * s, T0))
  t.scheduler.advanceTo(T0 + 2 * min)
  t.uptime.observe(a.available(T0 + 2 * min + 15 * s, T0))
  t.scheduler.advanceTo(T0 + 4 * min)
  assert.equal(t.stored(), { 'a@0': 0, 'a@1': 0, 'a@2': 0.75, 'a@3': 1 })
  t.subscription.unsubscribe()
})

test('rewrites a minute whose recovery arrived after the minute was written', () => {
  const t = ticker()
  t.uptime.observe(a.heartbeat(T0))
  t.uptime.observe(a.unavailable(T0 + 30 * s, T0))
  t.scheduler.advanceTo(T0 + 3 * min)
  assert.is(t.stored()['a@2'], 0)
  t.uptime.observe(a.available(T0 + 2 * min + 45 * s, T0))
  assert.is(t.stored()['a@2'], 0.25)
  t.subscription.unsubscribe()
})

test('resumes after a restart with the outages that were still open', () => {
  const t = ticker()
  t.uptime.restore([
    {
      serverId: 'a',
      slc: 'SLC-U',
      heartbeatIntervalMs: min,
      lastSeenAt: T0 - 10 * min,
      lastSeq: 0,
      unavailableSince: T0 - 10 * min,
      conditions: [],
    },
    {
      serverId: 'b',
      slc: 'SLC-U',
      heartbeatIntervalMs: min,
      lastSeenAt: T0 - min,
      lastSeq: 0,
      unavailableSince: null,
      conditions: [],
    },
    {
      serverId: 'never',
      slc: 'SLC-U',
      heartbeatIntervalMs: min,
      lastSeenAt: null,
      lastSeq: 0,
      unavailableSince: null,
      conditions: [],
    },
  ])
  t.scheduler.advanceTo(T0 + 2 * min)
  assert.equal(t.stored(), { 'a@0': 0, 'a@1': 0, 'b@0': 1, 'b@1': 1 })
  t.subscription.unsubscribe()
})

test('stops writing minutes for a removed server', () => {
  const t = ticker()
  t.uptime.observe(a.heartbeat(T0))
  t.scheduler.advanceTo(T0 + min)
  t.uptime.forget('a')
  t.scheduler.advanceTo(T0 + 5 * min)
  assert.equal(t.stored(), { 'a@0': 1 })
  t.subscription.unsubscribe()
})

test.run()
