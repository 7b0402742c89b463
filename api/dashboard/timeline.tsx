/**
 * Outages of an installation's servers, drawn as one bar per server and
 * listed as text. The bars are SVG with geometry in attributes: the CSP
 * forbids inline styles, and colour comes from the stylesheet.
 */
import type { Outage, TimeRange } from '../../store/history.ts'
import { durationWords } from './format.ts'
import { Since, Time } from './layout.tsx'

interface TimelineServer {
  id: string
  name: string
  enrolledAt: number
}

interface TimelineProps {
  servers: TimelineServer[]
  outages: Outage[]
  range: TimeRange
  zone: string
  now: number
}

const width = 1000
const minSpanMs = 3600_000
/** An outage of a few minutes in a month is still drawn wide enough to see. */
const minOutageWidth = 3
const listLimit = 20

export function OutageTimeline(props: TimelineProps) {
  const span = drawnSpan(props)
  const x = (ms: number) => ((ms - span.from) / (span.to - span.from)) * width
  return (
    <div class="timeline">
      <ul>
        {props.servers.map((server) => (
          <li>
            <span class="tl-name">{server.name}</span>
            <ServerBar
              server={server}
              span={span}
              x={x}
              now={props.now}
              outages={props.outages.filter((o) => o.serverId === server.id)}
            />
          </li>
        ))}
        <li class="tl-axis">
          <span></span>
          <span class="tl-ends">
            <Time ms={span.from} zone={props.zone} now={props.now} />
            <span>now</span>
          </span>
        </li>
      </ul>
    </div>
  )
}

function ServerBar(props: {
  server: TimelineServer
  outages: Outage[]
  span: TimeRange
  x: (ms: number) => number
  now: number
}) {
  const { server, span, x } = props
  const start = Math.max(span.from, server.enrolledAt)
  const label = `${server.name}: ${props.outages.length} outage(s) shown`
  return (
    <svg viewBox={`0 0 ${width} 16`} preserveAspectRatio="none" role="img" aria-label={label}>
      {start > span.from ? (
        <rect class="t-none" x="0" y="0" width={fixed(x(start))} height="16" />
      ) : null}
      <rect class="t-up" x={fixed(x(start))} y="0" width={fixed(width - x(start))} height="16" />
      {props.outages.map((o) => {
        const from = x(Math.max(o.startedAt, span.from))
        const to = x(o.endedAt ?? props.now)
        return (
          <rect
            class="t-down"
            x={fixed(Math.min(from, width - minOutageWidth))}
            y="0"
            width={fixed(Math.max(to - from, minOutageWidth))}
            height="16"
          >
            <title>{`unavailable for ${durationWords(o.durationMs)}`}</title>
          </rect>
        )
      })}
    </svg>
  )
}

/** The range drawn: the history range, but not long before the first server was enrolled. */
function drawnSpan(props: TimelineProps): TimeRange {
  const to = props.now
  const firstEnrolled = Math.min(...props.servers.map((s) => s.enrolledAt), to)
  const from = Math.max(props.range.from, Math.min(firstEnrolled, to - minSpanMs))
  return { from, to }
}

export function OutageList(props: {
  outages: Outage[]
  names: Map<string, string>
  zone: string
  now: number
}) {
  const latest = [...props.outages].sort((a, b) => b.startedAt - a.startedAt).slice(0, listLimit)
  if (!latest.length) return <p class="muted">No outages in this period.</p>
  return (
    <table class="plain">
      <thead>
        <tr>
          <th>Server</th>
          <th>From</th>
          <th>To</th>
          <th>Length</th>
        </tr>
      </thead>
      <tbody>
        {latest.map((o) => (
          <tr class={o.endedAt === null ? 'down' : undefined}>
            <td>{props.names.get(o.serverId) ?? o.serverId}</td>
            <td>
              <Time ms={o.startedAt} zone={props.zone} now={props.now} />
            </td>
            <td>
              {o.endedAt === null ? (
                <strong>ongoing</strong>
              ) : (
                <Time ms={o.endedAt} zone={props.zone} now={props.now} />
              )}
            </td>
            <td>
              {o.endedAt === null ? (
                <Since since={o.startedAt} now={props.now} />
              ) : (
                durationWords(o.durationMs)
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function fixed(n: number) {
  return n.toFixed(1)
}
