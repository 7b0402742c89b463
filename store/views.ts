/**
 * What a reseller may read. Every statement takes the reseller id and filters
 * on it in SQL (DESIGN.md: scoped in the query itself, not afterwards), so a
 * foreign SLC simply finds no row, exactly like one that does not exist.
 */
import type { ConditionDetails, ConditionKind } from '../core/conditions.ts'
import type { Db } from './db.ts'

export interface Problem {
  serverId: string
  serverName: string
  kind: ConditionKind
  subject: string
  details: ConditionDetails
  since: number
}

export interface InstallationSummary {
  slc: string
  customerName: string
  subscriptionExpiresAt: number | null
  accepted: boolean
  servers: number
  unavailableServers: number
  problems: Problem[]
  inError: boolean
  /** Start of the oldest active problem; null when healthy. */
  since: number | null
}

export interface ServerView {
  id: string
  name: string
  heartbeatIntervalMs: number
  enrolledAt: number
  lastSeenAt: number | null
  available: boolean
  unavailableSince: number | null
  conditions: Problem[]
}

export interface HistoryEvent {
  id: number
  at: number
  serverId: string
  type: string
  kind: string | null
  subject: string | null
  details: ConditionDetails | null
  startedAt: number | null
  durationMs: number | null
}

interface ServerRow {
  slc: string
  id: string
  name: string
  heartbeatIntervalMs: number
  enrolledAt: number
  lastSeenAt: number | null
  unavailableSince: number | null
}

interface ConditionRow {
  slc: string
  serverId: string
  serverName: string
  kind: ConditionKind
  subject: string
  details: string
  since: number
}

export class ResellerViews {
  readonly #db: Db

  constructor(db: Db) {
    this.#db = db
  }

  listInstallations(resellerId: string, options: { all?: boolean } = {}): InstallationSummary[] {
    const installations = this.#db
      .prepare(
        `SELECT slc, customer_name AS customerName,
           subscription_expires_at AS subscriptionExpiresAt,
           accepted FROM installations WHERE reseller_id = ? ORDER BY customer_name, slc`,
      )
      .all(resellerId) as Array<{
      slc: string
      customerName: string
      subscriptionExpiresAt: number | null
      accepted: number
    }>
    const servers = this.#servers('i.reseller_id = ?', resellerId)
    const conditions = this.#conditions('i.reseller_id = ?', resellerId)

    const summaries = installations.map((i) =>
      summarise(i, servers.get(i.slc) ?? [], conditions.get(i.slc) ?? []),
    )
    return options.all ? summaries : summaries.filter((s) => s.inError)
  }

  /**
   * How many installations the reseller has, how many are not monitored at
   * `now` (not accepted, or no running subscription) and how many of the
   * monitored ones are in error, without loading them.
   */
  countInstallations(
    resellerId: string,
    now: number,
  ): { all: number; inError: number; unmonitored: number } {
    // "In error" as in summarise(): an unavailable server or any active condition.
    const row = this.#db
      .prepare(
        `SELECT COUNT(*) AS "all", COALESCE(SUM(NOT watched), 0) AS unmonitored,
           COALESCE(SUM(watched AND (
           EXISTS (SELECT 1 FROM servers s JOIN server_state st ON st.server_id = s.id
                   WHERE s.slc = i.slc AND st.unavailable_since IS NOT NULL)
           OR EXISTS (SELECT 1 FROM servers s JOIN conditions c ON c.server_id = s.id
                      WHERE s.slc = i.slc))), 0) AS inError
         FROM (SELECT slc, accepted = 1 AND subscription_expires_at IS NOT NULL
                 AND subscription_expires_at >= ? AS watched
               FROM installations WHERE reseller_id = ?) i`,
      )
      .get(now, resellerId) as { all: number; inError: number; unmonitored: number }
    return row
  }

  /**
   * Which of `slcs` are the reseller's, in their registered spelling: one
   * query however many changed, so a stream never looks at another
   * reseller's installations one by one.
   */
  ownSlcs(resellerId: string, slcs: readonly string[]): string[] {
    if (slcs.length === 0) return []
    const rows = this.#db
      .prepare(
        `SELECT slc FROM installations
         WHERE reseller_id = ? AND slc IN (SELECT value FROM json_each(?))`,
      )
      .all(resellerId, JSON.stringify(slcs)) as Array<{ slc: string }>
    return rows.map((r) => r.slc)
  }

