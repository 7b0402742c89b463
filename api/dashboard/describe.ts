/**
 * What is wrong, in the words a reseller would use on the phone to his
 * customer: "2 cameras unreachable", "drive D: full", "unavailable for 2 h".
 * Durations are returned as a start time, so the page can keep them current.
 */
import {
  conditionLabels,
  type ConditionDetails,
  type ConditionKind,
} from '../../core/conditions.ts'
import type { HistoryEvent, InstallationSummary, Problem } from '../../store/views.ts'
import { dayWords, durationWords } from './format.ts'

export type Status = 'down' | 'error' | 'unmonitored' | 'ok' | 'idle'

/** Status is always shown as a word as well as a colour. */
export const statusWords: Record<Status, string> = {
  down: 'Unavailable',
  error: 'Error',
  unmonitored: 'Not monitored',
  ok: 'Healthy',
  idle: 'No servers',
}

type Monitored = Pick<InstallationSummary, 'accepted' | 'subscriptionExpiresAt' | 'servers'>

/**
 * Vigil watches a site only while its support subscription runs and the site
 * accepts the service (DESIGN.md); otherwise its servers' messages are
 * refused, so what is known about it may be stale, however healthy it looks.
 */
export function isMonitored(s: Monitored, now: number): boolean {
  return s.accepted && s.subscriptionExpiresAt !== null && s.subscriptionExpiresAt >= now
}

/** Why a site is not monitored, in plain words; '' when it is. */
export function unmonitoredReason(s: Monitored, now: number, zone: string): string {
  const reasons: string[] = []
  // Enrolling a server accepts the service, so a site with servers once did.
  if (!s.accepted) {
    reasons.push(
      s.servers > 0 ? 'the site withdrew its consent' : 'the site has not accepted the service yet',
    )
  }
  if (s.subscriptionExpiresAt === null) reasons.push('no support subscription')
  else if (s.subscriptionExpiresAt < now) {
    reasons.push(`support subscription expired on ${dayWords(s.subscriptionExpiresAt, zone, now)}`)
  }
  return reasons.join('; ')
}

/** The default overview lists what needs the reseller: errors, and sites nobody watches. */
export function needsAttention(s: InstallationSummary, now: number): boolean {
  return s.inError || !isMonitored(s, now)
}

/** A phrase, optionally followed by a duration counted from `since`, kept current. */
export interface Phrase {
  text: string
  since?: number
}

export function installationStatus(s: InstallationSummary, now: number): Status {
  if (!isMonitored(s, now)) return 'unmonitored'
  if (s.unavailableServers > 0) return 'down'
  if (s.inError) return 'error'
  return s.servers > 0 ? 'ok' : 'idle'
}

const tiers: Record<Status, number> = { down: 0, error: 1, unmonitored: 2, ok: 3, idle: 4 }

/**
 * Worst first: a silent site (nothing is known about its recordings), then
 * the most problems, then the longest-standing, then by name; sites that are
 * not monitored come after those in error. Compared as plain strings, by the
 * server and by the browser script alike.
 */
export function sortKey(s: InstallationSummary, now: number): string {
  const tier = tiers[installationStatus(s, now)]
  const fewer = String(9999 - Math.min(s.problems.length, 9999)).padStart(4, '0')
  const since = String(s.since ?? 0).padStart(15, '0')
  // A tab sorts below every character a name may hold (the registry refuses control characters).
  return `${tier}${fewer}${since}${s.customerName.toLowerCase()}\t${s.slc}`
}

export function matchesSearch(s: { slc: string; customerName: string }, q: string): boolean {
  const needle = q.trim().toLowerCase()
  if (!needle) return true
  return s.customerName.toLowerCase().includes(needle) || s.slc.toLowerCase().includes(needle)
}

/** Kinds that problemPhrases words together; the rest get a phrase each. */
const groupedAbove: ReadonlySet<ConditionKind> = new Set([
  'server-unavailable',
  'camera-unreachable',
  'drive-full',
])

/** The overview's one-line account of an installation's problems. */
export function problemPhrases(s: InstallationSummary): Phrase[] {
  const phrases: Phrase[] = []
  const byKind = groupByKind(s.problems)

  const down = byKind.get('server-unavailable')
  if (down) phrases.push(unavailablePhrase(down, s.servers))

  const cameras = byKind.get('camera-unreachable')
  if (cameras) {
    phrases.push({
      text:
        cameras.length === 1
          ? conditionWords(cameras[0]!)
          : `${cameras.length} cameras unreachable`,
    })
  }

  const drives = byKind.get('drive-full')
  if (drives) {
    const names = drives.map((d) => d.subject).filter(Boolean)
    phrases.push({
      text: drives.length === 1 ? conditionWords(drives[0]!) : `drives ${names.join(', ')} full`,
    })
  }

  for (const [kind, problems] of byKind) {
    if (groupedAbove.has(kind)) continue
    phrases.push({
      text:
        problems.length === 1
          ? conditionWords(problems[0]!)
          : `${conditionLabels[kind]} (${problems.length} times)`,
    })
  }
  return phrases
}

