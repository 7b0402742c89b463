import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Agent } from '../../agent/agent.ts'
import type { VigilEvent } from '../../core/events.ts'
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts'
import { eventually, startTestVigil, type TestSite, type TestVigil } from '../helpers/vigil.ts'

const test = suite('InfluxDB history end to end')
const min = 60_000
let influxd: TestInfluxd
let t: TestVigil
const committed: VigilEvent[] = []

test.before(async () => {
  influxd = await startInfluxd()
  t = await startTestVigil({ influxUrl: influxd.url, influxRetryMaxMs: 200 })
  follow()
})

test.after(async () => {
  await t.close()
  await influxd.stop()
})

/** Every event Vigil committed, across restarts. */
function follow() {
  t.vigil.committed$.subscribe((batch) => committed.push(...batch))
}

async function query(q: string): Promise<Array<Record<string, unknown>>> {
  const result = (await fetch(
    `${influxd.url}/query?${new URLSearchParams({
      q,
      db: t.vigil.options.influxDatabase,
      epoch: 'ms',
    })}`,
  ).then((r) => r.json())) as {
    results: Array<{
      series?: Array<{ tags?: Record<string, string>; columns: string[]; values: unknown[][] }>
    }>
  }
  return (result.results[0]!.series ?? []).flatMap((s) =>
    s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })),
  )
}

/** Heartbeats from the agents that are not silent, then a minute of virtual time. */
async function minutes(n: number, agents: Agent[]) {
  for (let i = 0; i < n; i++) {
    for (const agent of agents) await agent.heartbeat()
    await t.settle(30)
    t.scheduler.advanceBy(min)
  }
}

async function statusBurst(agent: Agent, from: number, count: number) {
  for (let i = from; i < from + count; i++) {
    await agent.setConditions([{ kind: 'camera-unreachable', subject: `Cam ${i % 7}` }], {
      cameras: { online: i % 40, total: 40 },
      drives: [{ name: 'D:', usedPercent: i % 100 }],
    })
  }
}

test('delivers every event exactly once across an InfluxDB crash and a Vigil restart', async () => {
  const site: TestSite = await t.site({ reseller: 'Echo', customer: 'Harbour, "North" \\ Depot' })
  const c1 = await site.enroll('Recorder 1')
  const c2 = await site.enroll('Recorder 2')
  let a1 = await site.agent(c1)
  let a2 = await site.agent(c2)
  await minutes(3, [a1, a2])

  // InfluxDB dies while a burst of statuses is being written.
  await statusBurst(a1, 0, 10)
  await influxd.kill()
  await statusBurst(a1, 10, 10)

  // The pipeline and the API carry on: Recorder 2 goes silent and is marked unavailable.
  await minutes(5, [a1])
  await eventually(async () => {
    t.vigil.flush()
    const res = await t.api(`/api/installations/${site.slc}`, { token: site.token })
    const body = (await res.json()) as { unavailableServers: number; problems: unknown[] }
    assert.is(body.unavailableServers, 1)
  })
  assert.ok(t.vigil.influx!.outbox.backlog() > 0, 'events wait in the outbox')
  const failed = t.logs.filter((l) => l.event === 'influxWriteFailed' && l.level === 'warn')
  assert.ok(failed.length > 0, 'writes failed and will be retried')
  const history = await t.api(`/api/installations/${site.slc}/events`, { token: site.token })
  assert.is(history.status, 503, 'history reads say the history store is away...')
  assert.is(
    ((await history.json()) as { error: { code: string } }).error.code,
    'history-unavailable',
  )

  // Vigil itself restarts while InfluxDB is still down; the outbox survives.
  await t.restart()
  follow()
  const firstSeq = t.scheduler.now() + 1_000_000
  a1 = await site.agent(c1, { firstSeq })
  a2 = await site.agent(c2, { firstSeq })
  await statusBurst(a1, 20, 5)
  await minutes(2, [a1, a2])

  await influxd.start()
  await eventually(() => assert.is(t.vigil.influx!.outbox.backlog(), 0), 10_000)
  await t.settle(20)
  await eventually(() => assert.is(t.vigil.influx!.outbox.backlog(), 0), 10_000)

  // History events: the same multiset in SQLite and InfluxDB, no id twice.
  const stored = t.vigil.db
    .prepare(
      `SELECT type, COALESCE(kind, 'server-unavailable') AS kind, COALESCE(subject, '') AS subject,
       at, server_id AS serverId FROM events`,
    )
    .all() as Array<Record<string, unknown>>
  const written = await query(
    'SELECT "event_id", "type", "kind", "subject", "server_id" FROM "events"',
  )
  const key = (e: Record<string, unknown>) =>
    `${e.type}|${e.kind}|${e.subject ?? ''}|${e.at ?? e.time}|${e.serverId ?? e.server_id}`
  assert.equal(written.map(key).sort(), stored.map(key).sort())
  assert.is(new Set(written.map((e) => e.event_id)).size, written.length)
  assert.ok(
    written.some((e) => e.type === 'serverAvailable'),
    'the outage ended in history',
  )

  // Status figures: one health point per status with camera figures Vigil committed.
  const statuses = committed.filter((e) => e.type === 'statusReceived' && e.figures.cameras).length
  const [health] = await query('SELECT count("cameras_online") FROM "health"')
  assert.is(health!.count, statuses)
  assert.ok(statuses >= 25)

  // Uptime: every minute once per server, the silent minutes as down.
  const uptime = await query('SELECT "up", "server_id" FROM "uptime"')
  for (const serverId of [c1.serverId, c2.serverId]) {
    const times = uptime.filter((u) => u.server_id === serverId).map((u) => Number(u.time))
    assert.is(new Set(times).size, times.length)
    const span = (Math.max(...times) - Math.min(...times)) / min
    assert.is(times.length, span + 1, 'no minute missing')
  }
  const down = uptime.filter((u) => u.server_id === c2.serverId && u.up === 0)
  assert.ok(down.length >= 4, `${down.length} minutes down`)
})

test("answers the reseller API's history from InfluxDB, customer names intact", async () => {
  const site = await t.site({ reseller: 'Foxtrot', customer: 'Ünïcode, "quoted" \\ name' })
  const agent = await site.agent(await site.enroll('Cam server'))
  const subject = 'E:\\Archive "old"'
  await agent.setConditions([{ kind: 'drive-full', subject, details: { usedPercent: 99.5 } }])
  await eventually(async () => {
    t.vigil.flush()
    assert.is(t.vigil.influx!.outbox.backlog(), 0)
    const res = await t.api(`/api/installations/${site.slc}/events`, { token: site.token })
    const body = (await res.json()) as { items: Array<{ subject: string; details: unknown }> }
    assert.equal(
      body.items.map((e) => [e.subject, e.details]),
      [[subject, { usedPercent: 99.5 }]],
    )
  })
  const attack = encodeURIComponent(`${site.slc}' OR 'a'='a`)
  const injected = await t.api(`/api/installations/${attack}/events`, { token: site.token })
  assert.is(injected.status, 404)
  const [row] = await query(
    `SELECT count("event_id") FROM "events" WHERE "slc" = '${site.slc}' GROUP BY "customer"`,
  )
  assert.is(row!.customer, 'Ünïcode, "quoted" %5C name')
})

test.run()
