/** Stage 3: the plaintext must be a status of the agreed shape. */
import { Refusal } from '../core/refusals.ts'
import type { Decrypted, Validated } from './message.ts'
import { statusSchema } from './schema.ts'

export function validate(message: Decrypted): Validated {
  if (message.kind === 'heartbeat') return message

  let value: unknown
  try {
    value = JSON.parse(message.plaintext.toString('utf8'))
  } catch {
    throw new Refusal('validate.schema', { why: 'not JSON' })
  }

  const result = statusSchema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new Refusal('validate.schema', { path: issue?.path.join('.'), why: issue?.message })
  }
  const { plaintext: _plaintext, ...rest } = message
  return { ...rest, kind: 'status', report: result.data }
}
