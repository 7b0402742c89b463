import { createServer } from 'node:http'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createMemoryLogger } from '../../core/logger.ts'
import { ServerDirectory } from '../../store/influx/directory.ts'
import { OutboxDrain } from '../../store/influx/drain.ts'
import { InfluxHttp } from '../../store/influx/http.ts'
import { InfluxNames } from '../../store/influx/provision.ts'
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts'
import { eventually } from '../helpers/vigil.ts'
import { eventsOf, historyFixture, type HistoryFixture } from './influx-fixture.ts'

const test = suite('outbox drain to InfluxDB')
const T0 = Date.parse('2026-01-05T08:00:00Z')
let influxd: TestInfluxd
const fixtures: HistoryFixture[] = []

test.before(async () => {
  influxd = await startInfluxd()
})

test.after(async () => {
  for (const f of fixtures) await f.close()
  await influxd.stop()
})

function fixture() {
  const f = historyFixture(influxd, { now: T0 + 3600_000 })
  fixtures.push(f)
  return f
}

async function count(f: HistoryFixture, select: string, database = f.names.fleet): Promise<number> {
  const result = await f.http.query({ text: select, params: {} }, database)
  return Number(result.series?.[0]?.values[0]?.[1] ?? 0)
}

/** Ten condition changes and a status with figures, for one server. */
function someEvents(slc: string, serverId: string) {
  const e = eventsOf(slc, serverId)
  const events = Array.from({ length: 5 }, (_, i) => [
    e.raised(T0 + i * 1000, 'camera-unreachable', `Cam ${i}`),
    e.cleared(T0 + i * 1000 + 500, 'camera-unreachable', `Cam ${i}`, T0 + i * 1000),
  ]).flat()
  events.push(
    e.status(T0 + 9000, 1, {
      drives: [{ name: 'D:', usedPercent: 50 }],
      cameras: { online: 3, total: 4 },
    }),
  )
  return events
}

test('keeps events in the outbox while InfluxDB is down, retrying ever more slowly', async () => {
  const f = fixture()
  const { slc, serverIds } = f.site('Reseller D', 'SLC-D1', ['Recorder'])
  f.apply(someEvents(slc, serverIds[0]!))
  await influxd.kill()
  f.drain.start()

  const failures = await eventually(() => {
    const lines = f.logs.filter((l) => l.event === 'influxWriteFailed')
    assert.ok(lines.length >= 6, `${lines.length} failures so far`)
    return lines
  })
  assert.ok(failures.every((l) => l.level === 'warn' && l.code === 'unreachable' && l.slc === slc))
  const times = failures.slice(0, 6).map((l) => Date.parse(String(l.ts)))
  const gaps = times.map((t, i) => t - (times[i - 1] ?? t))
  assert.ok(gaps[5]! > gaps[1]!, `pauses grow: ${gaps.join(', ')} ms`)
  assert.is(f.outbox.backlog(), 11, 'nothing left the outbox')

  await influxd.start()
  await eventually(() => assert.is(f.outbox.backlog(), 0), 5_000)
  assert.is(await count(f, 'SELECT count("event_id") FROM "events"'), 10)
  assert.ok(f.logs.some((l) => l.event === 'influxWriteRecovered' && l.level === 'info'))
  await f.drain.stop()
})

test('retries a batch InfluxDB answered with 5xx, then removes it on 204', async () => {
  // A stand-in InfluxDB on loopback: 503 to the first two batches (fleet and reseller
  // database each), then it takes the writes.
  const bodies: string[] = []
  const fake = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      bodies.push(body)
      const overloaded = bodies.length <= 4
      res.writeHead(overloaded ? 503 : 204, { 'content-type': 'application/json' })
      res.end(overloaded ? '{"error":"overloaded"}' : '')
    })
  })
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve))
  const port = (fake.address() as { port: number }).port
  try {
    const f = fixture()
    const { slc, serverIds } = f.site('Reseller J', 'SLC-J1', ['Recorder'])
    const url = `http://127.0.0.1:${port}`
    const http = new InfluxHttp({ url, bindParams: true, timeoutMs: 2000 })
    const drain = new OutboxDrain({
      outbox: f.outbox,
      http,
      directory: new ServerDirectory(f.db),
      names: new InfluxNames('fake'),
      logger: createMemoryLogger().logger,
      metrics: f.metrics,
      ensureDatabase: async () => undefined,
    })
    f.apply([eventsOf(slc, serverIds[0]!).raised(T0, 'drive-full', 'D:')])

    assert.equal([await drain.drainOnce(), await drain.drainOnce()], ['failed', 'failed'])
    assert.is(f.outbox.backlog(), 1)
    assert.is(f.metrics.value('vigil_influx_write_failures_total', { code: 'server-error' }), 2)
    assert.is(await drain.drainOnce(), 'written')
    assert.is(f.outbox.backlog(), 0)
    assert.match(bodies.at(-1)!, /^events,customer=Customer\\ SLC-J1,kind=drive-full,/)
  } finally {
    await new Promise((resolve) => fake.close(resolve))
  }
})

