/**
 * The frame every page shares, and the small pieces the pages are made of.
 * hono/jsx escapes every text and attribute, so a customer name is only ever
 * text. The one script is a file from this origin (the CSP allows no inline
 * script); pages are complete without it.
 */
import type { Child, PropsWithChildren } from 'hono/jsx'
import type { JSX } from 'hono/jsx/jsx-runtime'
import type { Reseller } from '../../store/registry.ts'
import { statusWords, type Phrase, type Status } from './describe.ts'
import { clockTime, durationWords, fullTime, isoTime, zoneLabel } from './format.ts'

export interface Frame {
  title: string
  zone: string
  now: number
  reseller?: Reseller
  /** Which live stream the page script opens, if any. */
  live?: 'overview' | 'installation'
  slc?: string
}

export function Layout(props: PropsWithChildren<Frame>) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/assets/dashboard.css" />
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <script type="module" src="/assets/dashboard.js"></script>
      </head>
      <body
        data-now={String(props.now)}
        data-zone={props.zone}
        data-live={props.live}
        data-slc={props.slc}
      >
        <TopBar reseller={props.reseller} live={!!props.live} />
        {props.live ? <LiveNote /> : null}
        <main>{props.children}</main>
        <footer id="zone-note" class="foot" data-refresh>
          Times are shown in {zoneLabel(props.zone, props.now)}.
        </footer>
      </body>
    </html>
  )
}

function TopBar(props: { reseller?: Reseller; live: boolean }) {
  return (
    <header class="top">
      <a class="brand" href="/">
        <img src="/assets/favicon.svg" alt="" width="22" height="22" />
        Vigil
      </a>
      {props.live ? (
        <span id="live-pill" class="pill" hidden>
          Live
        </span>
      ) : null}
      {props.reseller ? (
        <form class="account" method="post" action="/sign-out">
          <span class="reseller">{props.reseller.name}</span>
          <button type="submit" class="quiet">
            Sign out
          </button>
        </form>
      ) : null}
    </header>
  )
}

/** Shown by the script while the live link is down; hidden until then. */
function LiveNote() {
  return (
    <div id="live-note" class="live-note" role="status" hidden>
      <strong>Live updates interrupted.</strong> Reconnecting… What you see may be out of date.
    </div>
  )
}

export function Badge(props: { status: Status }) {
  return <span class={`badge ${props.status}`}>{statusWords[props.status]}</span>
}

/** A point in time in the viewer's zone; the tooltip has the full date and zone. */
export function Time(props: { ms: number; zone: string; now: number }) {
  return (
    <time datetime={isoTime(props.ms)} title={fullTime(props.ms, props.zone)}>
      {clockTime(props.ms, props.zone, props.now)}
    </time>
  )
}

/** A duration that the script keeps current from `data-since`. */
export function Since(props: { since: number; now: number }) {
  return <span data-since={String(props.since)}>{durationWords(props.now - props.since)}</span>
}

export function Phrases(props: { phrases: Phrase[]; now: number }): Child {
  return props.phrases.map((p, i) => (
    <>
      {i > 0 ? '; ' : ''}
      {p.text}
      {p.since !== undefined ? <Since since={p.since} now={props.now} /> : null}
    </>
  ))
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-GB')
}

/** hono/jsx renders to a string, or to a promise of one when a component is async. */
export async function renderHtml(node: JSX.Element): Promise<string> {
  const value = await node
  return await value.toString()
}
