/**
 * One installation: its servers, what is wrong now, its outages and its
 * recent events. The body is rendered here for the page and for the live
 * stream, which replaces it whole when anything about the site changes.
 */
import type { Reseller } from '../../store/registry.ts'
import type { ServerView } from '../../store/views.ts'
import type { InstallationData } from './data.ts'
import {
  conditionWords,
  detailWords,
  eventWords,
  installationStatus,
  unmonitoredReason,
} from './describe.ts'
import { percentWords } from './format.ts'
import { Badge, Layout, renderHtml, Since, Time } from './layout.tsx'
import { OutageList, OutageTimeline } from './timeline.tsx'

interface BodyProps {
  data: InstallationData
  zone: string
  now: number
}

export function InstallationPage(props: BodyProps & { reseller: Reseller }) {
  const { view } = props.data
  return (
    <Layout
      title={`${view.customerName} · Vigil`}
      zone={props.zone}
      now={props.now}
      reseller={props.reseller}
      live="installation"
      slc={view.slc}
    >
      <p class="back">
        <a href="/">← All installations</a>
      </p>
      <InstallationBody data={props.data} zone={props.zone} now={props.now} />
    </Layout>
  )
}

export function InstallationBody(props: BodyProps) {
  const { view } = props.data
  const notes = unmonitoredReason(view, props.now, props.zone)
  return (
    <div id="installation" data-refresh>
      <header class="site-head">
        <h1>{view.customerName}</h1>
        <Badge status={installationStatus(view, props.now)} />
        <span class="slc">SLC {view.slc}</span>
      </header>
      {notes ? (
        <p class="alert">
          Not monitored: {notes}. Vigil refuses its servers' messages until that changes, so what is
          shown below may be out of date.
        </p>
      ) : null}
      <ServersCard {...props} />
      <section class="card">
        <h2>Active errors</h2>
        <ConditionTable view={view} zone={props.zone} now={props.now} />
      </section>
      <OutagesCard {...props} />
      <EventsCard {...props} />
    </div>
  )
}

function ServersCard(props: BodyProps) {
  const { view, history } = props.data
  const percent = history
    ? new Map(history.availability.servers.map((s) => [s.serverId, s.percent]))
    : undefined
  return (
    <section class="card">
      <h2>Recording servers</h2>
      <ServerTable
        servers={view.serverDetails}
        percent={percent}
        zone={props.zone}
        now={props.now}
      />
      {history ? null : <HistoryUnavailable what="Availability" />}
      <p class={view.unavailableServers ? 'note strong' : 'note'}>
        A server is shown as unavailable after three missed heartbeats in a row. That can also mean
        the internet link at the site is broken while the server itself still records.
      </p>
    </section>
  )
}

/** In place of what the history store would have shown; the rest of the page is current. */
function HistoryUnavailable(props: { what: string }) {
  return (
    <p class="alert history-unavailable">
      History is unavailable right now. {props.what} will show again once it answers; the servers
      and active errors above are current.
    </p>
  )
}

function OutagesCard(props: BodyProps) {
  const { view, history, range } = props.data
  const days = Math.round((range.to - range.from) / (24 * 3600_000))
  if (!history) {
    return (
      <section class="card">
        <h2>Outages, last {days} days</h2>
        <HistoryUnavailable what="Outages" />
      </section>
    )
  }
  const { outages } = history
  return (
    <section class="card">
      <h2>Outages, last {days} days</h2>
      <OutageTimeline
        servers={view.serverDetails}
        outages={outages}
        range={range}
        zone={props.zone}
        now={props.now}
      />
      <OutageList
        outages={outages}
        names={serverNames(props.data)}
        zone={props.zone}
        now={props.now}
      />
    </section>
  )
}

function EventsCard(props: BodyProps) {
  const { history } = props.data
  const names = serverNames(props.data)
  if (!history) {
    return (
      <section class="card">
        <h2>Recent events</h2>
        <HistoryUnavailable what="Events" />
      </section>
    )
  }
  const { events } = history
  return (
    <section class="card">
      <h2>Recent events</h2>
      {events.length ? (
        <ol class="events">
          {events.map((e) => (
            <li class={e.type}>
              <Time ms={e.at} zone={props.zone} now={props.now} />
              <span>{eventWords(e, names.get(e.serverId) ?? e.serverId)}</span>
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted">Nothing has happened here yet.</p>
      )}
    </section>
  )
}

function serverNames(data: InstallationData) {
  return new Map(data.view.serverDetails.map((s) => [s.id, s.name]))
}

/** `percent` is undefined when the history store could not say. */
function ServerTable(props: {
  servers: ServerView[]
  percent?: Map<string, number | null>
  zone: string
  now: number
}) {
  const { zone, now } = props
  if (!props.servers.length) {
    return <p class="muted">No recording server has been enrolled at this site yet.</p>
  }
  return (
    <table class="plain servers">
      <thead>
        <tr>
          <th>Server</th>
          <th>Status</th>
          <th>Last heartbeat</th>
          <th>Availability</th>
        </tr>
      </thead>
      <tbody>
        {props.servers.map((s) => (
          <tr id={`server-${s.id}`} class={s.available ? 'ok' : 'down'}>
            <td class="name">{s.name}</td>
            <td>
              <span class={`badge ${s.available ? 'ok' : 'down'}`}>
                {s.available ? 'Available' : 'Unavailable'}
              </span>
              {s.unavailableSince !== null ? (
                <span class="muted">
                  {' '}
                  for <Since since={s.unavailableSince} now={now} />
                </span>
              ) : null}
            </td>
            <td data-label="Last heartbeat">
              {s.lastSeenAt !== null ? (
                <>
                  <Time ms={s.lastSeenAt} zone={zone} now={now} />
                  <span class="muted">
                    {' '}
                    (<Since since={s.lastSeenAt} now={now} /> ago)
                  </span>
                </>
              ) : (
                <span class="muted">never</span>
              )}
            </td>
            <td data-label="Availability">
              {props.percent ? (
                percentWords(props.percent.get(s.id) ?? null)
              ) : (
                <span class="muted">unknown for now</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function ConditionTable(props: { view: InstallationData['view']; zone: string; now: number }) {
  const problems = props.view.problems
  if (!problems.length) return <p class="muted">No active errors.</p>
  return (
    <table class="plain">
      <thead>
        <tr>
          <th>What</th>
          <th>Server</th>
          <th>Details</th>
          <th>Since</th>
        </tr>
      </thead>
      <tbody>
        {problems.map((p) => (
          <tr class={p.kind === 'server-unavailable' ? 'down' : 'error'}>
            <td>{conditionWords(p)}</td>
            <td>{p.serverName}</td>
            <td class="muted">{detailWords(p.details)}</td>
            <td>
              <Time ms={p.since} zone={props.zone} now={props.now} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The page body as HTML, for the live stream. */
export function renderInstallationBody(props: BodyProps): Promise<string> {
  return renderHtml(<InstallationBody {...props} />)
}
