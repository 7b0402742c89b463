/**
 * The error situations of DESIGN.md. Nine are reported by the recording server
 * in its status; `server-unavailable` is derived by Vigil from heartbeats and a
 * status that claims it is refused by the schema.
 */
export const reportedKinds = [
  'camera-unreachable',
  'drive-full',
  'media-database-write-failed',
  'license-shortage',
  'archive-delete-failed',
  'file-delete-failed',
  'archive-fatal-error',
  'archive-operation-failed',
  'archive-move-failed',
] as const

export type ReportedKind = (typeof reportedKinds)[number]
export type ConditionKind = ReportedKind | 'server-unavailable'

export const conditionLabels: Record<ConditionKind, string> = {
  'camera-unreachable': 'camera unreachable',
  'drive-full': 'drive full',
  'media-database-write-failed': 'cannot add data to the media database',
  'license-shortage': 'more cameras than licenses',
  'server-unavailable': 'recording server unavailable',
  'archive-delete-failed': 'could not delete an archive',
  'file-delete-failed': 'could not delete a file',
  'archive-fatal-error': 'fatal error while processing an archive',
  'archive-operation-failed': 'an archive operation failed',
  'archive-move-failed': 'archive file move errors',
}

export type ConditionDetails = Record<string, string | number | boolean>

export interface Condition {
  kind: ConditionKind
  /** What the condition is about: a camera, a drive, an archive; '' when none. */
  subject: string
  details: ConditionDetails
}

export function conditionKey(c: { kind: string; subject: string }): string {
  return `${c.kind}\u0000${c.subject}`
}
