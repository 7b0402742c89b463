/**
 * History reads: events, outages and availability of one installation over a
 * time range. The embedded implementation reads SQLite; an InfluxDB one can
 * stand in with the same answers. Every read takes the reseller id and scopes
 * by it in the query.
 */
import type { Db } from './db.ts'
import type { HistoryEvent } from './views.ts'

export interface TimeRange {
  from: number
  to: number
}

export interface Outage {
  serverId: string
  startedAt: number
  /** null while the outage goes on */
  endedAt: number | null
  durationMs: number
}

export interface Availability {
  range: TimeRange
  /** Mean of the servers' availability, in percent. */
  percent: number | null
  servers: Array<{ serverId: string; name: string; percent: number | null; downMs: number }>
}

/** The history store cannot answer now (InfluxDB down or slow); current state still can. */
export class HistoryUnavailable extends Error {
  override readonly name = 'HistoryUnavailable'
  readonly code = 'history-unavailable'

  constructor(override readonly cause: unknown) {
    super('the history store is unavailable right now; current state is not affected')
  }
}

export interface History {
  events(resellerId: string, slc: string, range: TimeRange, limit: number): Promise<HistoryEvent[]>
  outages(resellerId: string, slc: string, range: TimeRange): Promise<Outage[]>
  availability(resellerId: string, slc: string, range: TimeRange): Promise<Availability>
}

export class EmbeddedHistory implements History {
  readonly #db: Db
  readonly #now: () => number

  constructor(db: Db, now: () => number) {
    this.#db = db
    this.#now = now
  }

  async events(resellerId: string, slc: string, range: TimeRange, limit: number) {
    const rows = this.#db
      .prepare(
        `SELECT e.id, e.at, e.server_id AS serverId, e.type, e.kind, e.subject, e.details,
           e.started_at AS startedAt, e.duration_ms AS durationMs
         FROM events e JOIN installations i ON i.slc = e.slc
         WHERE i.reseller_id = ? AND e.slc = ? AND e.at >= ? AND e.at < ?
         ORDER BY e.at DESC, e.id DESC LIMIT ?`,
      )
      .all(resellerId, slc, range.from, range.to, limit) as Array<
      Omit<HistoryEvent, 'details'> & { details: string | null }
    >
    return rows.map((r): HistoryEvent => ({
      ...r,
      details: r.details ? JSON.parse(r.details) : null,
    }))
  }

  async outages(resellerId: string, slc: string, range: TimeRange): Promise<Outage[]> {
    const ended = this.#db
      .prepare(
        `SELECT e.server_id AS serverId, e.started_at AS startedAt, e.at AS endedAt,
           e.duration_ms AS durationMs
         FROM events e JOIN installations i ON i.slc = e.slc
         WHERE i.reseller_id = ? AND e.slc = ? AND e.type = 'serverAvailable'
           AND e.started_at < ? AND e.at > ?
         ORDER BY e.started_at`,
      )
      .all(resellerId, slc, range.to, range.from) as Outage[]

    const now = this.#now()
    const ongoing = this.#db
      .prepare(
        `SELECT st.server_id AS serverId, st.unavailable_since AS startedAt
         FROM server_state st JOIN servers s ON s.id = st.server_id
         JOIN installations i ON i.slc = s.slc
         WHERE i.reseller_id = ? AND s.slc = ? AND st.unavailable_since IS NOT NULL
           AND st.unavailable_since < ?`,
      )
      .all(resellerId, slc, range.to) as Array<{ serverId: string; startedAt: number }>
    const open = ongoing.map((o) => ({ ...o, endedAt: null, durationMs: now - o.startedAt }))
    return [...ended, ...open]
  }

  async availability(resellerId: string, slc: string, range: TimeRange): Promise<Availability> {
    const servers = this.#db
      .prepare(
        `SELECT s.id AS serverId, s.name, s.enrolled_at AS enrolledAt
         FROM servers s JOIN installations i ON i.slc = s.slc
         WHERE i.reseller_id = ? AND s.slc = ? ORDER BY s.name, s.id`,
      )
      .all(resellerId, slc) as Array<{ serverId: string; name: string; enrolledAt: number }>
    const outages = await this.outages(resellerId, slc, range)
    return computeAvailability(range, this.#now(), servers, outages)
  }
}

/**
 * Availability of each server over the part of the range it was enrolled and
 * that has already happened: 100 × (1 − time in outage ÷ time observed).
 */
export function computeAvailability(
  range: TimeRange,
  now: number,
  servers: Array<{ serverId: string; name: string; enrolledAt: number }>,
  outages: Outage[],
): Availability {
  const results = servers.map((s) => {
    const from = Math.max(range.from, s.enrolledAt)
    const to = Math.min(range.to, now)
    if (to <= from) return { serverId: s.serverId, name: s.name, percent: null, downMs: 0 }

    let downMs = 0
    for (const o of outages) {
      if (o.serverId !== s.serverId) continue
      const end = o.endedAt ?? now
      downMs += Math.max(0, Math.min(end, to) - Math.max(o.startedAt, from))
    }
    const percent = round(100 * (1 - downMs / (to - from)))
    return { serverId: s.serverId, name: s.name, percent, downMs }
  })

  const known = results.filter((r) => r.percent !== null).map((r) => r.percent!)
  const percent = known.length ? round(known.reduce((a, b) => a + b, 0) / known.length) : null
  return { range, percent, servers: results }
}

function round(value: number) {
  return Math.round(value * 1000) / 1000
}
