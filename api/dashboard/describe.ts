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
import { durationWords } from './format.ts'

export type Status = 'down' | 'error' | 'ok' | 'idle'

/** Status is always shown as a word as well as a colour. */
export const statusWords: Record<Status, string> = {
  down: 'Unavailable',
  error: 'Error',
  ok: 'Healthy',
  idle: 'No servers',
}

/** A phrase, optionally followed by a duration counted from `since`, kept current. */
export interface Phrase {
  text: string
  since?: number
}

export function installationStatus(s: InstallationSummary): Status {
  if (s.unavailableServers > 0) return 'down'
  if (s.inError) return 'error'
  return s.servers > 0 ? 'ok' : 'idle'
}

const tiers: Record<Status, number> = { down: 0, error: 1, ok: 2, idle: 3 }

/**
 * Worst first: a silent site (nothing is known about its recordings), then
 * the most problems, then the longest-standing, then by name. Compared as
 * plain strings, by the server and by the browser script alike.
 */
export function sortKey(s: InstallationSummary): string {
  const tier = tiers[installationStatus(s)]
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
const groupedAbove: ReadonlySet<ConditionKind> =
  new Set(['server-unavailable', 'camera-unreachable', 'drive-full'])

/** The overview's one-line account of an installation's problems. */
export function problemPhrases(s: InstallationSummary): Phrase[] {
  const phrases: Phrase[] = []
  const byKind = groupByKind(s.problems)

  const down = byKind.get('server-unavailable')
  if (down) phrases.push(unavailablePhrase(down, s.servers))

  const cameras = byKind.get('camera-unreachable')
  if (cameras) {
    phrases.push({ text: cameras.length === 1 ? conditionWords(cameras[0]!)
      : `${cameras.length} cameras unreachable` })
  }

  const drives = byKind.get('drive-full')
  if (drives) {
    const names = drives.map((d) => d.subject).filter(Boolean)
    phrases.push({ text: drives.length === 1 ? conditionWords(drives[0]!)
      : `drives ${names.join(', ')} full` })
  }

  for (const [kind, problems] of byKind) {
    if (groupedAbove.has(kind)) continue
    phrases.push({ text: problems.length === 1 ? conditionWords(problems[0]!)
      : `${conditionLabels[kind]} (${problems.length} times)` })
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
export function conditionWords(
  c: { kind: ConditionKind; subject: string; details?: ConditionDetails },
): string {
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

/** Details as "used percent 99 · free GB 0.4": keys are camelCase from the agent. */
export function detailWords(details: ConditionDetails | null | undefined): string {
  if (!details) return ''
  return Object.entries(details)
    .map(([key, value]) => `${key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()} ${value}`)
    .join(' · ')
}

/** A history event as one line; `serverName` resolves the event's server id. */
export function eventWords(e: HistoryEvent, serverName: string): string {
  const condition = e.kind ? { kind: e.kind as ConditionKind, subject: e.subject ?? '',
    details: e.details ?? {} } : undefined
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
