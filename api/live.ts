/**
 * Live updates for the dashboard pages, as Server-Sent Events.
 *
 * A stream belongs to the reseller whose token opened it. Of the SLCs that
 * changed it keeps, in one query scoped by reseller, those that are its own,
 * and reads only those; another reseller's changes produce no message at
 * all, not even an empty one or a resync.
 *
 * Messages carry server-rendered, escaped HTML (the same components as the
 * pages), the server's clock and, as the SSE id, the time they describe, so a
 * browser that reconnects (Last-Event-ID) gets what changed in between.
 *
 *   hello         {now}                           on every (re)connect
 *   rows          {now, counts, rows[]}           overview: changed rows
 *   installation  {now, html}                     installation page body
 *   resync        {now}                           too much of its own changed: reload
 *   ping          {now}                           keeps an idle link checked
 */
import { Hono, type Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import { z } from 'zod'
import { slcPattern } from '../core/topics.ts'
import { requireReseller } from './auth.ts'
import type { ApiDeps, AppEnv } from './context.ts'
import { watchInstallation, watchOverview, type LiveContext } from './dashboard/live-streams.ts'
import { dashboardDefaults, type DashboardOptions } from './dashboard/options.ts'
import { RecentChanges } from './dashboard/recent-changes.ts'
import { viewerZone } from './dashboard/session.ts'
import { readQuery } from './input.ts'
import { ApiError } from './problems.ts'

const liveQuery = z.object({
  slc: z.string().regex(slcPattern).optional(),
  since: z
    .string()
    .regex(/^\d{1,16}$/)
    .transform(Number)
    .optional(),
})

export function liveRoutes(deps: ApiDeps, options: DashboardOptions = dashboardDefaults) {
  const app = new Hono<AppEnv>()
  const changes = new RecentChanges(
    deps.committed$,
    deps.now,
    { keepMs: options.recentChangesMs, maxEntries: options.recentChangesMax },
    deps.logger,
  )
  const live: LiveContext = { deps, options, changes }
  const gauge = deps.metrics.gauge(
    'vigil_dashboard_live_streams',
    'Open live streams of the dashboard',
  )
  let open = 0

  app.get('/live', requireReseller(deps), (c) => {
    const query = readQuery(c, liveQuery)
    const viewer = { resellerId: c.var.reseller.id, zone: viewerZone(c) }
    // Events carry the registered spelling of the SLC; the query may use any case.
    const slc = query.slc && deps.views.installation(viewer.resellerId, query.slc)?.slc
    if (query.slc && !slc) throw new ApiError('not-found', 'no such installation')
    const since = lastEventId(c) ?? query.since
    const ids = { resellerId: viewer.resellerId, slc }

    const response = streamSSE(c, async function serveLiveStream(stream) {
      gauge.set(++open)
      deps.logger.debug('liveStreamOpened', ids)
      try {
        if (slc) await watchInstallation(live, stream, viewer, slc)
        else await watchOverview(live, stream, viewer, since)
      } finally {
        gauge.set(--open)
        deps.logger.debug('liveStreamClosed', ids)
      }
    })
    // A stream is never followed by another request on its connection; closing the socket
    // when the stream ends lets a stopping Vigil finish without waiting out keep-alive.
    response.headers.set('connection', 'close')
    return response
  })

  return app
}

/** Browsers resend the last SSE id when they reconnect by themselves. */
function lastEventId(c: Context): number | undefined {
  const value = c.req.header('last-event-id')
  return value && /^\d{1,16}$/.test(value) ? Number(value) : undefined
}
