/** What every route may use, handed in once by the service. */
import type { Observable } from 'rxjs'
import type { VigilEvent } from '../core/events.ts'
import type { Logger } from '../core/logger.ts'
import type { Metrics } from '../core/metrics.ts'
import type { Registry, Reseller } from '../store/registry.ts'
import type { ResellerViews } from '../store/views.ts'
import type { History } from '../store/history.ts'
import type { ResellerHistoryAccess } from '../store/influx/setup.ts'

export interface ApiDeps {
  registry: Registry
  views: ResellerViews
  history: History
  /** Per-reseller InfluxDB database and read-only user, when InfluxDB is configured. */
  historyAccess?: ResellerHistoryAccess
  metrics: Metrics
  logger: Logger
  /** Committed events, for live updates. */
  committed$: Observable<VigilEvent[]>
  /** Ends a removed server's actor and releases its state. */
  forgetServer(serverId: string): void
  /** Starts watching a newly enrolled server's heartbeats. */
  watchServer(server: { id: string; slc: string; heartbeatIntervalMs: number }): void
  health(): Record<string, boolean>
  enrollment: {
    heartbeatIntervalMs: number
    mqttUrl: string
    caPem: string
  }
  now: () => number
}

export type AppEnv = {
  Variables: {
    reseller: Reseller
  }
}
