/**
 * What the pages show, read through the reseller-scoped views and history:
 * every read takes the signed-in reseller's id, so another reseller's
 * installation is simply not found.
 */
import type { Availability, Outage, TimeRange } from '../../store/history.ts'
import type { HistoryEvent, InstallationSummary, ResellerViews } from '../../store/views.ts'
import type { ApiDeps } from '../context.ts'
import { isMonitored, matchesSearch, needsAttention, sortKey } from './describe.ts'
import type { DashboardOptions } from './options.ts'
import type { Counts } from './overview.tsx'

export type InstallationView = NonNullable<ReturnType<ResellerViews['installation']>>

export interface InstallationHistory {
  availability: Availability
  outages: Outage[]
  events: HistoryEvent[]
}

export interface InstallationData {
  view: InstallationView
  /** null when the history store failed or was too slow: the page shows the current state. */
  history: InstallationHistory | null
  range: TimeRange
}

const dayMs = 24 * 3600_000

export function loadOverview(
  deps: ApiDeps,
  resellerId: string,
  filter: { all: boolean; q: string },
  now: number,
): { counts: Counts; items: InstallationSummary[] } {
  // Counts cover the whole fleet whatever is shown, so one read of all serves both.
  const every = deps.views.listInstallations(resellerId, { all: true })
  const watched = every.filter((s) => isMonitored(s, now))
  const inError = watched.reduce((n, s) => n + (s.inError ? 1 : 0), 0)
  const unmonitored = every.length - watched.length
  const counts = { all: every.length, healthy: watched.length - inError, inError, unmonitored }

  const shown = every
    .filter((s) => (filter.all || needsAttention(s, now)) && matchesSearch(s, filter.q))
    .map((s) => ({ s, key: sortKey(s, now) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return { counts, items: shown.map((e) => e.s) }
}

/** Counts as loadOverview's: a site that is not monitored is neither healthy nor in error. */
export function loadCounts(deps: ApiDeps, resellerId: string, now: number): Counts {
  const { all, inError, unmonitored } = deps.views.countInstallations(resellerId, now)
  return { all, healthy: all - inError - unmonitored, inError, unmonitored }
}

export async function loadInstallation(
  deps: ApiDeps,
  resellerId: string,
  slc: string,
  now: number,
  options: Pick<DashboardOptions, 'historyDays' | 'recentEventsLimit' | 'historyTimeoutMs'>,
): Promise<InstallationData | undefined> {
  const view = deps.views.installation(resellerId, slc)
  if (!view) return undefined
  // History is kept under the registered spelling of the SLC; `slc` may differ in case.
  const canonical = view.slc

  // History ranges end before `to`; + 1 keeps what happened at this very millisecond.
  const range = { from: now - options.historyDays * dayMs, to: now + 1 }
  const reads = Promise.all([
    deps.history.availability(resellerId, canonical, range),
    deps.history.outages(resellerId, canonical, range),
    deps.history.events(resellerId, canonical, range, options.recentEventsLimit),
  ])
  // The current state lives in SQLite; a failing history store costs only the history.
  try {
    const [availability, outages, events] = await withTimeout(reads, options.historyTimeoutMs)
    return { view, history: { availability, outages, events }, range }
  } catch (error) {
    deps.logger.warn('historyUnavailable', { resellerId, slc: canonical, error })
    return { view, history: null, range }
  }
}

class HistoryTimeout extends Error {
  override name = 'HistoryTimeout'
  readonly code = 'history-timeout'
  constructor(readonly timeoutMs: number) {
    super(`the history store did not answer within ${timeoutMs} ms`)
  }
}

/** Rejects after `ms`; a late answer or failure of `work` is then ignored. */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HistoryTimeout(ms)), ms)
  })
  try {
    return await Promise.race([work, expired])
  } finally {
    clearTimeout(timer)
  }
}