  installation(resellerId: string, slc: string) {
    const row = this.#db
      .prepare(
        `SELECT slc, customer_name AS customerName,
           subscription_expires_at AS subscriptionExpiresAt,
           accepted, created_at AS createdAt FROM installations WHERE reseller_id = ? AND slc = ?`,
      )
      .get(resellerId, slc) as
      | {
          slc: string
          customerName: string
          subscriptionExpiresAt: number | null
          accepted: number
          createdAt: number
        }
      | undefined
    if (!row) return undefined

    // Rows are grouped by the registered spelling, which `slc` (any case) need not be.
    const { slc: canonical } = row
    const servers =
      this.#servers('i.reseller_id = ? AND i.slc = ?', resellerId, canonical).get(canonical) ?? []
    const conditions =
      this.#conditions('i.reseller_id = ? AND i.slc = ?', resellerId, canonical).get(canonical) ??
      []
    const summary = summarise(row, servers, conditions)
    const views: ServerView[] = servers.map((s) => ({
      id: s.id,
      name: s.name,
      heartbeatIntervalMs: s.heartbeatIntervalMs,
      enrolledAt: s.enrolledAt,
      lastSeenAt: s.lastSeenAt,
      available: s.unavailableSince === null,
      unavailableSince: s.unavailableSince,
      conditions: summary.problems.filter((p) => p.serverId === s.id),
    }))
    return { ...summary, createdAt: row.createdAt, serverDetails: views }
  }

  #servers(where: string, ...params: string[]): Map<string, ServerRow[]> {
    const rows = this.#db
      .prepare(
        `SELECT s.slc, s.id, s.name, s.heartbeat_interval_ms AS heartbeatIntervalMs,
           s.enrolled_at AS enrolledAt, st.last_seen_at AS lastSeenAt,
           st.unavailable_since AS unavailableSince
         FROM servers s JOIN installations i ON i.slc = s.slc
         LEFT JOIN server_state st ON st.server_id = s.id
         WHERE ${where} ORDER BY s.name, s.id`,
      )
      .all(...params) as ServerRow[]
    return groupBySlc(rows)
  }

  #conditions(where: string, ...params: string[]): Map<string, ConditionRow[]> {
    const rows = this.#db
      .prepare(
        `SELECT s.slc, c.server_id AS serverId, s.name AS serverName, c.kind, c.subject,
           c.details, c.raised_at AS since
         FROM conditions c JOIN servers s ON s.id = c.server_id
         JOIN installations i ON i.slc = s.slc
         WHERE ${where} ORDER BY c.raised_at`,
      )
      .all(...params) as ConditionRow[]
    return groupBySlc(rows)
  }
}

function summarise(
  installation: {
    slc: string
    customerName: string
    subscriptionExpiresAt: number | null
    accepted: number
  },
  servers: ServerRow[],
  conditions: ConditionRow[],
): InstallationSummary {
  const unavailable: Problem[] = servers
    .filter((s) => s.unavailableSince !== null)
    .map((s) => ({
      serverId: s.id,
      serverName: s.name,
      kind: 'server-unavailable' as const,
      subject: s.name,
      details: {},
      since: s.unavailableSince!,
    }))
  const reported: Problem[] = conditions.map((c) => ({
    serverId: c.serverId,
    serverName: c.serverName,
    kind: c.kind,
    subject: c.subject,
    details: JSON.parse(c.details) as ConditionDetails,
    since: c.since,
  }))
  const problems = [...unavailable, ...reported]

  return {
    slc: installation.slc,
    customerName: installation.customerName,
    subscriptionExpiresAt: installation.subscriptionExpiresAt,
    accepted: installation.accepted === 1,
    servers: servers.length,
    unavailableServers: unavailable.length,
    problems,
    inError: problems.length > 0,
    since: problems.length ? Math.min(...problems.map((p) => p.since)) : null,
  }
}

function groupBySlc<T extends { slc: string }>(rows: T[]): Map<string, T[]> {
  const map = new Map<string, T[]>()
  for (const row of rows) {
    const list = map.get(row.slc)
    if (list) list.push(row)
    else map.set(row.slc, [row])
  }
  return map
}
