/**
 * Moves the outbox into InfluxDB, oldest first, one batch at a time. Rows
 * leave the outbox only after every database involved answered 2xx, so a
 * crash or a lost answer means the batch is written again, and idempotent
 * keys (points.ts) make that second write overwrite the first.
 *
 * InfluxDB down, slow or failing: the batch stays and is retried with
 * exponential backoff; the pipeline never waits for it. A batch refused as
 * malformed is split in halves until the bad line stands alone; that line is
 * dead-lettered, logged and counted, and the rest goes through.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { defaultOptions } from '../../core/config.ts'
import type { Logger } from '../../core/logger.ts'
import type { Metrics } from '../../core/metrics.ts'
import type { ServerDirectory } from './directory.ts'
import { InfluxError, type InfluxHttp } from './http.ts'
import { EncodeError, encodeRecord, type HistoryRecord } from './points.ts'
import { InfluxqlError } from './influxql.ts'
import type { DeadLetter, Outbox, OutboxRow } from './outbox.ts'
import type { InfluxNames } from './provision.ts'

export interface DrainOptions {
  /** Outbox rows read per batch... */
  batchRows: number
  /** ...of which only as many as fit in this many lines are written (an uptime row has many). */
  batchLines: number
  retryMinMs: number
  retryMaxMs: number
  /** Look at the outbox this often even when nobody says it grew. */
  idleMs: number
}

export const defaultDrainOptions: DrainOptions = {
  batchRows: 1000,
  batchLines: 5000,
  retryMinMs: 250,
  // One place for this default: VIGIL_INFLUX_RETRY_MAX_MS in core/config.ts.
  retryMaxMs: defaultOptions.influxRetryMaxMs,
  idleMs: 1_000,
}

export interface DrainDeps {
  outbox: Outbox
  http: InfluxHttp
  directory: ServerDirectory
  names: InfluxNames
  /** Creates a database found missing; rejects when that is the operator's job. */
  ensureDatabase(database: string): Promise<void>
  logger: Logger
  metrics: Metrics
}

interface Line {
  row: OutboxRow
  line: string
}

type Cycle = 'empty' | 'written' | 'failed'

export class OutboxDrain {
  readonly #deps: DrainDeps
  readonly #options: DrainOptions
  readonly #counters
  #running: Promise<void> | undefined
  #stopping = false
  #wakeUp: (() => void) | undefined
  #failures = 0
  #failingSince = 0

