/**
 * Assembles one Vigil: store, broker, pipeline, writer and HTTP server. The
 * entry point, the demo and the end-to-end tests all start it through here.
 */
import { serve, type ServerType } from '@hono/node-server'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { Subject, type Subscription } from 'rxjs'
import { createApp } from '../api/app.ts'
import { startBroker, type RunningBroker } from '../broker/broker.ts'
import { loadOrCreateDevCa } from '../broker/dev-ca.ts'
import { wallClock, type Scheduler } from '../core/clock.ts'
import { resolveOptions, type VigilOptions } from '../core/config.ts'
import type { VigilEvent } from '../core/events.ts'
import { createJsonLogger, type Logger } from '../core/logger.ts'
import { Metrics } from '../core/metrics.ts'
import { createRefusalLog } from '../core/refusal-log.ts'
import type { RefusalCode } from '../core/refusals.ts'
import { createPipeline, type Pipeline } from '../pipeline/pipeline.ts'
import { openDb, type Db } from '../store/db.ts'
import { EmbeddedHistory } from '../store/history.ts'
import { createInfluxStore, type InfluxStore } from '../store/influx/setup.ts'
import { Registry } from '../store/registry.ts'
import { StateStore } from '../store/state.ts'
import { ResellerViews } from '../store/views.ts'
import { BatchWriter } from '../store/writer.ts'

export interface VigilRuntime {
  /** Clock of the pipeline; tests pass a ManualScheduler. */
  scheduler?: Scheduler
  logger?: Logger
}

export interface Vigil {
  options: VigilOptions
  httpPort: number
  mqttPort: number
  mqttPlainPort: number
  httpUrl: string
  caFile: string
  caPem: string
  registry: Registry
  metrics: Metrics
  pipeline: Pipeline
  db: Db
  /** The InfluxDB history store, when configured. */
  influx?: InfluxStore
  /** Committed event batches, after they are in the store. */
  committed$: Subject<VigilEvent[]>
  /** Writes everything the pipeline produced so far. */
  flush(): void
  close(): Promise<void>
}

export async function startVigil(
  partial: Partial<VigilOptions> = {},
  runtime: VigilRuntime = {},
): Promise<Vigil> {
  const options = resolveOptions(partial)
  const scheduler = runtime.scheduler ?? wallClock
  const logger = runtime.logger ?? createJsonLogger({ level: options.logLevel })
  const now = () => scheduler.now()
  const metrics = new Metrics()

  const tls = loadTls(options, logger)
  const db = openDb(options.dataDir)
  const registry = new Registry(db, now)
  const state = new StateStore(db)
  // InfluxDB history when configured (README: History in InfluxDB, and
  // Grafana): events go through the outbox.
  const influx = createInfluxStore(options, {
    db,
    scheduler,
    logger,
    metrics,
    snapshot: state.snapshot().values(),
    resellerIds: () => registry.listResellers().map((r) => r.id),
  })
  const writer = new BatchWriter(
    state,
    {
      batchSize: options.writeBatchSize,
      flushMs: options.writeFlushMs,
      maxBufferedEvents: 100_000,
      outbox: influx !== undefined,
    },
    logger,
    metrics,
  )

  const stopPruning = pruneHistoryHourly(state, options.historyRetentionDays, now, logger)
  const recordRefusal = createRefusalLog(metrics, logger)
  const broker = await startBroker(
    {
      host: options.host,
      port: options.mqttPort,
      plainPort: options.mqttPlainPort,
      maxPacketBytes: options.maxPacketBytes,
      tls,
    },
    { servers: registry, recordRefusal, logger, metrics, now },
  )

  const pipeline = createPipeline(broker.messages$, {
    keys: registry,
    scheduler,
    logger,
    metrics,
    options,
    snapshot: state.snapshot(),
  })
  const committed$ = new Subject<VigilEvent[]>()
  writer.onCommitted((batch) => committed$.next(batch))
  const subscriptions = wirePipeline(pipeline, writer, logger, broker)
  if (influx) {
    writer.onCommitted(() => influx.wake())
    subscriptions.add(influx.start(pipeline.events$))
  }

  const mqttUrl = options.publicMqttUrl ?? `mqtts://localhost:${broker.port}`
  const app = createApp({
    registry,
    views: new ResellerViews(db),
    history: influx?.history ?? new EmbeddedHistory(db, now),
    historyAccess: influx?.access,
    metrics,
    logger,
    committed$,
    forgetServer: (serverId) => {
      pipeline.forget(serverId)
      influx?.forget(serverId)
      broker.disconnect(serverId)
    },
    watchServer: (server) => pipeline.watch(server),
    health: () => ({
      broker: !broker.closed,
      pipeline: !subscriptions.closed,
      store: db.open && writer.healthy,
    }),
    enrollment: { heartbeatIntervalMs: options.heartbeatIntervalMs, mqttUrl, caPem: tls.ca },
    now,
  })
  const http = await listenHttp(app.fetch, options.httpPort, options.host)
  const httpPort = (http.address() as AddressInfo).port
  const httpUrl = `http://${options.host === '0.0.0.0' ? 'localhost' : options.host}:${httpPort}`

  logger.info('vigilStarted', {
    httpUrl,
    mqttPort: broker.port,
    caFile: tls.caFile,
    dataDir: options.dataDir,
  })

  return {
    options,
    httpPort,
    httpUrl,
    mqttPort: broker.port,
    mqttPlainPort: broker.plainPort,
    caFile: tls.caFile,
    caPem: tls.ca,
    registry,
    metrics,
    pipeline,
    db,
    committed$,
    influx,
    flush: () => void writer.flush(),
    async close() {
      // Completing the committed feed ends the dashboard's live streams, which
      // would otherwise hold http.close() open for as long as a browser watches.
      committed$.complete()
      const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()))
      if ('closeIdleConnections' in http) http.closeIdleConnections()
      await httpClosed
      await broker.close()
      subscriptions.unsubscribe()
      stopPruning()
      writer.close()
      await influx?.close()
      db.close()
      logger.info('vigilStopped', {})
    },
  }
}

