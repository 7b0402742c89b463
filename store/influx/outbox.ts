/**
 * The durable outbox between the store and InfluxDB (DESIGN.md: when the
 * history store is down, events wait here). StateStore fills it in the same
 * transaction as the state; the uptime ticker adds its minutes; the drain
 * takes rows in id order and removes them only once InfluxDB has them. A line
 * InfluxDB refuses as malformed goes to a dead-letter table for a human.
 */
import type { Db } from '../db.ts'
import type { HistoryRecord } from './points.ts'

export interface OutboxRow {
  id: number
  event: string
}

export interface DeadLetter {
  outboxId: number
  event: string
  database: string
  line: string
  error: string
}

const schema = `
CREATE TABLE IF NOT EXISTS influx_dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  outbox_id INTEGER NOT NULL,
  event TEXT NOT NULL,
  database TEXT NOT NULL,
  line TEXT NOT NULL,
  error TEXT NOT NULL,
  at INTEGER NOT NULL
);
`

export class Outbox {
  readonly #db: Db
  readonly #now: () => number
  readonly #statements

  constructor(db: Db, now: () => number = Date.now) {
    this.#db = db
    this.#now = now
    db.exec(schema)
    this.#statements = {
      take: db.prepare('SELECT id, event FROM outbox ORDER BY id LIMIT ?'),
      append: db.prepare('INSERT INTO outbox (event, created_at) VALUES (?, ?)'),
      remove: db.prepare('DELETE FROM outbox WHERE id BETWEEN ? AND ?'),
      dead: db.prepare(
        `INSERT INTO influx_dead_letters (outbox_id, event, database, line, error, at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      backlog: db.prepare('SELECT COUNT(*) AS n FROM outbox'),
    }
  }

  /** The oldest rows, at most `limit`. */
  take(limit: number): OutboxRow[] {
    return this.#statements.take.all(limit) as OutboxRow[]
  }

  append(record: HistoryRecord): void {
    this.#statements.append.run(JSON.stringify(record), this.#now())
  }

  /**
   * Ends a taken batch in one transaction: its dead letters are kept, its
   * rows removed. Taken rows are the lowest ids, so the range is exact.
   */
  settle(rows: OutboxRow[], dead: DeadLetter[]): void {
    if (rows.length === 0) return
    const first = rows[0]!.id
    const last = rows[rows.length - 1]!.id
    this.#db.transaction(() => {
      const at = this.#now()
      for (const d of dead) {
        this.#statements.dead.run(d.outboxId, d.event, d.database, d.line, d.error, at)
      }
      this.#statements.remove.run(first, last)
    })()
  }

  backlog(): number {
    return (this.#statements.backlog.get() as { n: number }).n
  }

  deadLetters(limit: number): Array<DeadLetter & { id: number; at: number }> {
    return this.#db
      .prepare(
        `SELECT id, outbox_id AS outboxId, event, database, line, error, at
         FROM influx_dead_letters ORDER BY id DESC LIMIT ?`,
      )
      .all(limit) as Array<DeadLetter & { id: number; at: number }>
  }

  /**
   * Puts dead-lettered records back in the outbox once someone fixed the
   * cause, under their old ids: the same ids give the same timestamps, so
   * lines already written are overwritten, not doubled.
   */
  requeueDeadLetters(): number {
    return this.#db.transaction(() => {
      const rows = this.#db
        .prepare(
          `SELECT outbox_id AS id, MIN(event) AS event FROM influx_dead_letters
           GROUP BY outbox_id ORDER BY outbox_id`,
        )
        .all() as OutboxRow[]
      const restore = this.#db.prepare(
        'INSERT OR IGNORE INTO outbox (id, event, created_at) VALUES (?, ?, ?)',
      )
      for (const row of rows) restore.run(row.id, row.event, this.#now())
      this.#db.prepare('DELETE FROM influx_dead_letters').run()
      return rows.length
    })()
  }
}
