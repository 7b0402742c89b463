/**
 * One recording server's actor: a reducer over its inputs, applied one at a
 * time in arrival order by the stream that owns the state (pipeline.ts).
 *
 * Liveness (DESIGN.md): a server is unavailable once three heartbeat intervals
 * pass with nothing from it; the next message of any kind makes it available
 * again and closes the outage. Silence counts from the later of the last
 * message and `watchedSince`: enrollment for a server never heard from, Vigil's
 * start-up after a restart, or the last check while the site was not
 * monitored (opt-in withdrawn, subscription lapsed), so none of those ends up
 * as an outage of the server. Conditions: each status carries the full set of
 * active situations, so raising and clearing is a diff against the last set.
 */
import { conditionKey, type Condition, type ConditionDetails } from '../core/conditions.ts'
import type { VigilEvent } from '../core/events.ts'
import type { StatusReport } from './schema.ts'

export const missedHeartbeatsForUnavailable = 3

export interface ActiveCondition extends Condition {
  raisedAt: number
}

export interface ActorState {
  serverId: string
  slc: string
  intervalMs: number
  lastSeenAt: number | null
  /** Silence before this moment does not count (see above). */
  watchedSince: number | null
  unavailableSince: number | null
  /** Absent while nothing is wrong: most servers, most of the time. */
  conditions?: Map<string, ActiveCondition>
}

interface MessageInput {
  serverId: string
  slc: string
  at: number
  cause: string
  intervalMs: number
}

export type ActorInput =
  | (MessageInput & { type: 'heartbeat' })
  | (MessageInput & { type: 'status'; report: StatusReport })
  /** A server enrolled: silence counts from now, even if it never sends. */
  | { type: 'watch'; serverId: string; slc: string; intervalMs: number; at: number }
  /** The wheel's deadline passed; `monitored` is false while the site may not send. */
  | { type: 'deadline'; serverId: string; at: number; monitored: boolean }

export interface ActorOutput {
  state: ActorState | undefined
  events: VigilEvent[]
  /** When to look again for missed heartbeats; absent when nothing changed. */
  deadlineMs?: number
}

export function deadlineAfter(seenAt: number, intervalMs: number): number {
  return seenAt + missedHeartbeatsForUnavailable * intervalMs
}

export function step(state: ActorState | undefined, input: ActorInput): ActorOutput {
  if (input.type === 'deadline') return onDeadline(state, input.at, input.monitored)
  if (input.type === 'watch') return onWatch(state, input)

  const current = state ?? newState(input, null)
  current.intervalMs = input.intervalMs
  const events: VigilEvent[] = []
  const base = { at: input.at, slc: current.slc, serverId: current.serverId, cause: input.cause }

  if (current.unavailableSince !== null) {
    const startedAt = current.unavailableSince
    events.push({
      ...base,
      type: 'serverAvailable',
      outage: { startedAt, endedAt: input.at, durationMs: input.at - startedAt },
    })
    current.unavailableSince = null
  }
  current.lastSeenAt = Math.max(current.lastSeenAt ?? 0, input.at)

  if (input.type === 'status') {
    events.push(...diffConditions(current, input.report.conditions, base))
    events.push({
      ...base,
      type: 'statusReceived',
      seq: input.report.seq,
      figures: input.report.figures,
    })
  } else {
    events.push({ ...base, type: 'heartbeatReceived' })
  }

  return {
    state: current,
    events,
    deadlineMs: deadlineAfter(current.lastSeenAt, current.intervalMs),
  }
}

function newState(
  input: { serverId: string; slc: string; intervalMs: number },
  watchedSince: number | null,
): ActorState {
  return {
    serverId: input.serverId,
    slc: input.slc,
    intervalMs: input.intervalMs,
    lastSeenAt: null,
    watchedSince,
    unavailableSince: null,
  }
}

function onWatch(
  state: ActorState | undefined,
  input: Extract<ActorInput, { type: 'watch' }>,
): ActorOutput {
  const current = state ?? newState(input, input.at)
  current.watchedSince = Math.max(current.watchedSince ?? 0, input.at)
  return { state: current, events: [], deadlineMs: deadlineAfter(input.at, current.intervalMs) }
}

/** The moment silence is counted from; null for a server nobody watches yet. */
function silenceSince(state: ActorState): number | null {
  if (state.lastSeenAt === null) return state.watchedSince
  return Math.max(state.lastSeenAt, state.watchedSince ?? 0)
}

function onDeadline(state: ActorState | undefined, at: number, monitored: boolean): ActorOutput {
  const since = state && silenceSince(state)
  if (!state || since === null || since === undefined || state.unavailableSince !== null) {
    return { state, events: [] }
  }

  // Nothing may be sent while the site is not monitored: look again later.
  if (!monitored) {
    state.watchedSince = at
    return { state, events: [], deadlineMs: deadlineAfter(at, state.intervalMs) }
  }

  // The wheel may fire for a deadline that a later message already moved on.
  const deadline = deadlineAfter(since, state.intervalMs)
  if (at < deadline) return { state, events: [], deadlineMs: deadline }

  // The outage starts with the last sign of life, or at enrollment if there was none.
  const lastSeenAt = state.lastSeenAt ?? since
  state.unavailableSince = lastSeenAt
  const event: VigilEvent = {
    type: 'serverUnavailable',
    at,
    slc: state.slc,
    serverId: state.serverId,
    cause: 'deadline',
    lastSeenAt,
  }
  return { state, events: [event] }
}

function diffConditions(
  state: ActorState,
  reported: StatusReport['conditions'],
  base: { at: number; slc: string; serverId: string; cause: string },
): VigilEvent[] {
  const events: VigilEvent[] = []
  const seen = new Map<
    string,
    { kind: Condition['kind']; subject: string; details: ConditionDetails }
  >()
  for (const c of reported) seen.set(conditionKey(c), c)

  const conditions = state.conditions ?? new Map<string, ActiveCondition>()
  for (const [key, active] of conditions) {
    if (seen.has(key)) continue
    conditions.delete(key)
    events.push({
      ...base,
      type: 'conditionCleared',
      kind: active.kind,
      subject: active.subject,
      raisedAt: active.raisedAt,
    })
  }

  for (const [key, c] of seen) {
    const active = conditions.get(key)
    if (active) {
      // Details follow the latest report (e.g. licenses used), without a new event.
      active.details = c.details
      continue
    }
    conditions.set(key, { ...c, raisedAt: base.at })
    events.push({
      ...base,
      type: 'conditionRaised',
      kind: c.kind,
      subject: c.subject,
      details: c.details,
    })
  }
  state.conditions = conditions.size ? conditions : undefined
  return events
}
