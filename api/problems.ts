/**
 * HTTP problems: one table of stable codes, one error class, one JSON shape:
 *   {"error":{"code":"not-found","message":"..."}}
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { StoreError, type StoreErrorCode } from '../store/errors.ts'
import { HistoryUnavailable } from '../store/history.ts'

export const problemStatus = {
  'bad-json': 400,
  'invalid-input': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'slc-taken': 409,
  'name-taken': 409,
  'last-key': 409,
  'payload-too-large': 413,
  'too-many-requests': 429,
  internal: 500,
  'history-unavailable': 503,
} as const satisfies Record<string, ContentfulStatusCode>

export type ProblemCode = keyof typeof problemStatus

export class ApiError extends Error {
  override readonly name = 'ApiError'

  constructor(
    readonly code: ProblemCode,
    message: string,
  ) {
    super(message)
  }
}

const storeCodes: Record<StoreErrorCode, ProblemCode> = {
  'not-found': 'not-found',
  'slc-taken': 'slc-taken',
  'name-taken': 'name-taken',
  'bad-enrollment-code': 'forbidden',
  'invalid-input': 'invalid-input',
  'last-key': 'last-key',
}

export function problem(c: Context, code: ProblemCode, message: string) {
  return c.json({ error: { code, message } }, problemStatus[code])
}

/** Maps any thrown error to a problem; unknown errors say nothing of their insides. */
export function toProblem(error: unknown): { code: ProblemCode; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.message }
  if (error instanceof StoreError) return { code: storeCodes[error.code], message: error.message }
  if (error instanceof HistoryUnavailable) {
    return { code: 'history-unavailable', message: error.message }
  }
  return { code: 'internal', message: 'internal error; the operator can find it in the logs' }
}
