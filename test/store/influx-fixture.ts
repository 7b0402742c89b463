/**
 * The InfluxDB history pieces on a temporary SQLite store and a real influxd,
 * without broker or pipeline: tests feed events straight into StateStore (as
 * the BatchWriter does) and drain the outbox by hand.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HealthFigures, VigilEvent } from '../../core/events.ts'
import { createMemoryLogger } from '../../core/logger.ts'
import { Metrics } from '../../core/metrics.ts'
import { openDb, type Db } from '../../store/db.ts'
import { EmbeddedHistory } from '../../store/history.ts'
import type { DrainOptions } from '../../store/influx/drain.ts'
import { InfluxHistory } from '../../store/influx/history.ts'
import { InfluxHttp } from '../../store/influx/http.ts'
import { InfluxNames } from '../../store/influx/provision.ts'
import { wireDrain } from '../../store/influx/setup.ts'
import { Registry } from '../../store/registry.ts'
import { StateStore } from '../../store/state.ts'
import type { TestInfluxd } from '../helpers/influxd.ts'

let fixtures = 0

export interface FixtureOptions {
  bindParams?: boolean
  /** Starting time of the fixture's clock, in ms. */
  now?: number
  drain?: Partial<DrainOptions>
}

export function historyFixture(influxd: TestInfluxd, options: FixtureOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-influx-'))
  const db: Db = openDb(dir)
  const clock = { now: options.now ?? Date.parse('2026-01-05T08:00:00Z') }
  const now = () => clock.now
  const registry = new Registry(db, now)
  const state = new StateStore(db)
  const { logger, lines: logs } = createMemoryLogger('debug')
  const metrics = new Metrics()

  const http = new InfluxHttp({
    url: influxd.url,
    bindParams: options.bindParams ?? true,
    timeoutMs: 5_000,
    ...influxd.admin,
  })
  const names = new InfluxNames(`vigil_t${++fixtures}`)
  const { provisioner, directory, outbox, drain } = wireDrain({
    db,
    http,
    names,
    provisioning: 'influxql',
    logger,
    metrics,
    now,
    drain: { retryMinMs: 20, retryMaxMs: 200, ...options.drain },
  })

  return {
    db,
    clock,
    registry,
    state,
    logs,
    metrics,
    http,
    names,
    provisioner,
    outbox,
    drain,
    embedded: new EmbeddedHistory(db, now),
    influx: new InfluxHistory(http, names, directory, now),

    /** A reseller with one installation and enrolled servers, as the API makes them. */
    site(reseller: string, slc: string, servers: string[], customer = `Customer ${slc}`) {
      const existing = registry.resellerByName(reseller)
      const resellerId = existing?.id ?? registry.createReseller(reseller).reseller.id
      const { enrollmentCode } = registry.registerInstallation(resellerId, slc, customer)
      const serverIds = servers.map(
        (serverName) =>
          registry.enroll({
            slc,
            enrollmentCode,
            serverName,
            acceptedBy: 'site admin',
            heartbeatIntervalMs: 60_000,
          }).serverId,
      )
      return { resellerId, slc, serverIds }
    },

    apply(events: VigilEvent[]) {
      state.apply(events, true)
    },

    /** Drains until the outbox is empty; fails on a failed batch. */
    async drainAll() {
      for (;;) {
        const cycle = await drain.drainOnce()
        if (cycle === 'empty') return
        if (cycle === 'failed') {
          const failure = logs.filter((l) => l.event === 'influxWriteFailed').at(-1)
          throw new Error(`drain failed: ${JSON.stringify(failure)}`)
        }
      }
    },

    async close() {
      await drain.stop()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export type HistoryFixture = ReturnType<typeof historyFixture>

type Kind = 'drive-full' | 'camera-unreachable' | 'license-shortage'

/** Events of one server, with the fields every event carries. */
export function eventsOf(slc: string, serverId: string) {
  const base = (at: number, cause: string) => ({ at, slc, serverId, cause })
  return {
    heartbeat: (at: number): VigilEvent => ({ ...base(at, `hb@${at}`), type: 'heartbeatReceived' }),
    unavailable: (at: number, lastSeenAt: number): VigilEvent => ({
      ...base(at, 'deadline'),
      type: 'serverUnavailable',
      lastSeenAt,
    }),
    available: (at: number, startedAt: number): VigilEvent => ({
      ...base(at, `hb@${at}`),
      type: 'serverAvailable',
      outage: { startedAt, endedAt: at, durationMs: at - startedAt },
    }),
    raised: (
      at: number,
      kind: Kind,
      subject: string,
      details: Record<string, string | number | boolean> = {},
    ): VigilEvent => ({
      ...base(at, `${serverId}#${at}`),
      type: 'conditionRaised',
      kind,
      subject,
      details,
    }),
    cleared: (at: number, kind: Kind, subject: string, raisedAt: number): VigilEvent => ({
      ...base(at, `${serverId}#${at}`),
      type: 'conditionCleared',
      kind,
      subject,
      raisedAt,
    }),
    status: (at: number, seq: number, figures: HealthFigures): VigilEvent => ({
      ...base(at, `${serverId}#${seq}`),
      type: 'statusReceived',
      seq,
      figures,
    }),
  }
}
