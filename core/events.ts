/**
 * What the pipeline tells the rest of Vigil, in one place. Names are
 * past-tense facts; every event carries the ids that tie it to the message
 * that caused it (`cause`: `<serverId>#<seq>` for status, `hb@<ms>` for
 * heartbeats, `deadline` for timer-driven changes).
 */
import type { ConditionDetails, ConditionKind } from './conditions.ts'

interface Base {
  at: number
  slc: string
  serverId: string
  cause: string
}

export interface ServerUnavailable extends Base {
  type: 'serverUnavailable'
  lastSeenAt: number
}

export interface ServerAvailable extends Base {
  type: 'serverAvailable'
  outage: { startedAt: number; endedAt: number; durationMs: number }
}

export interface ConditionRaised extends Base {
  type: 'conditionRaised'
  kind: ConditionKind
  subject: string
  details: ConditionDetails
}

export interface ConditionCleared extends Base {
  type: 'conditionCleared'
  kind: ConditionKind
  subject: string
  raisedAt: number
}

export interface HealthFigures {
  drives?: Array<{ name: string; usedPercent: number }>
  cameras?: { online: number; total: number }
  licenses?: { used: number; available: number }
}

/** Numeric health figures carried by a status; kept as history, not state. */
export interface StatusReceived extends Base {
  type: 'statusReceived'
  seq: number
  figures: HealthFigures
}

/** A sign of life; it moves `lastSeenAt` and feeds the liveness series. */
export interface HeartbeatReceived extends Base {
  type: 'heartbeatReceived'
}

export type VigilEvent =
  | ServerUnavailable
  | ServerAvailable
  | ConditionRaised
  | ConditionCleared
  | StatusReceived
  | HeartbeatReceived

export type VigilEventType = VigilEvent['type']

/** Events a reseller sees in an installation's history. */
export const historyEventTypes: ReadonlySet<VigilEventType> = new Set([
  'serverUnavailable',
  'serverAvailable',
  'conditionRaised',
  'conditionCleared',
])
