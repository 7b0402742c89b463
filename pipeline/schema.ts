/**
 * The decrypted status a recording server sends: its full set of active error
 * situations (a snapshot, so a lost message heals with the next one) and its
 * numeric health figures. Bounds keep one message from costing unbounded work.
 */
import { z } from 'zod'
import { reportedKinds } from '../core/conditions.ts'
import { isSafeMessage, isSafeText, unsafeTextMessage } from '../core/text.ts'

/** Per status; a site reports far fewer situations than this even on a bad day. */
export const maxConditions = 256

const text = (max: number) => z.string().max(max).refine(isSafeText, unsafeTextMessage)

// Detail values may span lines (tab and line breaks pass); see core/text.ts.
const message = z.string().max(500).refine(isSafeMessage, unsafeTextMessage)
const detailValue = z.union([message, z.number().finite(), z.boolean()])

export const conditionSchema = z.strictObject({
  kind: z.enum(reportedKinds),
  subject: text(200).default(''),
  // Keys checked on the record: zod's own word for a bad key is only "Invalid key in record".
  details: z
    .record(z.string().max(64), detailValue)
    .refine((d) => Object.keys(d).length <= 20, 'at most 20 details')
    .refine((d) => Object.keys(d).every(isSafeText), `detail names: ${unsafeTextMessage}`)
    .default({}),
})

/**
 * The full set of active situations. A situation is known by (kind, subject):
 * listing one twice would leave the actor to guess which details are true.
 */
export const conditionsSchema = z
  .array(conditionSchema)
  .max(maxConditions)
  .superRefine(function refuseRepeats(conditions, context) {
    const seen = new Set<string>()
    conditions.forEach((c, index) => {
      const key = JSON.stringify([c.kind, c.subject])
      if (seen.has(key)) {
        context.addIssue({
          code: 'custom',
          path: [index],
          message: `${c.kind} "${c.subject}" is listed twice; each (kind, subject) at most once`,
        })
      }
      seen.add(key)
    })
  })

export const statusSchema = z.strictObject({
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  sentAt: z.number().int().positive(),
  conditions: conditionsSchema,
  figures: z
    .strictObject({
      drives: z
        .array(z.strictObject({ name: text(100), usedPercent: z.number().min(0).max(100) }))
        .max(64)
        .optional(),
      cameras: z
        .strictObject({ online: z.number().int().min(0), total: z.number().int().min(0) })
        .refine((c) => c.online <= c.total, {
          path: ['online'],
          message: 'more cameras online than installed',
        })
        .optional(),
      licenses: z
        .strictObject({ used: z.number().int().min(0), available: z.number().int().min(0) })
        .optional(),
    })
    .default({}),
})

export type StatusReport = z.infer<typeof statusSchema>
export type StatusInput = z.input<typeof statusSchema>
