/**
 * One recording server's actor: a reducer over its inputs, applied one at a
 * time in arrival order by the stream that owns the state (pipeline.ts).
 *
 * Liveness (DESIGN.md): a server is unavailable once three heartbeat intervals
 * pass with nothing from it; the next message of any kind makes it available
 * again and closes the outage. Conditions: each status carries the full set of
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
  | { type: 'deadline'; serverId: string; at: number }

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
  if (input.type === 'deadline') return onDeadline(state, input.at)

  const current = state ?? {
    serverId: input.serverId,
    slc: input.slc,
    intervalMs: input.intervalMs,
    lastSeenAt: null,
    unavailableSince: null,
  }
  current.intervalMs = input.intervalMs
  const events: VigilEvent[] = []
  const base = { at: input.at, slc: current.slc, serverId: current.serverId, cause: input.cause }

  if (current.unavailableSince !== null) {
    const startedAt = current.unavailableSince
    events.push({ ...base, type: 'serverAvailable',
      outage: { startedAt, endedAt: input.at, durationMs: input.at - startedAt } })
    current.unavailableSince = null
  }
  current.lastSeenAt = Math.max(current.lastSeenAt ?? 0, input.at)

  if (input.type === 'status') {
    events.push(...diffConditions(current, input.report.conditions, base))
    events.push({ ...base, type: 'statusReceived', seq: input.report.seq,
      figures: input.report.figures })
  } else {
    events.push({ ...base, type: 'heartbeatReceived' })
  }

  return { state: current, events, deadlineMs: deadlineAfter(current.lastSeenAt, current.intervalMs) }
}

function onDeadline(state: ActorState | undefined, at: number): ActorOutput {
  if (!state || state.lastSeenAt === null || state.unavailableSince !== null) {
    return { state, events: [] }
  }

  // The wheel may fire for a deadline that a later message already moved on.
  const deadline = deadlineAfter(state.lastSeenAt, state.intervalMs)
  if (at < deadline) return { state, events: [], deadlineMs: deadline }

  state.unavailableSince = state.lastSeenAt
  const event: VigilEvent = {
    type: 'serverUnavailable',
    at,
    slc: state.slc,
    serverId: state.serverId,
    cause: 'deadline',
    lastSeenAt: state.lastSeenAt,
  }
  return { state, events: [event] }
}

function diffConditions(
  state: ActorState,
  reported: StatusReport['conditions'],
  base: { at: number; slc: string; serverId: string; cause: string },
): VigilEvent[] {
  const events: VigilEvent[] = []
  const seen = new Map<string, { kind: Condition['kind']; subject: string; details: ConditionDetails }>()
  for (const c of reported) seen.set(conditionKey(c), c)

  const conditions = state.conditions ?? new Map<string, ActiveCondition>()
  for (const [key, active] of conditions) {
    if (seen.has(key)) continue
    conditions.delete(key)
    events.push({ ...base, type: 'conditionCleared', kind: active.kind, subject: active.subject,
      raisedAt: active.raisedAt })
  }

  for (const [key, c] of seen) {
    const active = conditions.get(key)
    if (active) {
      // Details follow the latest report (e.g. licenses used), without a new event.
      active.details = c.details
      continue
    }
    conditions.set(key, { ...c, raisedAt: base.at })
    events.push({ ...base, type: 'conditionRaised', kind: c.kind, subject: c.subject,
      details: c.details })
  }
  state.conditions = conditions.size ? conditions : undefined
  return events
}
