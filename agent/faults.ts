/**
 * Scripted faults for the fleet simulator: what goes wrong at a site, and for
 * how long. Each fault adds conditions to one agent's report, or silences it,
 * and is undone when its time is up.
 */
import type { ReportedCondition } from './agent.ts'

export interface Fault {
  name: string
  /** How many heartbeat intervals the fault lasts. */
  intervals: number
  conditions?: (rand: () => number) => ReportedCondition[]
  /** The server stops sending altogether (dead server or broken link). */
  silent?: boolean
}

const pick = <T>(rand: () => number, items: readonly T[]): T =>
  items[Math.floor(rand() * items.length)]!

export const faults: readonly Fault[] = [
  {
    name: 'cameras dropping',
    intervals: 6,
    conditions: (rand) => {
      const count = 1 + Math.floor(rand() * 3)
      const first = 1 + Math.floor(rand() * 20)
      return Array.from({ length: count }, (_, i) => ({
        kind: 'camera-unreachable' as const,
        subject: `Camera ${first + i}`,
        details: { address: `10.0.${first}.${i + 10}`, reason: 'no answer to RTSP DESCRIBE' },
      }))
    },
  },
  {
    name: 'drive filling up',
    intervals: 10,
    conditions: (rand) => [
      {
        kind: 'drive-full',
        subject: pick(rand, ['D:', 'E:', 'Archive 1']),
        details: { usedPercent: 100, freeBytes: 0 },
      },
    ],
  },
  {
    name: 'license overuse',
    intervals: 12,
    conditions: () => [
      {
        kind: 'license-shortage',
        subject: 'camera licenses',
        details: { used: 34, available: 32 },
      },
    ],
  },
  {
    name: 'archive failure',
    intervals: 5,
    conditions: (rand) => [
      {
        kind: pick(rand, [
          'archive-operation-failed',
          'archive-move-failed',
          'archive-fatal-error',
          'archive-delete-failed',
          'file-delete-failed',
          'media-database-write-failed',
        ] as const),
        subject: `Archive ${new Date().toISOString().slice(0, 10)}`,
        details: { message: 'I/O error on target volume' },
      },
    ],
  },
  { name: 'server going silent', intervals: 5, silent: true },
]
