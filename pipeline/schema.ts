/**
 * The decrypted status a recording server sends: its full set of active error
 * situations (a snapshot, so a lost message heals with the next one) and its
 * numeric health figures. Bounds keep one message from costing unbounded work.
 */
import { z } from 'zod'
import { reportedKinds } from '../core/conditions.ts'

const text = (max: number) => z.string().max(max)

const detailValue = z.union([text(500), z.number().finite(), z.boolean()])

export const conditionSchema = z.strictObject({
  kind: z.enum(reportedKinds),
  subject: text(200).default(''),
  details: z.record(text(64), detailValue)
    .refine((d) => Object.keys(d).length <= 20, 'at most 20 details')
    .default({}),
})

export const statusSchema = z.strictObject({
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  sentAt: z.number().int().positive(),
  conditions: z.array(conditionSchema).max(1000),
  figures: z
    .strictObject({
      drives: z.array(z.strictObject({ name: text(100), usedPercent: z.number().min(0).max(100) }))
        .max(64).optional(),
      cameras: z.strictObject({ online: z.number().int().min(0), total: z.number().int().min(0) })
        .optional(),
      licenses: z.strictObject({ used: z.number().int().min(0), available: z.number().int().min(0) })
        .optional(),
    })
    .default({}),
})

export type StatusReport = z.infer<typeof statusSchema>
export type StatusInput = z.input<typeof statusSchema>
