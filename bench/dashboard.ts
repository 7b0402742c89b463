/**
 * The dashboard at fleet scale (issue 4): one reseller with 5,000
 * installations (two recording servers each, one in ten in error) in a real
 * SQLite store, served by the real Hono app. Prints server time per page
 * (read + render + gzip, as a browser would ask for it) and payload sizes.
 *
 *   node --import tsx bench/dashboard.ts [installations]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Subject } from 'rxjs'
import { createApp } from '../api/app.ts'
import { renderRow } from '../api/dashboard/overview.tsx'
import type { VigilEvent } from '../core/events.ts'
import { createJsonLogger } from '../core/logger.ts'
import { Metrics } from '../core/metrics.ts'
import { openDb, type Db } from '../store/db.ts'
import { EmbeddedHistory } from '../store/history.ts'
import { Registry } from '../store/registry.ts'
import { ResellerViews } from '../store/views.ts'

const installations = Number(process.argv[2] ?? 5_000)
const now = Date.parse('2026-01-05T08:00:00Z')
const runs = 15

/** Writes the fleet straight into SQLite: registering it through scrypt would take minutes. */
function seed(db: Db, resellerId: string) {
  const insert = {
    installation: db.prepare(`INSERT INTO installations (slc, reseller_id, customer_name,
      enrollment_code_hash, subscription_expires_at, accepted, created_at)
      VALUES (?, ?, ?, 'x', ?, 1, ?)`),
    server: db.prepare(`INSERT INTO servers (id, slc, name, secret_hash, heartbeat_interval_ms,
      enrolled_at) VALUES (?, ?, ?, 'x', 60000, ?)`),
    state: db.prepare(`INSERT INTO server_state (server_id, last_seen_at, unavailable_since)
      VALUES (?, ?, ?)`),
    condition: db.prepare(`INSERT INTO conditions (server_id, kind, subject, details, raised_at)
      VALUES (?, ?, ?, ?, ?)`),
  }
  const trades = ['Storage', 'Logistics', 'Bakery', 'Clinic', 'Parking', 'School', 'Marina']
  db.transaction(() => {
    for (let i = 0; i < installations; i++) {
      const slc = `SLC-${String(i).padStart(5, '0')}`
      insert.installation.run(
        slc,
        resellerId,
        `Customer ${i} ${trades[i % trades.length]}`,
        now + 365 * 86_400_000,
        now - 90 * 86_400_000,
      )
      for (const n of [1, 2]) {
        const id = `s-${i}-${n}`
        const silent = i % 10 === 0 && n === 1
        insert.server.run(id, slc, `Recorder ${n}`, now - 90 * 86_400_000)
        insert.state.run(
          id,
          silent ? now - 2 * 3600_000 : now - 20_000,
          silent ? now - 2 * 3600_000 : null,
        )
        if (i % 10 === 3 && n === 2) {
          for (const cam of ['Gate', 'Loading bay']) {
            insert.condition.run(id, 'camera-unreachable', cam, '{}', now - 40 * 60_000)
          }
        }
        if (i % 20 === 7 && n === 1) {
          insert.condition.run(id, 'drive-full', 'D:', '{"usedPercent":99}', now - 5 * 3600_000)
        }
      }
    }
  })()
}

function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-dashboard-'))
  const db = openDb(dataDir)
  const registry = new Registry(db, () => now)
  const { reseller, token } = registry.createReseller('Bench Security')
  seed(db, reseller.id)

  const app = createApp({
    registry,
    views: new ResellerViews(db),
    history: new EmbeddedHistory(db, () => now),
    metrics: new Metrics(),
    logger: createJsonLogger({ level: 'error' }),
    committed$: new Subject<VigilEvent[]>(),
    forgetServer: () => undefined,
    watchServer: () => undefined,
    health: () => ({}),
    enrollment: { heartbeatIntervalMs: 60_000, mqttUrl: 'mqtts://localhost:8883', caPem: '' },
    now: () => now,
  })
  return { app, db, views: new ResellerViews(db), resellerId: reseller.id, token, dataDir }
}

async function measure(label: string, run: () => Promise<number>) {
  for (let i = 0; i < 3; i++) await run()
  const times: number[] = []
  let bytes = 0
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    bytes = await run()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]!
  const worst = times[times.length - 1]!
  console.log(
    `${label.padEnd(44)} median ${median.toFixed(1).padStart(6)} ms   ` +
      `max ${worst.toFixed(1).padStart(6)} ms   ${(bytes / 1024).toFixed(1).padStart(7)} KB`,
  )
}

const bench = setup()
const cookie = `vigil_session=${bench.token}`
const page = (path: string, gzip: boolean) => async () => {
  const res = await bench.app.request(path, {
    headers: { cookie, ...(gzip ? { 'accept-encoding': 'gzip' } : {}) },
  })
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`)
  return (await res.arrayBuffer()).byteLength
}

console.log(
  `${installations} installations, ${installations * 2} servers, ` +
    `${bench.views.countInstallations(bench.resellerId, now).inError} in error; ` +
    `${runs} runs each\n`,
)

await measure('overview, in error (default), gzip', page('/', true))
await measure('overview, in error (default), uncompressed', page('/', false))
await measure('overview, show all, gzip', page('/?all=1', true))
await measure('overview, show all, uncompressed', page('/?all=1', false))
await measure('overview, show all, search "bakery", gzip', page('/?all=1&q=bakery', true))
await measure('installation page, gzip', page('/installations/SLC-00010', true))

await measure('read only: listInstallations (all)', async () => {
  bench.views.listInstallations(bench.resellerId, { all: true })
  return 0
})
await measure('live: counts query', async () => {
  bench.views.countInstallations(bench.resellerId, now)
  return 0
})
await measure('live: one changed row (scoped read + render)', async () => {
  const view = bench.views.installation(bench.resellerId, 'SLC-00010')!
  return (await renderRow(view, 'Europe/Amsterdam', now)).length
})

bench.db.close()
rmSync(bench.dataDir, { recursive: true, force: true })
