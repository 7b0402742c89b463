/**
 * The overview: which customers need a call, worst first. By default only
 * installations in error; a switch shows all, a search narrows by customer or
 * SLC. Rows are rendered here for the page and for the live stream alike.
 */
import type { Reseller } from '../../store/registry.ts'
import type { InstallationSummary } from '../../store/views.ts'
import { installationStatus, problemPhrases, sortKey, unmonitoredReason } from './describe.ts'
import { Badge, formatCount, Layout, renderHtml, Phrases, Time } from './layout.tsx'

export interface Counts {
  all: number
  healthy: number
  inError: number
  /** Neither healthy nor in error: nobody watches these (describe.ts, isMonitored). */
  unmonitored: number
}

export interface OverviewProps {
  reseller: Reseller
  counts: Counts
  items: InstallationSummary[]
  all: boolean
  q: string
  zone: string
  now: number
}

export function OverviewPage(props: OverviewProps) {
  return (
    <Layout
      title={overviewTitle(props.counts)}
      zone={props.zone}
      now={props.now}
      reseller={props.reseller}
      live="overview"
    >
      <h1 class="visually-hidden">Installations</h1>
      <CountTiles counts={props.counts} />
      <Controls all={props.all} q={props.q} />
      <section id="results" data-refresh>
        <table
          id="installations"
          class="installations"
          data-all={props.all ? '1' : '0'}
          data-q={props.q}
        >
          <thead>
            <tr>
              <th>Status</th>
              <th>Customer</th>
              <th>What is wrong</th>
              <th>Since</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((s) => (
              <Row s={s} zone={props.zone} now={props.now} />
            ))}
          </tbody>
        </table>
        <p id="empty" class="empty" hidden={props.items.length > 0}>
          {emptyText(props.all, props.q)}
        </p>
      </section>
    </Layout>
  )
}

export function overviewTitle(counts: Counts): string {
  return counts.inError ? `${counts.inError} in error · Vigil` : 'All healthy · Vigil'
}

function CountTiles(props: { counts: Counts }) {
  const { all, healthy, inError, unmonitored } = props.counts
  return (
    <section id="counts" class="counts" aria-label="Counts" data-refresh>
      <div class={inError ? 'count error' : 'count error none'}>
        <span class="n" data-count="inError">
          {formatCount(inError)}
        </span>{' '}
        in error
      </div>
      <div class="count ok">
        <span class="n" data-count="healthy">
          {formatCount(healthy)}
        </span>{' '}
        healthy
      </div>
      <div class="count unmonitored">
        <span class="n" data-count="unmonitored">
          {formatCount(unmonitored)}
        </span>{' '}
        not monitored
      </div>
      <div class="count">
        <span class="n" data-count="all">
          {formatCount(all)}
        </span>{' '}
        installations
      </div>
    </section>
  )
}

function Controls(props: { all: boolean; q: string }) {
  const link = (all: boolean) => {
    const params = new URLSearchParams()
    if (all) params.set('all', '1')
    if (props.q) params.set('q', props.q)
    const query = params.toString()
    return query ? `/?${query}` : '/'
  }
  return (
    <form class="controls" method="get" action="/" role="search">
      <label for="q" class="visually-hidden">
        Search by customer or SLC
      </label>
      <input
        id="q"
        name="q"
        type="search"
        value={props.q}
        maxlength={200}
        placeholder="Search customer or SLC"
        autocomplete="off"
      />
      {props.all ? <input type="hidden" name="all" value="1" /> : null}
      <button type="submit" class="quiet">
        Search
      </button>
      <nav id="switch" class="switch" aria-label="Which installations to show" data-refresh>
        <a href={link(false)} aria-current={props.all ? undefined : 'page'}>
          In error
        </a>
        <a href={link(true)} aria-current={props.all ? 'page' : undefined}>
          All
        </a>
      </nav>
    </form>
  )
}

/** One installation; `id` and `data-sort` let the live script place it. */
export function Row(props: { s: InstallationSummary; zone: string; now: number }) {
  const { s, zone, now } = props
  const status = installationStatus(s, now)
  const notes = unmonitoredReason(s, now, zone)
  return (
    <tr id={`i-${s.slc}`} class={status} data-sort={sortKey(s, now)}>
      <td class="status">
        <Badge status={status} />
      </td>
      <td class="who">
        <a class="customer" href={`/installations/${encodeURIComponent(s.slc)}`}>
          {s.customerName}
        </a>
        <span class="slc">{s.slc}</span>
      </td>
      <td class="what">
        {s.inError ? <Phrases phrases={problemPhrases(s)} now={now} /> : null}
        {notes ? <span class="note">{notes}</span> : null}
        {!s.inError && !notes ? <span class="muted">nothing wrong</span> : null}
      </td>
      <td class="since">{s.since !== null ? <Time ms={s.since} zone={zone} now={now} /> : ''}</td>
    </tr>
  )
}

function emptyText(all: boolean, q: string) {
  if (q) return `No installation matches “${q}”.`
  return all ? 'No installations registered yet.' : 'Nothing needs attention right now.'
}

/** One row as HTML, for the live stream. */
export function renderRow(s: InstallationSummary, zone: string, now: number): Promise<string> {
  return renderHtml(<Row s={s} zone={zone} now={now} />)
}
