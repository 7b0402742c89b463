/**
 * What the pages show, read through the reseller-scoped views and history:
 * every read takes the signed-in reseller's id, so another reseller's
 * installation is simply not found.
 */
import type { Availability, Outage, TimeRange } from '../../store/history.ts'
import type { HistoryEvent, InstallationSummary, ResellerViews } from '../../store/views.ts'
import type { ApiDeps } from '../context.ts'
import { matchesSearch, sortKey } from './describe.ts'
import type { DashboardOptions } from './options.ts'
import type { Counts } from './overview.tsx'

export type InstallationView = NonNullable<ReturnType<ResellerViews['installation']>>

export interface InstallationData {
  view: InstallationView
  availability: Availability
  outages: Outage[]
  events: HistoryEvent[]
  range: TimeRange
}

const dayMs = 24 * 3600_000

export function loadOverview(
  deps: ApiDeps,
  resellerId: string,
  filter: { all: boolean; q: string },
): { counts: Counts; items: InstallationSummary[] } {
  // Counts cover the whole fleet whatever is shown, so one read of all serves both.
  const every = deps.views.listInstallations(resellerId, { all: true })
  const inError = every.reduce((n, s) => n + (s.inError ? 1 : 0), 0)
  const counts = { all: every.length, healthy: every.length - inError, inError }

  const shown = every
    .filter((s) => (filter.all || s.inError) && matchesSearch(s, filter.q))
    .map((s) => ({ s, key: sortKey(s) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return { counts, items: shown.map((e) => e.s) }
}

export function loadCounts(deps: ApiDeps, resellerId: string): Counts {
  const { all, inError } = deps.views.countInstallations(resellerId)
  return { all, healthy: all - inError, inError }
}

export async function loadInstallation(
  deps: ApiDeps,
  resellerId: string,
  slc: string,
  now: number,
  options: Pick<DashboardOptions, 'historyDays' | 'recentEventsLimit'>,
): Promise<InstallationData | undefined> {
  const view = deps.views.installation(resellerId, slc)
  if (!view) return undefined
  // History is kept under the registered spelling of the SLC; `slc` may differ in case.
  const canonical = view.slc

  // History ranges end before `to`; + 1 keeps what happened at this very millisecond.
  const range = { from: now - options.historyDays * dayMs, to: now + 1 }
  const [availability, outages, events] = await Promise.all([
    deps.history.availability(resellerId, canonical, range),
    deps.history.outages(resellerId, canonical, range),
    deps.history.events(resellerId, canonical, range, options.recentEventsLimit),
  ])
  return { view, availability, outages, events, range }
}
