/** Request bodies and query parameters, checked with zod before any use. */
import type { Context } from 'hono'
import { z } from 'zod'
import { ApiError } from './problems.ts'

export async function readBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  let value: unknown
  try {
    value = await c.req.json()
  } catch {
    throw new ApiError('bad-json', 'the body must be a JSON object')
  }
  const result = schema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
    throw new ApiError('invalid-input', `${where}${issue?.message ?? 'invalid'}`)
  }
  return result.data
}

/** A time given as ISO 8601 or epoch milliseconds. */
// ECMAScript's own limit for a Date (8.64e15 ms); anything beyond is no time at all.
const maxInstantMs = 8.64e15

export const instant = z
  .union([
    z.number().int().nonnegative(),
    z
      .string()
      .regex(/^\d{1,16}$/)
      .transform(Number),
    z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
    z.iso.date().transform((s) => Date.parse(`${s}T23:59:59.999Z`)),
  ])
  .refine((ms) => Number.isFinite(ms) && ms <= maxInstantMs, 'not a representable time')

export function readQuery<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const result = schema.safeParse(c.req.query())
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new ApiError('invalid-input', `${issue?.path.join('.') ?? 'query'}: ${issue?.message}`)
  }
  return result.data
}
