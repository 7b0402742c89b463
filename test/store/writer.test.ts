import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { VigilEvent } from '../../core/events.ts'
import { createMemoryLogger } from '../../core/logger.ts'
import { Metrics } from '../../core/metrics.ts'
import { openDb, type Db } from '../../store/db.ts'
import { Registry } from '../../store/registry.ts'
import { StateStore } from '../../store/state.ts'
import { BatchWriter } from '../../store/writer.ts'
import { eventually, startTestVigil } from '../helpers/vigil.ts'

const test = suite('store writer')

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-writer-'))
  const db = openDb(dir)
  const registry = new Registry(db)
  const { reseller } = registry.createReseller('W')
  const { enrollmentCode } = registry.registerInstallation(reseller.id, 'SLC-W1', 'Customer')
  const server = registry.enroll({
    slc: 'SLC-W1',
    enrollmentCode,
    serverName: 'R',
    acceptedBy: 'x',
    heartbeatIntervalMs: 60_000,
  })
  const metrics = new Metrics()
  const { logger, lines } = createMemoryLogger()
  const writer = new BatchWriter(
    new StateStore(db),
    { batchSize: 100, flushMs: 5, maxBufferedEvents: 1000, outbox: false },
    logger,
    metrics,
  )
  const close = () => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return { db, writer, metrics, lines, serverId: server.serverId, close }
}

const raised = (serverId: string, subject: string, at = 1000): VigilEvent => ({
  type: 'conditionRaised',
  at,
  slc: 'SLC-W1',
  serverId,
  cause: `test/${subject}`,
  kind: 'drive-full',
  subject,
  details: {},
})

function count(db: Db, sql: string) {
  return (db.prepare(sql).get() as { n: number }).n
}

test('writes the events of a server removed mid-flight as history, without state', () => {
  const s = setup()
  s.writer.push(raised('s-gone', 'D:'))
  s.writer.push(raised(s.serverId, 'E:'))
  assert.ok(s.writer.flush())
  assert.is(count(s.db, 'SELECT COUNT(*) AS n FROM conditions'), 1)
  assert.is(count(s.db, 'SELECT COUNT(*) AS n FROM events'), 2)
  s.close()
})

test('sets aside an event the store can never take and writes all the others', () => {
  const s = setup()
  // A trigger stands in for any constraint one event breaks (SQLITE_CONSTRAINT_TRIGGER).
  s.db.exec(`CREATE TRIGGER refuse_poison BEFORE INSERT ON events WHEN NEW.subject = 'poison'
    BEGIN SELECT RAISE(ABORT, 'poison'); END`)

  for (const subject of ['A', 'poison', 'B']) s.writer.push(raised(s.serverId, subject))
  assert.ok(s.writer.flush(), 'the batch is done: nothing waits behind the poison')
  assert.is(count(s.db, 'SELECT COUNT(*) AS n FROM events'), 2)
  assert.is(count(s.db, 'SELECT COUNT(*) AS n FROM rejected_events'), 1)
  assert.is(s.metrics.value('vigil_events_rejected_total', { type: 'conditionRaised' }), 1)
  assert.ok(s.lines.some((l) => l.level === 'error' && l.event === 'eventRejected'))
  assert.ok(s.writer.healthy)

  s.writer.push(raised(s.serverId, 'C'))
  assert.ok(s.writer.flush(), 'later batches go through')
  assert.is(count(s.db, 'SELECT COUNT(*) AS n FROM events'), 3)
  s.close()
})

test('keeps events and reports the store unhealthy while it cannot write at all', () => {
  const s = setup()
  // A store that takes no writes at all, as with a full or read-only disk.
  s.db.pragma('query_only = ON')
  s.writer.push(raised(s.serverId, 'A'))
  assert.not.ok(s.writer.flush())
  assert.not.ok(s.writer.healthy)
  assert.is(s.writer.pending, 1)

  s.db.pragma('query_only = OFF')
  assert.ok(s.writer.flush())
  assert.ok(s.writer.healthy)
  assert.is(count(s.db, 'SELECT COUNT(*) AS n FROM events'), 1)
  s.close()
})

test('removing a busy server never stops the writes of the others', async () => {
  const t = await startTestVigil()
  const site = await t.site()
  const busy = await site.enroll('Busy')
  const other = await site.enroll('Other')
  const busyAgent = await site.agent(busy)
  const otherAgent = await site.agent(other)
  const written = () => t.vigil.metrics.value('vigil_events_written_total')

  const flood = Promise.all(Array.from({ length: 30 }, () => busyAgent.heartbeat()))
  await t.api(`/api/operator/servers/${busy.serverId}`, {
    method: 'DELETE',
    token: t.operatorToken,
  })
  await flood

  const before = written()
  await otherAgent.setConditions([{ kind: 'drive-full', subject: 'D:' }])
  await eventually(() => {
    t.vigil.flush()
    assert.ok(written() > before)
  })
  const health = await t.api('/healthz')
  assert.is(health.status, 200)
  await t.close()
})

test('prunes history past its retention and keeps the current state', () => {
  const s = setup()
  const state = new StateStore(s.db)
  state.apply([raised(s.serverId, 'old', 1_000), raised(s.serverId, 'new', 9_000)])
  assert.is(state.pruneHistory(5_000), 1)
  assert.is(count(s.db, 'SELECT COUNT(*) AS n FROM events'), 1)
  assert.is(count(s.db, 'SELECT COUNT(*) AS n FROM conditions'), 2, 'active conditions stay')
  s.close()
})

test.run()
