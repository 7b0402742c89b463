/**
 * Current state and embedded history, written from pipeline events. One batch
 * is one transaction, so state and history never disagree.
 */
import type { Condition, ConditionDetails } from '../core/conditions.ts'
import { historyEventTypes, type VigilEvent } from '../core/events.ts'
import type { Db } from './db.ts'

/** What an actor needs to resume after a restart. */
export interface ServerSnapshot {
  serverId: string
  slc: string
  heartbeatIntervalMs: number
  lastSeenAt: number | null
  /** Set when restored: Vigil's start-up, from which silence counts again. */
  watchedSince?: number
  lastSeq: number
  unavailableSince: number | null
  conditions: Array<Condition & { raisedAt: number }>
}

export class StateStore {
  readonly #db: Db
  readonly #apply: (events: VigilEvent[], outbox: boolean) => void
  readonly #statements

  constructor(db: Db) {
    this.#db = db
    this.#statements = {
      // Events of a server removed while they were in flight change no state:
      // each write first checks that the server still exists.
      seen: db.prepare(
        `INSERT INTO server_state (server_id, last_seen_at) SELECT $id, $value
         WHERE EXISTS (SELECT 1 FROM servers WHERE id = $id)
         ON CONFLICT(server_id) DO UPDATE
           SET last_seen_at = MAX(COALESCE(last_seen_at, 0), excluded.last_seen_at)`,
      ),
      seq: db.prepare(
        `INSERT INTO server_state (server_id, last_seq) SELECT $id, $value
         WHERE EXISTS (SELECT 1 FROM servers WHERE id = $id)
         ON CONFLICT(server_id) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq)`,
      ),
      unavailable: db.prepare(
        `INSERT INTO server_state (server_id, unavailable_since) SELECT $id, $value
         WHERE EXISTS (SELECT 1 FROM servers WHERE id = $id)
         ON CONFLICT(server_id) DO UPDATE SET unavailable_since = excluded.unavailable_since`,
      ),
      raise: db.prepare(
        `INSERT INTO conditions (server_id, kind, subject, details, raised_at)
         SELECT $id, $kind, $subject, $details, $at
         WHERE EXISTS (SELECT 1 FROM servers WHERE id = $id)
         ON CONFLICT(server_id, kind, subject) DO UPDATE SET details = excluded.details`,
      ),
      clear: db.prepare('DELETE FROM conditions WHERE server_id = ? AND kind = ? AND subject = ?'),
      history: db.prepare(
        `INSERT INTO events (at, slc, server_id, type, kind, subject, details, started_at,
           duration_ms, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      outbox: db.prepare('INSERT INTO outbox (event, created_at) VALUES (?, ?)'),
    }
    this.#apply = db.transaction((events: VigilEvent[], outbox: boolean) => {
      for (const event of events) this.#applyOne(event, outbox)
    })
  }

  /** Writes a batch atomically; with `outbox`, each event is also queued for the history store. */
  apply(events: VigilEvent[], outbox = false): void {
    this.#apply(events, outbox)
  }

  /** Deletes embedded history older than `before`; current state is never pruned. */
  pruneHistory(before: number): number {
    return this.#db.prepare('DELETE FROM events WHERE at < ?').run(before).changes
  }

  /** Keeps an event the store could not take, with why, for an operator to look at. */
  setAside(event: VigilEvent, why: string): void {
    this.#db
      .prepare('INSERT INTO rejected_events (event, why, at) VALUES (?, ?, ?)')
      .run(JSON.stringify(event), why, event.at)
  }

  snapshot(): Map<string, ServerSnapshot> {
    const snapshots = new Map<string, ServerSnapshot>()
    const rows = this.#db
      .prepare(
        `SELECT s.id AS serverId, s.slc, s.heartbeat_interval_ms AS heartbeatIntervalMs,
           st.last_seen_at AS lastSeenAt, COALESCE(st.last_seq, 0) AS lastSeq,
           st.unavailable_since AS unavailableSince
         FROM servers s LEFT JOIN server_state st ON st.server_id = s.id`,
      )
      .all() as Array<Omit<ServerSnapshot, 'conditions'>>
    for (const row of rows) snapshots.set(row.serverId, { ...row, conditions: [] })

    const conditions = this.#db
      .prepare(
        `SELECT server_id AS serverId, kind, subject, details, raised_at AS raisedAt
         FROM conditions`,
      )
      .all() as Array<{
      serverId: string
      kind: string
      subject: string
      details: string
      raisedAt: number
    }>
    for (const c of conditions) {
      snapshots.get(c.serverId)?.conditions.push({
        kind: c.kind as Condition['kind'],
        subject: c.subject,
        details: JSON.parse(c.details) as ConditionDetails,
        raisedAt: c.raisedAt,
      })
    }
    return snapshots
  }

  #applyOne(event: VigilEvent, outbox: boolean) {
    const s = this.#statements
    switch (event.type) {
      case 'heartbeatReceived':
        s.seen.run({ id: event.serverId, value: event.at })
        break
      case 'statusReceived':
        s.seen.run({ id: event.serverId, value: event.at })
        s.seq.run({ id: event.serverId, value: event.seq })
        break
      case 'serverUnavailable':
        s.unavailable.run({ id: event.serverId, value: event.lastSeenAt })
        break
      case 'serverAvailable':
        s.unavailable.run({ id: event.serverId, value: null })
        break
      case 'conditionRaised':
        s.raise.run({
          id: event.serverId,
          kind: event.kind,
          subject: event.subject,
          details: JSON.stringify(event.details),
          at: event.at,
        })
        break
      case 'conditionCleared':
        s.clear.run(event.serverId, event.kind, event.subject)
        break
    }

    if (historyEventTypes.has(event.type)) this.#record(event)
    // Heartbeats reach the history store as per-minute uptime, not one by one.
    if (outbox && event.type !== 'heartbeatReceived') s.outbox.run(JSON.stringify(event), event.at)
  }

  #record(event: VigilEvent) {
    const kind = 'kind' in event ? event.kind : null
    const subject = 'subject' in event ? event.subject : null
    const details = event.type === 'conditionRaised' ? JSON.stringify(event.details) : null
    const startedAt =
      event.type === 'serverAvailable'
        ? event.outage.startedAt
        : event.type === 'serverUnavailable'
          ? event.lastSeenAt
          : event.type === 'conditionCleared'
            ? event.raisedAt
            : null
    const durationMs = event.type === 'serverAvailable' ? event.outage.durationMs : null
    this.#statements.history.run(
      event.at,
      event.slc,
      event.serverId,
      event.type,
      kind,
      subject,
      details,
      startedAt,
      durationMs,
      event.cause,
    )
  }
}
