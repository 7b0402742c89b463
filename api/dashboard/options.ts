/** Settings of the web dashboard and its live stream, each default in one place. */
export interface DashboardOptions {
  /** How long a browser keeps the sign-in cookie, in seconds. */
  sessionMaxAgeS: number
  /** Changes are gathered this long before a live message is sent. */
  liveCoalesceMs: number
  /** A ping this often lets proxies keep, and browsers check, an idle stream. */
  livePingMs: number
  /** How long a browser waits before it reconnects a dropped stream. */
  liveRetryMs: number
  /** Past this many of the viewer's own changed installations at once, the page reloads instead. */
  liveMaxRows: number
  /** Recent changes are remembered this long, so a reconnecting page can catch up. */
  recentChangesMs: number
  /** ...and at most this many of them. */
  recentChangesMax: number
  /** The installation page's history: availability, outages and events. */
  historyDays: number
  recentEventsLimit: number
  /** A page waits this long for the history store, then shows its current state without. */
  historyTimeoutMs: number
}

export const dashboardDefaults: DashboardOptions = {
  sessionMaxAgeS: 7 * 24 * 3600,
  liveCoalesceMs: 250,
  livePingMs: 25_000,
  liveRetryMs: 2_000,
  liveMaxRows: 200,
  recentChangesMs: 10 * 60_000,
  recentChangesMax: 50_000,
  historyDays: 30,
  recentEventsLimit: 50,
  historyTimeoutMs: 3_000,
}