function unavailablePhrase(down: Problem[], servers: number): Phrase {
  const since = Math.min(...down.map((p) => p.since))
  if (servers <= 1) return { text: 'unavailable for ', since }
  if (down.length === servers) return { text: `all ${servers} servers unavailable for `, since }
  if (down.length === 1) return { text: `${down[0]!.serverName} unavailable for `, since }
  return { text: `${down.length} of ${servers} servers unavailable for `, since }
}

/** One condition in words, with its subject where the kind has one. */
export function conditionWords(c: {
  kind: ConditionKind
  subject: string
  details?: ConditionDetails
}): string {
  const subject = c.subject.trim()
  switch (c.kind) {
    case 'camera-unreachable':
      return subject ? `camera ${subject} unreachable` : 'a camera unreachable'
    case 'drive-full':
      return subject ? `drive ${subject} full` : 'a drive full'
    case 'server-unavailable':
      return subject ? `${subject} unavailable` : 'recording server unavailable'
    case 'license-shortage':
      return licenseWords(c.details ?? {})
    default:
      return subject ? `${conditionLabels[c.kind]}: ${subject}` : conditionLabels[c.kind]
  }
}

function licenseWords(details: ConditionDetails) {
  const used = details.used ?? details.installed ?? details.cameras
  const available = details.available ?? details.licensed ?? details.licenses
  if (typeof used === 'number' && typeof available === 'number') {
    return `${used} cameras, only ${available} licenses`
  }
  return conditionLabels['license-shortage']
}

/**
 * Details in words: "99 % used", "I/O error on target volume", "34 used of
 * 32 licenses". Keys the agent is known to send are worded; any other is
 * shown as "key: value", its camelCase key split into words.
 */
export function detailWords(details: ConditionDetails | null | undefined): string {
  if (!details) return ''
  const rest: Record<string, string | number | boolean> = { ...details }
  const words: string[] = []
  const take = (key: string) => {
    const value = rest[key]
    delete rest[key]
    return value
  }

  const used = take('used')
  const available = take('available')
  if (used !== undefined && available !== undefined) {
    words.push(`${used} used of ${available} licenses`)
  } else if (used !== undefined) words.push(`${used} used`)
  else if (available !== undefined) words.push(`${available} available`)

  for (const key of Object.keys(rest)) {
    const worded = knownDetail(key, rest[key]!)
    words.push(
      worded ?? `${key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()}: ${rest[key]}`,
    )
  }
  return words.join(' · ')
}

function knownDetail(key: string, value: string | number | boolean): string | undefined {
  switch (key) {
    case 'message':
    case 'reason':
      return String(value)
    case 'usedPercent':
      return `${value} % used`
    case 'freeBytes':
      return typeof value === 'number' ? `${bytesWords(value)} free` : undefined
    case 'freeGb':
      return `${value} GB free`
    case 'address':
      return `at ${value}`
    default:
      return undefined
  }
}

function bytesWords(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB']
  let n = bytes
  let unit = 0
  while (n >= 1000 && unit < units.length - 1) {
    n /= 1000
    unit++
  }
  return unit === 0 ? `${n} bytes` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[unit]}`
}

/** A history event as one line; `serverName` resolves the event's server id. */
export function eventWords(e: HistoryEvent, serverName: string): string {
  const condition = e.kind
    ? { kind: e.kind as ConditionKind, subject: e.subject ?? '', details: e.details ?? {} }
    : undefined
  switch (e.type) {
    case 'serverUnavailable':
      return `${serverName} became unavailable (three heartbeats missed)`
    case 'serverAvailable': {
      const outage = e.durationMs === null ? 'an outage' : durationWords(e.durationMs)
      return `${serverName} available again after ${outage}`
    }
    case 'conditionRaised':
      return `${serverName}: ${condition ? conditionWords(condition) : 'error raised'}`
    case 'conditionCleared':
      return `${serverName}: resolved: ${condition ? conditionWords(condition) : 'error'}`
    default:
      return `${serverName}: ${e.type}`
  }
}

function groupByKind(problems: Problem[]): Map<ConditionKind, Problem[]> {
  const map = new Map<ConditionKind, Problem[]>()
  for (const p of problems) {
    const list = map.get(p.kind)
    if (list) list.push(p)
    else map.set(p.kind, [p])
  }
  return map
}