  constructor(deps: DrainDeps, options: Partial<DrainOptions> = {}) {
    this.#deps = deps
    this.#options = { ...defaultDrainOptions, ...options }
    const m = deps.metrics
    this.#counters = {
      written: m.counter('vigil_influx_points_written_total', 'Lines InfluxDB accepted'),
      rejected: m.counter(
        'vigil_influx_points_rejected_total',
        'Lines InfluxDB refused; dead-lettered',
      ),
      failures: m.counter('vigil_influx_write_failures_total', 'Failed write batches, by code'),
      backlog: m.gauge('vigil_influx_outbox_backlog', 'Outbox rows not yet in InfluxDB'),
      up: m.gauge('vigil_influx_up', '1 while InfluxDB takes writes'),
    }
  }

  start(): void {
    this.#stopping = false
    this.#running ??= this.#loop()
  }

  /** New rows are waiting: end an idle pause (never a backoff pause). */
  wake(): void {
    this.#wakeUp?.()
  }

  /** Stops after the batch in flight; what is left stays in the outbox. */
  async stop(): Promise<void> {
    this.#stopping = true
    this.#wakeUp?.()
    await this.#running
    this.#running = undefined
  }

  /** One batch; public for tests and the benchmark. */
  async drainOnce(): Promise<Cycle> {
    const taken = this.#deps.outbox.take(this.#options.batchRows)
    if (taken.length === 0) {
      this.#counters.backlog.set(0)
      return 'empty'
    }

    let rows = taken
    try {
      const encoded = this.#encode(taken)
      const { groups, dead } = encoded
      rows = encoded.rows
      dead.push(...(await this.#writeAll(groups)))
      this.#deps.outbox.settle(rows, dead)
      this.#succeeded(groups, dead)
      return 'written'
    } catch (error) {
      this.#failed(error, rows)
      return 'failed'
    }
  }

  async #loop() {
    while (!this.#stopping) {
      const cycle = await this.drainOnce()
      if (cycle === 'written') await nextTurn()
      else if (cycle === 'empty') await this.#pause(this.#options.idleMs, true)
      else await this.#pause(this.#backoffMs(), false)
    }
  }

  /**
   * Lines per database: the fleet's gets all, each reseller's gets his own.
   * Stops after the row that reaches `batchLines`; the rows encoded are returned.
   */
  #encode(taken: OutboxRow[]) {
    const lookup = this.#deps.directory.batchLookup()
    const fleet = this.#deps.names.fleet
    const groups = new Map<string, Line[]>([[fleet, []]])
    const dead: DeadLetter[] = []
    const rows: OutboxRow[] = []

    for (const row of taken) {
      if (groups.get(fleet)!.length >= this.#options.batchLines) break
      rows.push(row)
      try {
        const record = JSON.parse(row.event) as HistoryRecord
        for (const { resellerId, line } of encodeRecord(row.id, record, lookup)) {
          groups.get(fleet)!.push({ row, line })
          if (!resellerId) continue
          this.#group(groups, this.#deps.names.reseller(resellerId)).push({ row, line })
        }
      } catch (error) {
        if (!isBadRecord(error)) throw error
        dead.push(this.#deadLetter({ row, line: '' }, fleet, error))
      }
    }
    return { groups, dead, rows }
  }

  #group(groups: Map<string, Line[]>, database: string): Line[] {
    let lines = groups.get(database)
    if (!lines) groups.set(database, (lines = []))
    return lines
  }

  /**
   * The databases are independent, so they are written side by side; all
   * answers are awaited before a failure is reported, so no write of this
   * batch is still in flight when it is retried.
   */
  async #writeAll(groups: Map<string, Line[]>): Promise<DeadLetter[]> {
    const writes = [...groups].map(([database, lines]) => this.#write(database, lines))
    const results = await Promise.allSettled(writes)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
    return results.flatMap((r) => (r as PromiseFulfilledResult<DeadLetter[]>).value)
  }

  /** Writes lines, halving on a malformed-batch answer; returns the lines refused alone. */
  async #write(database: string, lines: Line[], provisioned = false): Promise<DeadLetter[]> {
    if (lines.length === 0) return []
    try {
      await this.#deps.http.write(database, lines.map((l) => l.line).join('\n'))
      return []
    } catch (error) {
      if (!(error instanceof InfluxError)) throw error
      if (error.code === 'database-not-found' && !provisioned) {
        await this.#deps.ensureDatabase(database)
        return this.#write(database, lines, true)
      }
      if (error.code !== 'rejected' && error.code !== 'too-large') throw error
      if (lines.length === 1) return [this.#deadLetter(lines[0]!, database, error)]

      const half = lines.length >>> 1
      const first = await this.#write(database, lines.slice(0, half), true)
      return [...first, ...(await this.#write(database, lines.slice(half), true))]
    }
  }

  #deadLetter({ row, line }: Line, database: string, error: unknown): DeadLetter {
    const reason = error instanceof Error ? error.message : String(error)
    const ids = idsOf(row)
    this.#counters.rejected.inc()
    this.#deps.logger.error('influxPointRejected', {
      ...ids,
      outboxId: row.id,
      database,
      line,
      error,
      why: 'kept in influx_dead_letters; `npm run cli -- influx requeue` retries it',
    })
    return { outboxId: row.id, event: row.event, database, line, error: reason }
  }

  #failed(error: unknown, rows: OutboxRow[]) {
    const code =
      error instanceof InfluxError
        ? error.code
        : ((error as { code?: string }).code ?? 'unexpected')
    if (this.#failures === 0) this.#failingSince = Date.now()
    this.#failures++
    this.#counters.failures.inc({ code })
    this.#counters.up.set(0)
    this.#counters.backlog.set(this.#deps.outbox.backlog())

    const needsHuman =
      code === 'unauthorized' || code === 'provisioning-external' || code === 'unexpected'
    this.#deps.logger[needsHuman ? 'error' : 'warn']('influxWriteFailed', {
      code,
      error,
      attempt: this.#failures,
      ...idsOf(rows[0]!),
      firstOutboxId: rows[0]!.id,
      rows: rows.length,
      why: 'rows stay in the outbox; retrying',
    })
  }

  #succeeded(groups: Map<string, Line[]>, dead: DeadLetter[]) {
    let lines = 0
    for (const group of groups.values()) lines += group.length
    this.#counters.written.inc({}, lines - dead.length)
    this.#counters.up.set(1)
    this.#counters.backlog.set(this.#deps.outbox.backlog())

    if (this.#failures > 0) {
      this.#deps.logger.info('influxWriteRecovered', {
        attempts: this.#failures,
        downMs: Date.now() - this.#failingSince,
        backlog: this.#deps.outbox.backlog(),
      })
    }
    this.#failures = 0
  }

  #backoffMs(): number {
    const { retryMinMs, retryMaxMs } = this.#options
    const base = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(this.#failures - 1, 20))
    return Math.round(base * (0.8 + Math.random() * 0.4))
  }

  #pause(ms: number, wakeable: boolean): Promise<void> {
    if (this.#stopping) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#wakeUp = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#wakeUp = wakeable
        ? done
        : () => {
            if (this.#stopping) done()
          }
    })
  }
}

/** A record no retry can write: unreadable JSON, or content line protocol cannot carry. */
function isBadRecord(error: unknown): boolean {
  return (
    error instanceof SyntaxError || error instanceof EncodeError || error instanceof InfluxqlError
  )
}

/** The ids an operator follows a record by (STYLE.md: every log line carries them). */
function idsOf(row: OutboxRow): Record<string, unknown> {
  try {
    const record = JSON.parse(row.event) as {
      slc?: string
      serverId?: string
      cause?: string
      minutes?: Array<{ slc: string; serverId: string }>
    }
    const first = record.minutes?.[0]
    return {
      slc: record.slc ?? first?.slc,
      serverId: record.serverId ?? first?.serverId,
      cause: record.cause ?? 'uptime',
    }
  } catch {
    return { cause: 'unreadable outbox row' }
  }
}