function wirePipeline(
  pipeline: Pipeline,
  writer: BatchWriter,
  logger: Logger,
  broker: RunningBroker,
): Subscription {
  const subscriptions = pipeline.events$.subscribe({
    next: (event) => {
      if (event.type !== 'heartbeatReceived' && event.type !== 'statusReceived') {
        logger.info(event.type, {
          slc: event.slc,
          serverId: event.serverId,
          cause: event.cause,
          ...('kind' in event ? { kind: event.kind, subject: event.subject } : {}),
        })
      }
      writer.push(event)
    },
    error: (error) => logger.error('pipelineStopped', { error }),
  })
  subscriptions.add(
    pipeline.refusals$.subscribe({
      // A server that may no longer send is disconnected: its reconnects then
      // meet the broker's refusal and back off, instead of a refusal per message.
      next: ({ clientId, refusal }) => {
        if (dropsConnection.has(refusal.code)) broker.disconnect(clientId)
      },
      error: (error) => logger.error('refusalStreamStopped', { error }),
    }),
  )
  subscriptions.add(pipeline.start())
  return subscriptions
}

const dropsConnection: ReadonlySet<RefusalCode> = new Set([
  'gate.unknown-server',
  'gate.not-accepted',
  'gate.subscription-expired',
] as const)

/** Embedded history is kept for `days` (VIGIL_HISTORY_RETENTION_DAYS), then pruned. */
function pruneHistoryHourly(state: StateStore, days: number, now: () => number, logger: Logger) {
  const prune = () => {
    const pruned = state.pruneHistory(now() - days * 24 * 3600_000)
    if (pruned > 0) logger.info('historyPruned', { events: pruned, retentionDays: days })
  }
  prune()
  const timer = setInterval(prune, 3600_000)
  timer.unref()
  return () => clearInterval(timer)
}

function loadTls(options: VigilOptions, logger: Logger) {
  if (options.tlsCertFile && options.tlsKeyFile) {
    const read = (file: string) => readFileSync(file, 'utf8')
    const ca = options.tlsCaFile ? read(options.tlsCaFile) : ''
    return {
      cert: read(options.tlsCertFile),
      key: read(options.tlsKeyFile),
      ca,
      caFile: options.tlsCaFile ?? '',
    }
  }
  const material = loadOrCreateDevCa(options.dataDir)
  logger.info(material.created ? 'devCaCreated' : 'devCaLoaded', {
    caFile: material.caFile,
    why: 'no VIGIL_TLS_CERT/VIGIL_TLS_KEY configured; agents must trust this CA file',
  })
  return material
}

function listenHttp(
  fetch: (request: Request) => Response | Promise<Response>,
  port: number,
  hostname: string,
) {
  return new Promise<ServerType>((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, () => resolve(server))
    server.once('error', reject)
  })
}
