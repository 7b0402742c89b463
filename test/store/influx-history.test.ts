import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { TimeRange } from '../../store/history.ts'
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts'
import { eventsOf, historyFixture, type HistoryFixture } from './influx-fixture.ts'

const test = suite('InfluxDB history reads')
const T0 = Date.parse('2026-01-05T08:00:00Z')
const min = 60_000
let influxd: TestInfluxd
let f: HistoryFixture
let resellerA: string
let resellerB: string
let servers: string[]

test.before(async () => {
  influxd = await startInfluxd()
  f = historyFixture(influxd, { now: T0 + 120 * min })
  const h1 = f.site('Reseller A', 'SLC-H1', ['Recorder 1', 'Recorder 2'])
  const h2 = f.site('Reseller A', 'SLC-H2', ['Other'])
  const b1 = f.site('Reseller B', 'SLC-B1', ['Foreign'])
  resellerA = h1.resellerId
  resellerB = b1.resellerId
  servers = h1.serverIds
  // Enrollment happens at the fixture's clock; availability counts from then.
  f.db.prepare('UPDATE servers SET enrolled_at = ?').run(T0 - 60 * min)

  const s1 = eventsOf('SLC-H1', servers[0]!)
  const s2 = eventsOf('SLC-H1', servers[1]!)
  const other = eventsOf('SLC-H2', h2.serverIds[0]!)
  const foreign = eventsOf('SLC-B1', b1.serverIds[0]!)
  f.apply([s1.heartbeat(T0), s2.heartbeat(T0), other.heartbeat(T0), foreign.heartbeat(T0)])
  // Two conditions raised by one status, in the same millisecond.
  f.apply([
    s1.raised(T0 + 5 * min, 'drive-full', 'D:', { usedPercent: 97, label: 'Archive' }),
    s1.raised(T0 + 5 * min, 'camera-unreachable', 'Cam 1'),
    s1.status(T0 + 5 * min, 7, { drives: [{ name: 'D:', usedPercent: 97 }] }),
  ])
  f.apply([
    s2.unavailable(T0 + 13 * min, T0 + 10 * min),
    foreign.unavailable(T0 + 13 * min, T0 + 10 * min),
  ])
  f.apply([s2.available(T0 + 40 * min, T0 + 10 * min), s2.heartbeat(T0 + 40 * min)])
  f.apply([s1.cleared(T0 + 50 * min, 'camera-unreachable', 'Cam 1', T0 + 5 * min)])
  f.apply([other.raised(T0 + 55 * min, 'license-shortage', '', { used: 9, available: 8 })])
  f.apply([s1.unavailable(T0 + 70 * min, T0 + 65 * min)])
  await f.drainAll()
})

test.after(async () => {
  await f.close()
  await influxd.stop()
})

const ranges: Record<string, TimeRange> = {
  everything: { from: T0 - 60 * min, to: T0 + 120 * min },
  'inside the first outage': { from: T0 + 20 * min, to: T0 + 30 * min },
  'across the ends of outages': { from: T0 + 30 * min, to: T0 + 80 * min },
  'before anything': { from: T0 - 60 * min, to: T0 - 1 },
  'reaching into the future': { from: T0 + 60 * min, to: T0 + 600 * min },
}

for (const [name, range] of Object.entries(ranges)) {
  test(`answers events, outages and availability like the embedded store: ${name}`, async () => {
    for (const limit of [1000, 3]) {
      const embedded = await f.embedded.events(resellerA, 'SLC-H1', range, limit)
      const influx = await f.influx.events(resellerA, 'SLC-H1', range, limit)
      assert.equal(influx.map(withoutId), embedded.map(withoutId), `events, limit ${limit}`)
      assert.is(new Set(influx.map((e) => e.id)).size, influx.length, 'event ids are unique')
    }

    const byStart = (a: { serverId: string; startedAt: number }, b: typeof a) =>
      a.startedAt - b.startedAt || a.serverId.localeCompare(b.serverId)
    const embeddedOutages = (await f.embedded.outages(resellerA, 'SLC-H1', range)).sort(byStart)
    const influxOutages = (await f.influx.outages(resellerA, 'SLC-H1', range)).sort(byStart)
    assert.equal(influxOutages, embeddedOutages, 'outages')

    assert.equal(
      await f.influx.availability(resellerA, 'SLC-H1', range),
      await f.embedded.availability(resellerA, 'SLC-H1', range),
      'availability',
    )
  })
}

test('finds the data it was given, not just two empty answers', async () => {
  const range = ranges.everything!
  const events = await f.influx.events(resellerA, 'SLC-H1', range, 1000)
  assert.equal(
    events.map((e) => e.type),
    [
      'serverUnavailable',
      'conditionCleared',
      'serverAvailable',
      'serverUnavailable',
      'conditionRaised',
      'conditionRaised',
    ],
  )
  const driveFull = events.find((e) => e.kind === 'drive-full')
  assert.equal(driveFull?.details, { usedPercent: 97, label: 'Archive' })

  const availability = await f.influx.availability(resellerA, 'SLC-H1', range)
  // Recorder 2 was down 30 of 180 minutes; Recorder 1 has been down since minute 65 of 180.
  const expected = [round(100 * (1 - 55 / 180)), round(100 * (1 - 30 / 180))]
  assert.equal(
    availability.servers.map((s) => s.percent),
    expected,
  )
  const outages = await f.influx.outages(resellerA, 'SLC-H1', range)
  assert.equal(
    outages.map((o) => o.endedAt),
    [T0 + 40 * min, null],
  )
})

test('reads one installation of one reseller only', async () => {
  const range = ranges.everything!
  assert.equal(await f.influx.events(resellerB, 'SLC-H1', range, 100), [], 'foreign reseller')
  assert.equal(await f.influx.outages(resellerB, 'SLC-H1', range), [])
  const other = await f.influx.events(resellerA, 'SLC-H2', range, 100)
  assert.equal(
    other.map((e) => e.kind),
    ['license-shortage'],
  )
  assert.equal(await f.influx.events(resellerA, 'SLC-B1', range, 100), [], "B's SLC")
})

test('answers an empty history for a reseller whose database does not exist yet', async () => {
  const { resellerId } = f.site('Reseller C', 'SLC-C1', ['New'])
  assert.equal(await f.influx.events(resellerId, 'SLC-C1', ranges.everything!, 10), [])
  assert.equal(await f.influx.outages(resellerId, 'SLC-C1', ranges.everything!), [])
})

function withoutId<T extends { id: number }>({ id: _id, ...rest }: T) {
  return rest
}

function round(value: number) {
  return Math.round(value * 1000) / 1000
}

test('forgets the ongoing outage of a removed server, like the embedded store', async () => {
  const range = ranges.everything!
  const before = await f.influx.outages(resellerA, 'SLC-H1', range)
  assert.ok(
    before.some((o) => o.serverId === servers[0] && o.endedAt === null),
    'ongoing first',
  )

  f.registry.removeServer(servers[0]!)
  const embedded = await f.embedded.outages(resellerA, 'SLC-H1', range)
  const influx = await f.influx.outages(resellerA, 'SLC-H1', range)
  assert.not.ok(influx.some((o) => o.serverId === servers[0] && o.endedAt === null))
  assert.equal(
    influx.filter((o) => o.endedAt === null),
    embedded.filter((o) => o.endedAt === null),
  )
})

test.run()
