import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { fromTagValue } from '../../store/influx/points.ts'
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts'
import { eventsOf, historyFixture, type HistoryFixture } from './influx-fixture.ts'

const test = suite('InfluxDB escaping and injection')
const T0 = Date.parse('2026-01-05T08:00:00Z')
const everything = { from: T0 - 3600_000, to: T0 + 3600_000 }

/** Text that line protocol or InfluxQL treat specially, and some that looks like both. */
const nasty = [
  'plain',
  'with space',
  ' leading and trailing ',
  'comma,here',
  'equals=sign',
  'double"quote',
  "single'quote",
  'back\\slash',
  'trailing\\',
  'two trailing\\\\',
  'new\nline',
  'tab\tand\rreturn',
  'ünïcødé ✓ 監視 🎥',
  '',
  '%41 not an escape',
  '$p0',
  '"; DROP DATABASE "x',
  "' OR ''='",
  'key=value,other=x y=1i 1234',
  '\\"',
  '/regex.*/',
]

/** Names pass the registry's check: printable, trimmed. */
const nastyNames = nasty
  .map((n) => n.replace(/[\u0000-\u001f]/g, ' ').trim())
  .filter((n) => n !== '')

let influxd: TestInfluxd
const fixtures: HistoryFixture[] = []

test.before(async () => {
  influxd = await startInfluxd()
})

test.after(async () => {
  for (const f of fixtures) await f.close()
  await influxd.stop()
})

const seededByMode = new Map<boolean, ReturnType<typeof seed>>()

/** One seeded store per query mode, shared by the tests of that mode. */
function seeded(bindParams: boolean) {
  if (!seededByMode.has(bindParams)) seededByMode.set(bindParams, seed(bindParams))
  return seededByMode.get(bindParams)!
}

async function seed(bindParams: boolean) {
  const f = historyFixture(influxd, { bindParams, now: T0 + 3600_000 })
  fixtures.push(f)
  const site = f.site('Reseller "Escapes"', 'SLC-ESC', nastyNames.slice(0, 8), nastyNames.at(-1))
  const extra = f.site('Reseller "Escapes"', 'SLC-ESC2', nastyNames.slice(8), 'trailing\\')
  const server = eventsOf('SLC-ESC', site.serverIds[0]!)
  f.apply(
    nasty.map((subject, i) =>
      server.raised(T0 + i, 'camera-unreachable', subject, {
        message: subject,
        [subject || 'empty']: i,
      }),
    ),
  )
  const drives = nasty.map((name, i) => ({ name, usedPercent: i }))
  f.apply([server.status(T0 + 100, 1, { drives })])
  f.apply(extra.serverIds.map((id, i) => eventsOf('SLC-ESC2', id).unavailable(T0 + 200 + i, T0)))
  await f.drainAll()
  return { f, resellerId: site.resellerId }
}

