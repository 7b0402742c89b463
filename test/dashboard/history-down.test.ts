/**
 * The installation page and its live stream while the history store is down:
 * the current state comes from SQLite, so it is still shown, with a note in
 * place of the history. Runs the app with app.request() and a History stub.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Subject } from 'rxjs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp } from '../../api/app.ts'
import type { VigilEvent } from '../../core/events.ts'
import { createMemoryLogger } from '../../core/logger.ts'
import { Metrics } from '../../core/metrics.ts'
import { openDb, type Db } from '../../store/db.ts'
import type { History } from '../../store/history.ts'
import { Registry } from '../../store/registry.ts'
import { ResellerViews } from '../../store/views.ts'

const test = suite('dashboard without history')
const now = Date.parse('2026-01-05T08:00:00Z')
const slc = 'SLC-history-down'
let dir: string
let db: Db
let token: string

const failing: History = {
  events: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8086')),
  outages: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8086')),
  availability: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8086')),
}
const hanging: History = {
  events: () => new Promise(() => {}),
  outages: () => new Promise(() => {}),
  availability: () => new Promise(() => {}),
}

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-history-down-'))
  db = openDb(dir)
  const registry = new Registry(db, () => now)
  const created = registry.createReseller('Outage Security')
  token = created.token
  const { enrollmentCode } = registry.registerInstallation(created.reseller.id, slc, 'Dune Bakery')
  registry.setSubscription(slc, now + 365 * 24 * 3600_000)
  const { serverId } = registry.enroll({
    slc,
    enrollmentCode,
    serverName: 'Recorder 1',
    acceptedBy: 'site admin',
    heartbeatIntervalMs: 60_000,
  })
  db.prepare('INSERT INTO server_state (server_id, last_seen_at) VALUES (?, ?)').run(
    serverId,
    now - 30_000,
  )
  db.prepare(
    `INSERT INTO conditions (server_id, kind, subject, details, raised_at)
    VALUES (?, 'drive-full', 'D:', '{}', ?)`,
  ).run(serverId, now - 3_600_000)
})
test.after(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

function appWith(history: History) {
  const committed$ = new Subject<VigilEvent[]>()
  const { logger, lines } = createMemoryLogger('debug')
  const app = createApp({
    registry: new Registry(db, () => now),
    views: new ResellerViews(db),
    history,
    metrics: new Metrics(),
    logger,
    committed$,
    forgetServer: () => {},
    watchServer: () => {},
    health: () => ({}),
    enrollment: { heartbeatIntervalMs: 60_000, mqttUrl: '', caPem: '' },
    now: () => now,
  })
  return { app, committed$, lines }
}

const session = () => ({ headers: { cookie: `vigil_session=${token}` } })

function assertCurrentStateWithoutHistory(html: string) {
  assert.match(html, /Dune Bakery/)
  assert.match(html, /Recorder 1/)
  assert.match(html, /drive D: full/)
  assert.match(html, /History is unavailable right now/)
  assert.not.match(html, /Nothing has happened here yet/, 'no pretence of an empty history')
}

test('renders the current state with a note when the history store fails', async () => {
  const { app, lines } = appWith(failing)
  const res = await app.request(`/installations/${slc}`, session())
  assert.is(res.status, 200)
  assertCurrentStateWithoutHistory(await res.text())
  assert.ok(
    lines.some((l) => l.event === 'historyUnavailable' && l.level === 'warn'),
    'a warning is logged',
  )
})

test('gives up on a history store that does not answer, within seconds', async () => {
  const { app } = appWith(hanging)
  const started = Date.now()
  const res = await app.request(`/installations/${slc}`, session())
  assert.is(res.status, 200)
  assert.ok(Date.now() - started < 5_000, `answered in ${Date.now() - started} ms`)
  assertCurrentStateWithoutHistory(await res.text())
})

test("keeps the installation's live stream sending while the history store fails", async () => {
  const { app, committed$ } = appWith(failing)
  const res = await app.request(`/live?slc=${slc}`, session())
  assert.is(res.status, 200)
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let text = ''
  const readUntil = async (count: number) => {
    while ((text.match(/event: installation/g) ?? []).length < count) {
      const { value, done } = await reader.read()
      if (done) throw new Error(`the stream ended; got ${text}`)
      text += value
    }
  }

  await readUntil(1)
  committed$.next([
    {
      type: 'conditionCleared',
      at: now,
      slc,
      serverId: 'any',
      cause: 'test',
      kind: 'drive-full',
      subject: 'D:',
      raisedAt: now - 3_600_000,
    },
  ])
  await readUntil(2)
  assert.match(text, /History is unavailable right now/)
  committed$.complete()
  await reader.cancel()
})

test.run()
