/**
 * What one live stream sends (api/live.ts serves it). The changed SLCs of
 * the whole fleet are first narrowed to the viewer's own in one query scoped
 * by reseller (views.ownSlcs); only those are read, through
 * views.installation(resellerId, slc), and counted against the row limit.
 * Changes at other resellers' sites yield no message at all, not even a resync.
 */
import type { SSEStreamingApi } from 'hono/streaming'
import { filter, map, type Observable } from 'rxjs'
import type { ApiDeps } from '../context.ts'
import { ChangeFeed } from './change-feed.ts'
import { loadCounts, loadInstallation } from './data.ts'
import { needsAttention, sortKey } from './describe.ts'
import { renderInstallationBody } from './installation.tsx'
import type { DashboardOptions } from './options.ts'
import { renderRow } from './overview.tsx'
import type { RecentChanges } from './recent-changes.ts'

export interface LiveContext {
  deps: ApiDeps
  options: DashboardOptions
  changes: RecentChanges
}

export interface Viewer {
  resellerId: string
  zone: string
}

type Send = (slcs: string[], takenAt: number) => Promise<void>

/** The overview's stream: changed rows with fresh counts, after catching up from `since`. */
export function watchOverview(
  live: LiveContext,
  stream: SSEStreamingApi,
  viewer: Viewer,
  since: number | undefined,
): Promise<void> {
  const { deps, options, changes } = live
  const send: Send = async (changed, takenAt) => {
    // Ownership first: the limit is about this reseller's rows, never the fleet's.
    const slcs = deps.views.ownSlcs(viewer.resellerId, changed)
    if (slcs.length === 0) return
    if (slcs.length > options.liveMaxRows) return write(stream, 'resync', takenAt, {})

    const rows = []
    for (const slc of slcs) {
      const view = deps.views.installation(viewer.resellerId, slc)
      if (!view) continue
      // `listed`: the default overview shows it (in error, or not monitored).
      rows.push({
        slc,
        inError: view.inError,
        listed: needsAttention(view, takenAt),
        sort: sortKey(view, takenAt),
        html: await renderRow(view, viewer.zone, takenAt),
      })
    }
    if (rows.length === 0) return
    const counts = loadCounts(deps, viewer.resellerId, takenAt)
    await write(stream, 'rows', takenAt, { counts, rows })
  }

  return runStream(live, stream, changes.changes$, send, async (feed) => {
    if (since === undefined) return
    const missed = changes.since(since)
    if (missed) feed.add(missed)
    else await write(stream, 'resync', deps.now(), {})
  })
}

/** One installation's stream: its whole page body, on connect and after every change. */
export function watchInstallation(
  live: LiveContext,
  stream: SSEStreamingApi,
  viewer: Viewer,
  slc: string,
): Promise<void> {
  const { deps, options } = live
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
  return runStream(live, stream, touched$, send, async (feed) => feed.add([slc]))
}

/** Runs one stream until the browser leaves, Vigil stops, or a send fails. */
async function runStream(
  live: LiveContext,
  stream: SSEStreamingApi,
  source$: Observable<string[]>,
  send: Send,
  start: (feed: ChangeFeed) => Promise<void>,
) {
  const { deps, options } = live
  let finish = () => {}
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
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
  const ping = setInterval(
    () => void write(stream, 'ping', deps.now(), {}, false),
    options.livePingMs,
  )

  try {
    await stream.writeSSE({
      event: 'hello',
      data: JSON.stringify({ now: deps.now() }),
      retry: options.liveRetryMs,
    })
    await start(feed)
    await done
  } finally {
    clearInterval(ping)
    subscription.unsubscribe()
    feed.close()
  }
}

/** One message; `id` is the time it describes, except for pings, which describe nothing. */
function write(stream: SSEStreamingApi, event: string, now: number, body: object, id = true) {
  return stream.writeSSE({
    event,
    data: JSON.stringify({ now, ...body }),
    ...(id ? { id: String(now) } : {}),
  })
}
