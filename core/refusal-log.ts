/** Counts and logs a refusal in one place, for the broker and the pipeline alike. */
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'
import type { Refusal } from './refusals.ts'

export type RecordRefusal = (refusal: Refusal, fields: Record<string, unknown>) => void

export function createRefusalLog(metrics: Metrics, logger: Logger): RecordRefusal {
  const counter = metrics.counter('vigil_refusals_total', 'Refused input by code')
  return function recordRefusal(refusal, fields) {
    counter.inc({ code: refusal.code })
    logger.warn('messageRefused', { code: refusal.code, ...fields, ...refusal.detail })
  }
}
