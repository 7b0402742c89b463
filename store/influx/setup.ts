/**
 * InfluxDB as the history store, assembled in one place for service/vigil.ts:
 * the outbox drain (writes), the uptime ticker (liveness minutes), InfluxHistory
 * (reads) and the provisioner (per-reseller databases and readers).
 */
import type { Observable, Subscription } from 'rxjs'
import type { Scheduler } from '../../core/clock.ts'
import type { VigilOptions } from '../../core/config.ts'
import type { VigilEvent } from '../../core/events.ts'
import type { Logger } from '../../core/logger.ts'
import type { Metrics } from '../../core/metrics.ts'
import type { Db } from '../db.ts'
import type { ServerSnapshot } from '../state.ts'
import { ServerDirectory } from './directory.ts'
import { OutboxDrain, type DrainOptions } from './drain.ts'
import { InfluxHistory } from './history.ts'
import { InfluxHttp } from './http.ts'
import { Outbox } from './outbox.ts'
import { InfluxNames, InfluxProvisioner, type HistoryCredentials } from './provision.ts'
import { UptimeTicker } from './uptime.ts'

/** Request timeout towards InfluxDB; a write batch is at most a few hundred KiB. */
const requestTimeoutMs = 10_000

/** Start-up reconciliation retries this often while InfluxDB is unreachable. */
const reconcileRetryMs = 30_000

export interface ResellerHistoryAccess {
  /**
   * Creates the reseller's database and read-only user when missing and sets
   * a new password, returned once. Never throws: when InfluxDB cannot be
   * reached the answer says so and start-up reconciliation catches up.
   */
  issueCredentials(resellerId: string): Promise<HistoryCredentials | { pending: string }>
}

export interface InfluxStoreDeps {
  db: Db
  scheduler: Scheduler
  logger: Logger
  metrics: Metrics
  snapshot: Iterable<ServerSnapshot>
  resellerIds: () => string[]
}

export interface InfluxStore {
  history: InfluxHistory
  access: ResellerHistoryAccess
  drain: OutboxDrain
  outbox: Outbox
  provisioner: InfluxProvisioner
  /** Follows the pipeline and starts writing; the subscription ends both. */
  start(events$: Observable<VigilEvent>): Subscription
  /** New outbox rows were committed. */
  wake(): void
  /** A server was removed: no more uptime minutes for it. */
  forget(serverId: string): void
  close(): Promise<void>
}

export function influxHttpFor(options: VigilOptions): InfluxHttp {
  return new InfluxHttp({
    url: options.influxUrl!.replace(/\/+$/, ''),
    username: options.influxUsername,
    password: options.influxPassword,
    token: options.influxToken,
    bindParams: options.influxBindParams,
    timeoutMs: requestTimeoutMs,
  })
}

/** The InfluxDB history store, or undefined when VIGIL_INFLUX_URL is not set. */
export function createInfluxStore(
  options: VigilOptions,
  deps: InfluxStoreDeps,
): InfluxStore | undefined {
  if (!options.influxUrl) return undefined
  const logger = deps.logger.child({ component: 'influx' })
  const parts = assemble(options, deps, logger)
  const { drain, ticker, provisioner } = parts
  const now = () => deps.scheduler.now()
  let reconciling: { cancel(): void } | undefined

  return {
    history: new InfluxHistory(parts.http, parts.names, parts.directory, now),
    access: accessVia(provisioner, logger),
    drain,
    outbox: parts.outbox,
    provisioner,
    start(events$) {
      reconciling = reconcile(provisioner, deps.resellerIds, logger)
      const subscription = events$.subscribe({
        next: (event) => ticker.observe(event),
        error: (error) => logger.error('uptimeStopped', { error }),
      })
      subscription.add(ticker.start())
      drain.start()
      return subscription
    },
    wake: () => drain.wake(),
    forget: (serverId) => ticker.forget(serverId),
    async close() {
      reconciling?.cancel()
      await drain.stop()
    },
  }
}

export interface DrainWiring {
  db: Db
  http: InfluxHttp
  names: InfluxNames
  provisioning: VigilOptions['influxProvisioning']
  logger: Logger
  metrics: Metrics
  now?: () => number
  drain?: Partial<DrainOptions>
}

/**
 * The write side: outbox, drain and the provisioner that creates a database
 * the drain finds missing. The service, the tests and the benchmark all wire
 * it here, so they measure and test what runs.
 */
export function wireDrain(w: DrainWiring) {
  const provisioner = new InfluxProvisioner(w.http, w.names, w.provisioning, w.logger)
  const directory = new ServerDirectory(w.db)
  const outbox = new Outbox(w.db, w.now)
  const drain = new OutboxDrain(
    {
      outbox,
      http: w.http,
      directory,
      names: w.names,
      logger: w.logger,
      metrics: w.metrics,
      ensureDatabase: (database) => provisioner.ensureDatabase(database),
    },
    w.drain,
  )
  return { provisioner, directory, outbox, drain }
}

/** The parts, wired: the ticker feeds the outbox, the drain empties it into InfluxDB. */
function assemble(options: VigilOptions, deps: InfluxStoreDeps, logger: Logger) {
  const http = influxHttpFor(options)
  const names = new InfluxNames(options.influxDatabase)
  const { provisioner, directory, outbox, drain } = wireDrain({
    db: deps.db,
    http,
    names,
    provisioning: options.influxProvisioning,
    logger,
    metrics: deps.metrics,
    now: () => deps.scheduler.now(),
    drain: { retryMaxMs: options.influxRetryMaxMs },
  })

  const ticker = new UptimeTicker(deps.scheduler, (record) => {
    outbox.append(record)
    drain.wake()
  })
  ticker.restore(deps.snapshot)
  return { http, names, provisioner, directory, outbox, drain, ticker }
}

function accessVia(provisioner: InfluxProvisioner, logger: Logger): ResellerHistoryAccess {
  return {
    async issueCredentials(resellerId) {
      try {
        return await provisioner.issueCredentials(resellerId)
      } catch (error) {
        logger.warn('influxCredentialsPending', {
          resellerId,
          error,
          why: 'created at the next start, or with `npm run cli -- grafana reseller`',
        })
        return { pending: (error as Error).message }
      }
    },
  }
}

/** Databases and readers for every reseller, retried until InfluxDB answers once. */
function reconcile(provisioner: InfluxProvisioner, resellerIds: () => string[], logger: Logger) {
  let timer: NodeJS.Timeout | undefined
  let cancelled = false

  const attempt = async () => {
    if (provisioner.mode === 'external' || cancelled) return
    try {
      const ids = resellerIds()
      await provisioner.reconcile(ids)
      logger.info('influxReconciled', { resellers: ids.length })
    } catch (error) {
      logger.warn('influxReconcileFailed', { error, retryMs: reconcileRetryMs })
      if (!cancelled) timer = setTimeout(() => void attempt(), reconcileRetryMs)
      timer?.unref()
    }
  }

  void attempt()
  return {
    cancel() {
      cancelled = true
      clearTimeout(timer)
    },
  }
}