test('writes a batch again after a lost answer without doubling a point', async () => {
  const f = fixture()
  const { slc, serverIds } = f.site('Reseller E', 'SLC-E1', ['Recorder'])
  f.apply(someEvents(slc, serverIds[0]!))

  // InfluxDB took the batch, then Vigil died before removing it from the outbox.
  const settle = f.outbox.settle.bind(f.outbox)
  f.outbox.settle = () => {
    throw Object.assign(new Error('crashed'), { code: 'SQLITE_IOERR' })
  }
  assert.is(await f.drain.drainOnce(), 'failed')
  f.outbox.settle = settle
  assert.is(await count(f, 'SELECT count("event_id") FROM "events"'), 10, 'first write landed')

  await f.drainAll()
  assert.is(await count(f, 'SELECT count("event_id") FROM "events"'), 10, 'overwritten, not added')
  assert.is(
    await count(
      f,
      'SELECT count("event_id") FROM "events"',
      f.names.reseller(f.registry.resellerByName('Reseller E')!.id),
    ),
    10,
    'same in the reseller database',
  )
  assert.is(await count(f, 'SELECT count("cameras_online") FROM "health"'), 1)
})

test('splits a refused batch so one bad point cannot hold back the rest', async () => {
  const f = fixture()
  const { slc, serverIds } = f.site('Reseller F', 'SLC-F1', ['Recorder'])
  // Someone wrote drive fill as text into the fleet database: InfluxDB refuses Vigil's floats.
  await f.provisioner.ensureDatabase(f.names.fleet)
  const res = await fetch(`${influxd.url}/write?db=${f.names.fleet}&precision=ms`, {
    method: 'POST',
    body: `drives,slc=X used_percent="full" ${T0}`,
  })
  assert.is(res.status, 204)
  f.apply(someEvents(slc, serverIds[0]!))

  await f.drainAll()
  assert.is(f.outbox.backlog(), 0)
  assert.is(await count(f, 'SELECT count("event_id") FROM "events"'), 10, 'the good points went in')
  const dead = f.outbox.deadLetters(10)
  assert.is(dead.length, 1)
  assert.is(dead[0]!.database, f.names.fleet)
  assert.match(dead[0]!.line, /^drives,/)
  assert.match(dead[0]!.error, /field type conflict/)
  assert.is(f.metrics.value('vigil_influx_points_rejected_total'), 1)
  const logged = f.logs.find((l) => l.event === 'influxPointRejected')!
  assert.equal(
    [logged.level, logged.slc, logged.serverId, logged.cause],
    ['error', slc, serverIds[0], `${serverIds[0]}#1`],
  )

  // Once the operator removes the wrong series, the dead letter goes in under its old key.
  await f.http.query({ text: 'DROP MEASUREMENT "drives"', params: {} }, f.names.fleet)
  assert.is(f.outbox.requeueDeadLetters(), 1)
  await f.drainAll()
  assert.is(await count(f, 'SELECT count("used_percent") FROM "drives"'), 1)
  assert.is(await count(f, 'SELECT count("cameras_online") FROM "health"'), 1, 'not doubled')
  assert.equal(f.outbox.deadLetters(10), [])
})

test('writes a backlog of many lines in bounded batches, whole rows at a time', async () => {
  const f = historyFixture(influxd, { now: T0 + 3600_000, drain: { batchLines: 4 } })
  fixtures.push(f)
  const { slc, serverIds } = f.site('Reseller K', 'SLC-K1', ['Recorder'])
  f.apply(someEvents(slc, serverIds[0]!))
  const status = eventsOf(slc, serverIds[0]!).status(T0 + 20_000, 2, {
    drives: Array.from({ length: 6 }, (_, i) => ({ name: `Drive ${i}`, usedPercent: i })),
  })
  f.apply([status])

  let cycles = 0
  while ((await f.drain.drainOnce()) === 'written') cycles++
  assert.is(cycles, 4, 'at most four lines per batch unless one row has more; that row goes alone')
  assert.is(await count(f, 'SELECT count("event_id") FROM "events"'), 10)
  assert.is(await count(f, 'SELECT count("used_percent") FROM "drives"'), 7)
})

test('dead-letters an unreadable outbox row and writes the rows around it', async () => {
  const f = fixture()
  const { slc, serverIds } = f.site('Reseller G', 'SLC-G1', ['Recorder'])
  const e = eventsOf(slc, serverIds[0]!)
  f.apply([e.raised(T0, 'drive-full', 'D:')])
  const insert = f.db.prepare('INSERT INTO outbox (event, created_at) VALUES (?, ?)')
  insert.run('{"type":', T0)
  insert.run('{"type":"surprise"}', T0)
  f.apply([e.cleared(T0 + 1000, 'drive-full', 'D:', T0)])

  await f.drainAll()
  assert.is(await count(f, 'SELECT count("event_id") FROM "events"'), 2)
  const dead = f.outbox
    .deadLetters(10)
    .map((d) => d.event)
    .sort()
  assert.equal(dead, ['{"type":', '{"type":"surprise"}'])
})

test('creates a missing reseller database with its reader on first write', async () => {
  const f = fixture()
  const { slc, serverIds, resellerId } = f.site('Reseller H', 'SLC-H1', ['Recorder'])
  f.apply(someEvents(slc, serverIds[0]!))
  await f.drainAll()
  const database = f.names.reseller(resellerId)
  assert.is(await count(f, 'SELECT count("event_id") FROM "events"', database), 10)
  const users = await f.http.query({ text: 'SHOW USERS', params: {} })
  assert.ok(
    users.series![0]!.values.some((v) => v[0] === database && v[1] === false),
    'a reader that is not an admin',
  )
})

test.run()
