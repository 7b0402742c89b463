/**
 * Counts and logs a refusal in one place, for the broker and the pipeline
 * alike. Every refusal is counted; log lines are limited per code (a flood of
 * garbage must not flood the log too): past the limit within a minute, lines
 * are held back and the next line says how many were.
 */
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'
import type { Refusal, RefusalCode } from './refusals.ts'

export type RecordRefusal = (refusal: Refusal, fields: Record<string, unknown>) => void

export interface RefusalLogOptions {
  linesPerMinute: number
  now: () => number
}

export const defaultRefusalLog: RefusalLogOptions = { linesPerMinute: 60, now: Date.now }

export function createRefusalLog(
  metrics: Metrics,
  logger: Logger,
  options: RefusalLogOptions = defaultRefusalLog,
): RecordRefusal {
  const counter = metrics.counter('vigil_refusals_total', 'Refused input by code')
  const windows = new Map<RefusalCode, { startedAt: number; lines: number; held: number }>()

  return function recordRefusal(refusal, fields) {
    counter.inc({ code: refusal.code })

    const now = options.now()
    let window = windows.get(refusal.code)
    if (!window || now - window.startedAt >= 60_000) {
      window = { startedAt: now, lines: 0, held: window?.held ?? 0 }
      windows.set(refusal.code, window)
    }
    if (window.lines >= options.linesPerMinute) {
      window.held++
      return
    }

    window.lines++
    const held = window.held ? { linesHeldBack: window.held } : {}
    window.held = 0
    logger.warn('messageRefused', { code: refusal.code, ...fields, ...refusal.detail, ...held })
  }
}
