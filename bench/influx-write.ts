/**
 * The InfluxDB write path (issue 3) against a real influxd on loopback:
 * events into the outbox (the StateStore transaction), the drain into the
 * fleet and reseller databases, and the uptime minute of a large fleet.
 *
 *   node --import tsx bench/influx-write.ts [events] [servers]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualScheduler } from '../core/clock.ts'
import type { VigilEvent } from '../core/events.ts'
import { createJsonLogger } from '../core/logger.ts'
import { Metrics } from '../core/metrics.ts'
import { openDb, type Db } from '../store/db.ts'
import { InfluxHttp } from '../store/influx/http.ts'
import { InfluxNames } from '../store/influx/provision.ts'
import { wireDrain } from '../store/influx/setup.ts'
import { UptimeTicker } from '../store/influx/uptime.ts'
import { StateStore } from '../store/state.ts'
import { startInfluxd } from '../test/helpers/influxd.ts'

const eventCount = Number(process.argv[2] ?? 100_000)
const serverCount = Number(process.argv[3] ?? 10_000)
const resellers = 20
const T0 = Date.parse('2026-01-05T08:00:00Z')

/** Registry rows straight in SQL: enrollment's scrypt would dominate the set-up. */
function seedRegistry(db: Db) {
  const insert = {
    reseller: db.prepare(
      'INSERT INTO resellers (id, name, token_hash, created_at) VALUES (?, ?, ?, 0)',
    ),
    installation: db.prepare(`INSERT INTO installations (slc, reseller_id, customer_name,
      enrollment_code_hash, accepted, created_at) VALUES (?, ?, ?, 'x', 1, 0)`),
    server: db.prepare(`INSERT INTO servers (id, slc, name, secret_hash, heartbeat_interval_ms,
      enrolled_at) VALUES (?, ?, ?, 'x', 60000, 0)`),
  }
  db.transaction(() => {
    for (let r = 0; r < resellers; r++) insert.reseller.run(`r-${r}`, `Reseller ${r}`, `hash-${r}`)
    for (let i = 0; i < serverCount; i++) {
      const slc = `SLC-${Math.floor(i / 2)}`
      if (i % 2 === 0) insert.installation.run(slc, `r-${i % resellers}`, `Customer, "${i}"`)
      insert.server.run(`s-${i}`, slc, `Recorder ${i % 2}`)
    }
  })()
}

const slcOf = (server: number) => `SLC-${Math.floor(server / 2)}`

function eventFor(n: number): VigilEvent {
  const i = n % serverCount
  const base = { at: T0 + n, slc: slcOf(i), serverId: `s-${i}`, cause: `s-${i}#${n}` }
  const subject = `Cam ${n % 32}`
  if (n % 5 === 4) {
    const drives = [
      { name: 'D:', usedPercent: 71.5 },
      { name: 'E:', usedPercent: 12 },
    ]
    return {
      ...base,
      type: 'statusReceived',
      seq: n,
      figures: {
        drives,
        cameras: { online: 30, total: 32 },
        licenses: { used: 32, available: 32 },
      },
    }
  }
  return n % 5 < 2
    ? {
        ...base,
        type: 'conditionRaised',
        kind: 'camera-unreachable',
        subject,
        details: { ip: '10.0.0.7' },
      }
    : { ...base, type: 'conditionCleared', kind: 'camera-unreachable', subject, raisedAt: T0 }
}

async function main() {
  const influxd = await startInfluxd()
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'))
  const db = openDb(dir)
  try {
    seedRegistry(db)
    const logger = createJsonLogger({ level: 'error' })
    const metrics = new Metrics()
    const http = new InfluxHttp({ url: influxd.url, bindParams: true, timeoutMs: 30_000 })
    const names = new InfluxNames('vigil')
    const { provisioner, outbox, drain } = wireDrain({
      db,
      http,
      names,
      provisioning: 'influxql',
      logger,
      metrics,
    })
    await provisioner.reconcile(Array.from({ length: resellers }, (_, r) => `r-${r}`))

    const state = new StateStore(db)
    // The first pass creates every series; the second writes to existing ones (steady state).
    for (const pass of ['new series', 'existing series']) {
      const offset = pass === 'new series' ? 0 : eventCount
      let started = performance.now()
      for (let n = 0; n < eventCount; n += 500) {
        const size = Math.min(500, eventCount - n)
        state.apply(
          Array.from({ length: size }, (_, k) => eventFor(offset + n + k)),
          true,
        )
      }
      const applyMs = performance.now() - started
      console.log(
        `outbox (${pass}): ${eventCount} events in ${ms(applyMs)}` +
          ` (${rate(eventCount, applyMs)} events/s, state + history + outbox)`,
      )

      const before = metrics.value('vigil_influx_points_written_total')
      started = performance.now()
      while ((await drain.drainOnce()) === 'written') {
        /* until empty */
      }
      const drainMs = performance.now() - started
      const lines = metrics.value('vigil_influx_points_written_total') - before
      console.log(
        `drain (${pass}): ${eventCount} events, ${lines} lines (fleet + reseller ` +
          `databases) in ${ms(drainMs)} = ${rate(eventCount, drainMs)} events/s, ` +
          `${rate(lines, drainMs)} lines/s`,
      )
    }

    const scheduler = new ManualScheduler(T0)
    const ticker = new UptimeTicker(scheduler, (record) => outbox.append(record))
    for (let i = 0; i < serverCount; i++) {
      ticker.observe({
        type: 'heartbeatReceived',
        at: T0,
        slc: slcOf(i),
        serverId: `s-${i}`,
        cause: 'hb',
      })
    }
    const ticking = ticker.start()
    let started = performance.now()
    scheduler.advanceBy(2 * 60_000)
    const tickMs = performance.now() - started
    started = performance.now()
    while ((await drain.drainOnce()) === 'written') {
      /* until empty */
    }
    console.log(
      `uptime: a minute of ${serverCount} servers costs ${ms(tickMs / 2)} to record and ` +
        `${ms((performance.now() - started) / 2)} to write`,
    )
    ticking.unsubscribe()
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
    await influxd.stop()
  }
}

const ms = (value: number) => `${value.toFixed(0)} ms`
const rate = (count: number, elapsedMs: number) =>
  Math.round(count / (elapsedMs / 1000)).toLocaleString('en')

await main()
