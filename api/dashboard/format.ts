/**
 * Times and durations as a reseller reads them: clock times in the viewer's
 * own time zone, durations in words ("2 h 14 min"). The browser script keeps
 * durations current with the same rules (assets/dashboard.js, durationWords);
 * a test holds the two to each other.
 */
import { DateTime, Duration, IANAZone } from 'luxon'

export const defaultZone = 'UTC'

const locale = 'en-GB'

/** The viewer's zone when it is a real IANA zone, else UTC (a cookie is user input). */
export function viewerZoneOf(candidate: string | undefined): string {
  if (!candidate || candidate.length > 64) return defaultZone
  return IANAZone.isValidZone(candidate) ? candidate : defaultZone
}

export function durationWords(ms: number): string {
  const parts = Duration.fromMillis(Math.max(0, ms)).shiftTo('days', 'hours', 'minutes')
  const days = parts.days
  const hours = parts.hours
  const minutes = Math.floor(parts.minutes)

  if (days > 0) {
    return joinWords(`${days} ${days === 1 ? 'day' : 'days'}`, hours ? `${hours} h` : '')
  }
  if (hours > 0) return joinWords(`${hours} h`, minutes ? `${minutes} min` : '')
  return minutes > 0 ? `${minutes} min` : 'under a minute'
}

/** A clock time short enough for a table cell: the date only when it is not today. */
export function clockTime(ms: number, zone: string, nowMs: number): string {
  const day = dayBounds(zone, nowMs)
  const time = formatter(zone, 'time').format(ms)

  if (ms >= day.today && ms < day.tomorrow) return time
  if (ms >= day.yesterday && ms < day.today) return `yesterday ${time}`
  if (ms >= day.year && ms < day.tomorrow) return `${formatter(zone, 'date').format(ms)}, ${time}`
  return `${formatter(zone, 'dateYear').format(ms)}, ${time}`
}

/** A day as "3 Dec", with the year when it is not this year's. */
export function dayWords(ms: number, zone: string, nowMs: number): string {
  const sameYear =
    DateTime.fromMillis(ms, { zone }).year === DateTime.fromMillis(nowMs, { zone }).year
  return formatter(zone, sameYear ? 'day' : 'dayYear').format(ms)
}

/** The full time with its zone, for a tooltip. */
export function fullTime(ms: number, zone: string): string {
  return formatter(zone, 'full').format(ms)
}

/*
 * A page shows thousands of times. Luxon finds the day boundaries in the
 * zone, once per zone and day; the formatting itself is done by Intl
 * formatters kept per zone, which cost about a microsecond a call where a
 * DateTime per call costs a hundred.
 */
const patterns = {
  time: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  date: { weekday: 'short', day: 'numeric', month: 'short' },
  dateYear: { day: 'numeric', month: 'short', year: 'numeric' },
  day: { day: 'numeric', month: 'short' },
  dayYear: { day: 'numeric', month: 'short', year: 'numeric' },
  full: {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  },
} satisfies Record<string, Intl.DateTimeFormatOptions>

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string, pattern: keyof typeof patterns): Intl.DateTimeFormat {
  const key = `${zone}\t${pattern}`
  let found = formatters.get(key)
  if (!found) {
    found = new Intl.DateTimeFormat(locale, { timeZone: zone, ...patterns[pattern] })
    formatters.set(key, found)
  }
  return found
}

interface DayBounds {
  year: number
  yesterday: number
  today: number
  tomorrow: number
}

/** One entry per zone (zones are validated, so their number is bounded), renewed at midnight. */
const days = new Map<string, DayBounds>()

function dayBounds(zone: string, nowMs: number): DayBounds {
  const cached = days.get(zone)
  if (cached && nowMs >= cached.today && nowMs < cached.tomorrow) return cached

  const today = DateTime.fromMillis(nowMs, { zone }).startOf('day')
  const bounds = {
    year: today.startOf('year').toMillis(),
    yesterday: today.minus({ days: 1 }).toMillis(),
    today: today.toMillis(),
    tomorrow: today.plus({ days: 1 }).toMillis(),
  }
  days.set(zone, bounds)
  return bounds
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}

/** "Europe/Amsterdam (CET)": which zone the page is shown in. */
export function zoneLabel(zone: string, nowMs: number): string {
  const short = DateTime.fromMillis(nowMs, { zone, locale }).toFormat('ZZZZ')
  return short === zone ? zone : `${zone} (${short})`
}

export function percentWords(percent: number | null): string {
  if (percent === null) return 'not measured yet'
  if (percent === 100) return '100 %'
  // Near the top the second decimal is what tells 99.93 % from 99.99 %.
  return `${percent.toFixed(percent >= 99 ? 2 : 1)} %`
}

function joinWords(...words: string[]) {
  return words.filter(Boolean).join(' ')
}