for (const bindParams of [true, false]) {
  const mode = bindParams ? 'bound parameters' : 'inlined literals'

  test(`round-trips subjects and details exactly (${mode})`, async () => {
    const { f, resellerId } = await seeded(bindParams)
    const events = await f.influx.events(resellerId, 'SLC-ESC', everything, 1000)
    const raised = events.filter((e) => e.type === 'conditionRaised').reverse()
    assert.equal(
      raised.map((e) => e.subject),
      nasty,
    )
    assert.equal(
      raised.map((e) => e.details!.message),
      nasty,
    )
    const keyed = raised.map((e, i) => e.details![nasty[i] || 'empty'])
    assert.equal(
      keyed,
      nasty.map((_, i) => i),
    )
    assert.equal(
      f.logs.filter((l) => l.event === 'influxPointRejected'),
      [],
      'nothing refused',
    )
  })

  test(`round-trips drive, customer and server names through tags (${mode})`, async () => {
    const { f } = await seeded(bindParams)
    const tagValues = async (measurement: string, key: string) => {
      const text = `SHOW TAG VALUES FROM "${measurement}" WITH KEY = "${key}"`
      const result = await f.http.query({ text, params: {} }, f.names.fleet)
      return (result.series?.[0]?.values ?? []).map((v) => fromTagValue(String(v[1]))).sort()
    }
    assert.equal(await tagValues('drives', 'drive'), nasty.filter((n) => n !== '').sort())
    assert.ok((await tagValues('events', 'customer')).includes(nastyNames.at(-1)!))
    const text = 'SELECT count("event_id") FROM "events" GROUP BY "server"'
    const result = await f.http.query({ text, params: {} }, f.names.fleet)
    const servers = result.series!.map((s) => fromTagValue(s.tags!.server!)).sort()
    assert.equal(servers, [nastyNames[0]!, ...nastyNames.slice(8)].sort())
    assert.equal((await tagValues('events', 'customer')).length, 2)
  })

  test(`no value changes what a history read selects (${mode})`, async () => {
    const { f, resellerId } = await seeded(bindParams)
    const attacks = [
      ...nasty,
      `SLC-ESC' OR "slc" =~ /.*/ OR 'a'='a`,
      "SLC-ESC' OR 1=1 --",
      'SLC-ESC"',
      'SLC-ESC\\',
      '/.*/',
      'SLC-ESC\nSHOW DATABASES',
      'SLC-ESC; DROP DATABASE "vigil"',
    ]
    for (const slc of attacks) {
      if (!bindParams && /[\r\u0000]/.test(slc)) {
        // No InfluxQL literal can hold a carriage return: refused, never passed on.
        await f.influx.events(resellerId, slc, everything, 100).then(
          () => assert.unreachable('inlined a carriage return'),
          (error: { code?: string }) => assert.is(error.code, 'invalid-influxql-value'),
        )
        continue
      }
      const shown = JSON.stringify(slc)
      assert.equal(await f.influx.events(resellerId, slc, everything, 100), [], `events ${shown}`)
      assert.equal(await f.influx.outages(resellerId, slc, everything), [], `outages ${shown}`)
    }
    assert.is(
      (await f.influx.events(resellerId, 'SLC-ESC', everything, 1000)).length,
      nasty.length,
      'the real SLC still answers, so the empty answers above mean something',
    )
    const databases = await f.http.query({ text: 'SHOW DATABASES', params: {} })
    const names = databases.series![0]!.values.map((v) => v[0])
    assert.ok(names.includes(f.names.fleet), 'nothing was dropped')
  })

  test(`refuses a reseller id that is not a plain name, not quoting it (${mode})`, async () => {
    const { f } = await seeded(bindParams)
    for (const resellerId of ['r-1"; DROP DATABASE "vigil', 'r 1', '']) {
      await f.influx.events(resellerId, 'SLC-ESC', everything, 10).then(
        () => assert.unreachable(`accepted ${JSON.stringify(resellerId)}`),
        (error: { code?: string }) => assert.is(error.code, 'invalid-influxql-value'),
      )
    }
  })
}

test('keeps one type per field: every number a float, every text a string', async () => {
  const { f } = await seeded(true)
  const result = await f.http.query({ text: 'SHOW FIELD KEYS', params: {} }, f.names.fleet)
  const types = Object.fromEntries(
    result.series!.flatMap((s) => s.values.map((v) => [`${s.name}.${String(v[0])}`, v[1]])),
  )
  const expected: Record<string, string> = {
    'drives.used_percent': 'float',
    'events.event_id': 'float',
    'events.cause': 'string',
    'events.subject': 'string',
    'events.details': 'string',
    'events.active_change': 'float',
  }
  for (const [field, type] of Object.entries(expected)) assert.is(types[field], type, field)
  const kinds = new Set(Object.values(types))
  assert.equal([...kinds].sort(), ['float', 'string'], JSON.stringify(types))
})

test.run()
