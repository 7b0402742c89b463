/**
 * History reads from InfluxDB, answering exactly as EmbeddedHistory does for
 * the same events. Each read goes to the reseller's own database and also
 * filters on his id; every value reaches InfluxQL as a parameter.
 */
import type { ConditionDetails } from '../../core/conditions.ts'
import {
  computeAvailability,
  HistoryUnavailable,
  type Availability,
  type History,
  type Outage,
  type TimeRange,
} from '../history.ts'
import type { HistoryEvent } from '../views.ts'
import type { ServerDirectory } from './directory.ts'
import { InfluxError, type InfluxHttp, type InfluxSeries } from './http.ts'
import { influxql, integer, type Statement } from './influxql.ts'
import type { InfluxNames } from './provision.ts'

type Row = Record<string, unknown>

export class InfluxHistory implements History {
  readonly #http: InfluxHttp
  readonly #names: InfluxNames
  readonly #directory: ServerDirectory
  readonly #now: () => number

  constructor(http: InfluxHttp, names: InfluxNames, directory: ServerDirectory, now: () => number) {
    this.#http = http
    this.#names = names
    this.#directory = directory
    this.#now = now
  }

  async events(resellerId: string, slc: string, range: TimeRange, limit: number) {
    const statement = influxql`SELECT "event_id", "server_id", "type", "kind", "subject",
      "details", "started_at", "duration_ms" FROM "events"
      WHERE "reseller_id" = ${resellerId} AND "slc" = ${slc}
        AND time >= ${{ time: range.from }} AND time < ${{ time: range.to }}`
    statement.text += ` ORDER BY time DESC LIMIT ${integer(limit)}`

    const rows = await this.#rows(resellerId, statement)
    return rows.map(toHistoryEvent).sort((a, b) => b.at - a.at || b.id - a.id)
  }

  async outages(resellerId: string, slc: string, range: TimeRange): Promise<Outage[]> {
    const ended = await this.#rows(
      resellerId,
      influxql`SELECT "event_id", "server_id",
      "started_at", "duration_ms" FROM "events"
      WHERE "reseller_id" = ${resellerId} AND "slc" = ${slc} AND "type" = 'serverAvailable'
        AND "started_at" < ${range.to} AND time >= ${{ time: range.from + 1 }}`,
    )
    const outages = ended
      .map((r) => ({
        id: num(r.event_id),
        serverId: String(r.server_id),
        startedAt: num(r.started_at),
        endedAt: num(r.time),
        durationMs: num(r.duration_ms),
      }))
      .sort((a, b) => a.startedAt - b.startedAt || a.id - b.id)
      .map(({ id: _id, ...outage }): Outage => outage)

    const open = await this.#ongoing(resellerId, slc, range)
    return [...outages, ...open]
  }

  async availability(resellerId: string, slc: string, range: TimeRange): Promise<Availability> {
    const servers = this.#directory.serversOf(resellerId, slc)
    const outages = await this.outages(resellerId, slc, range)
    return computeAvailability(range, this.#now(), servers, outages)
  }

  /** Outages still open: the server's latest availability event is an unavailable one. */
  async #ongoing(resellerId: string, slc: string, range: TimeRange): Promise<Outage[]> {
    const statement = influxql`SELECT last("active_change") AS "change",
      last("started_at") AS "started_at" FROM "events"
      WHERE "reseller_id" = ${resellerId} AND "slc" = ${slc} AND "kind" = 'server-unavailable'`
    statement.text += ' GROUP BY "server_id"'

    // A removed server's last outage never gets its closing event; like the
    // embedded store, only servers that still exist can have one going on.
    const current = new Set(this.#directory.serversOf(resellerId, slc).map((s) => s.serverId))
    const now = this.#now()
    const rows = await this.#rows(resellerId, statement)
    return rows
      .filter((r) => current.has(String(r.server_id)))
      .filter((r) => num(r.change) > 0 && num(r.started_at) < range.to)
      .map((r) => ({
        serverId: String(r.server_id),
        startedAt: num(r.started_at),
        endedAt: null,
        durationMs: now - num(r.started_at),
      }))
      .sort((a, b) => a.serverId.localeCompare(b.serverId))
  }

  /** Rows of every series, tags merged in; a reseller without a database has no history. */
  async #rows(resellerId: string, statement: Statement): Promise<Row[]> {
    try {
      const result = await this.#http.query(statement, this.#names.reseller(resellerId))
      return (result.series ?? []).flatMap(seriesRows)
    } catch (error) {
      if (error instanceof InfluxError && error.code === 'database-not-found') return []
      // InfluxDB away, slow or refusing Vigil's own credentials: the history is
      // unavailable, not the request wrong. Anything else keeps its own error.
      if (error instanceof InfluxError && (error.transient || error.code === 'unauthorized')) {
        throw new HistoryUnavailable(error)
      }
      throw error
    }
  }
}

function seriesRows(series: InfluxSeries): Row[] {
  return series.values.map((values) => {
    const row: Row = { ...series.tags }
    series.columns.forEach((column, index) => {
      row[column] = values[index]
    })
    return row
  })
}

function toHistoryEvent(r: Row): HistoryEvent {
  const type = String(r.type)
  const isCondition = type === 'conditionRaised' || type === 'conditionCleared'
  return {
    id: num(r.event_id),
    at: num(r.time),
    serverId: String(r.server_id),
    type,
    kind: isCondition ? String(r.kind) : null,
    subject: isCondition ? String(r.subject ?? '') : null,
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as ConditionDetails) : null,
    startedAt: r.started_at === null || r.started_at === undefined ? null : num(r.started_at),
    // The embedded history keeps a duration for ended outages only.
    durationMs: type === 'serverAvailable' ? num(r.duration_ms) : null,
  }
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value)
}
