/**
 * Live updates for the dashboard pages, as Server-Sent Events.
 *
 * A stream belongs to the reseller whose token opened it. For every SLC that
 * changed it asks views.installation(resellerId, slc), a query scoped by
 * reseller, and sends nothing about an SLC that query does not find: another
 * reseller's changes produce no message at all, not even an empty one.
 *
 * Messages carry server-rendered, escaped HTML (the same components as the
 * pages), the server's clock and, as the SSE id, the time they describe, so a
 * browser that reconnects (Last-Event-ID) gets what changed in between.
 *
 *   hello         {now}                           on every (re)connect
 *   rows          {now, counts, rows[]}           overview: changed rows
 *   installation  {now, html}                     installation page body
 *   resync        {now}                           too much changed: reload the data
 *   ping          {now}                           keeps an idle link checked
 */
import { Hono, type Context } from 'hono'
import { streamSSE, type SSEStreamingApi } from 'hono/streaming'
import { filter, map, type Observable } from 'rxjs'
import { z } from 'zod'
import { slcPattern } from '../core/topics.ts'
import { requireReseller } from './auth.ts'
import type { ApiDeps, AppEnv } from './context.ts'
import { ChangeFeed } from './dashboard/change-feed.ts'
import { loadCounts, loadInstallation } from './dashboard/data.ts'
import { sortKey } from './dashboard/describe.ts'
import { renderInstallationBody } from './dashboard/installation.tsx'
import { dashboardDefaults, type DashboardOptions } from './dashboard/options.ts'
import { renderRow } from './dashboard/overview.tsx'
import { RecentChanges } from './dashboard/recent-changes.ts'
import { viewerZone } from './dashboard/session.ts'
import { readQuery } from './input.ts'
import { ApiError } from './problems.ts'

const liveQuery = z.object({
  slc: z.string().regex(slcPattern).optional(),
  since: z.string().regex(/^\d{1,16}$/).transform(Number).optional(),
})

interface Viewer {
  resellerId: string
  zone: string
}

type Send = (slcs: string[], takenAt: number) => Promise<void>

export function liveRoutes(deps: ApiDeps, options: DashboardOptions = dashboardDefaults) {
  const app = new Hono<AppEnv>()
  const changes = new RecentChanges(deps.committed$, deps.now,
    { keepMs: options.recentChangesMs, maxEntries: options.recentChangesMax }, deps.logger)
  const gauge = deps.metrics.gauge('vigil_dashboard_live_streams', 'Open live streams of the dashboard')
  let open = 0

  app.get('/live', requireReseller(deps), (c) => {
    const query = readQuery(c, liveQuery)
    const viewer = { resellerId: c.var.reseller.id, zone: viewerZone(c) }
    if (query.slc && !deps.views.installation(viewer.resellerId, query.slc)) {
      throw new ApiError('not-found', 'no such installation')
    }
    const since = lastEventId(c) ?? query.since

    const response = streamSSE(c, async function serveLiveStream(stream) {
      gauge.set(++open)
      deps.logger.debug('liveStreamOpened', { resellerId: viewer.resellerId, slc: query.slc })
      try {
        if (query.slc) await watchInstallation(stream, viewer, query.slc)
        else await watchOverview(stream, viewer, since)
      } finally {
        gauge.set(--open)
        deps.logger.debug('liveStreamClosed', { resellerId: viewer.resellerId, slc: query.slc })
      }
    })
    // A stream is never followed by another request on its connection; closing the socket
    // when the stream ends lets a stopping Vigil finish without waiting out keep-alive.
    response.headers.set('connection', 'close')
    return response
  })

  function watchOverview(stream: SSEStreamingApi, viewer: Viewer, since: number | undefined) {
    const send: Send = async (slcs, takenAt) => {
      if (slcs.length > options.liveMaxRows) return write(stream, 'resync', takenAt, {})

      const rows = []
      for (const slc of slcs) {
        const view = deps.views.installation(viewer.resellerId, slc)
        if (!view) continue
        rows.push({ slc, inError: view.inError, sort: sortKey(view),
          html: await renderRow(view, viewer.zone, takenAt) })
      }
      if (rows.length === 0) return
      await write(stream, 'rows', takenAt, { counts: loadCounts(deps, viewer.resellerId), rows })
    }

    return runStream(stream, changes.changes$, send, async (feed) => {
      if (since === undefined) return
      const missed = changes.since(since)
      if (missed) feed.add(missed)
      else await write(stream, 'resync', deps.now(), {})
    })
  }

  function watchInstallation(stream: SSEStreamingApi, viewer: Viewer, slc: string) {
    const send: Send = async (_slcs, takenAt) => {
      const data = await loadInstallation(deps, viewer.resellerId, slc, takenAt, options)
      if (!data) return
      const html = await renderInstallationBody({ data, zone: viewer.zone, now: takenAt })
      await write(stream, 'installation', takenAt, { html })
    }
    // Heartbeats count here too: the page shows each server's last one.
    const touched$ = deps.committed$.pipe(
      filter((batch) => batch.some((e) => e.slc === slc)),
      map(() => [slc]),
    )
    // The body is sent once on connect, so a page is current whenever its link was down.
    return runStream(stream, touched$, send, async (feed) => feed.add([slc]))
  }

  /** Runs one stream until the browser leaves, Vigil stops, or a send fails. */
  async function runStream(stream: SSEStreamingApi, source$: Observable<string[]>, send: Send,
    start: (feed: ChangeFeed) => Promise<void>) {
    let finish = () => {}
    const done = new Promise<void>((resolve) => { finish = resolve })
    const feed = new ChangeFeed({
      delayMs: options.liveCoalesceMs,
      now: deps.now,
      send,
      onError: (error) => {
        deps.logger.warn('liveStreamFailed', { error })
        finish()
      },
    })
    const subscription = source$.subscribe({
      next: (slcs) => feed.add(slcs),
      error: () => finish(),
      complete: () => finish(),
    })
    stream.onAbort(() => finish())
    const ping = setInterval(() => void write(stream, 'ping', deps.now(), {}, false),
      options.livePingMs)

    try {
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ now: deps.now() }),
        retry: options.liveRetryMs })
      await start(feed)
      await done
    } finally {
      clearInterval(ping)
      subscription.unsubscribe()
      feed.close()
    }
  }

  return app
}

/** One message; `id` is the time it describes, except for pings, which describe nothing. */
function write(stream: SSEStreamingApi, event: string, now: number, body: object, id = true) {
  return stream.writeSSE({ event, data: JSON.stringify({ now, ...body }),
    ...(id ? { id: String(now) } : {}) })
}

/** Browsers resend the last SSE id when they reconnect by themselves. */
function lastEventId(c: Context): number | undefined {
  const value = c.req.header('last-event-id')
  return value && /^\d{1,16}$/.test(value) ? Number(value) : undefined
}
