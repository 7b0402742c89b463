/**
 * A reseller's JSON API. Every handler passes `c.var.reseller.id` into the
 * store, which scopes the query itself; an installation of somebody else
 * answers 404 exactly like one that does not exist.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import type { ApiDeps, AppEnv } from './context.ts'
import { instant, readBody, readQuery } from './input.ts'
import { ApiError } from './problems.ts'

const registerBody = z.strictObject({
  slc: z.string().min(1).max(64),
  customerName: z.string().min(1).max(200),
})

const listQuery = z.object({
  all: z.enum(['true', 'false']).optional(),
  q: z.string().max(200).optional(),
})

const dayMs = 24 * 3600_000

const rangeQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/)
    .transform(Number)
    .optional(),
})

export function resellerRoutes(deps: ApiDeps) {
  const app = new Hono<AppEnv>()

  app.get('/installations', (c) => {
    const query = readQuery(c, listQuery)
    let items = deps.views.listInstallations(c.var.reseller.id, { all: query.all === 'true' })
    if (query.q) items = items.filter(matches(query.q))
    return c.json({ items, count: items.length })
  })

  app.post('/installations', async (c) => {
    const body = await readBody(c, registerBody)
    const result = deps.registry.registerInstallation(
      c.var.reseller.id,
      body.slc,
      body.customerName,
    )
    deps.logger.info('installationRegistered', {
      slc: result.installation.slc,
      resellerId: c.var.reseller.id,
    })
    return c.json(
      {
        slc: result.installation.slc,
        customerName: result.installation.customerName,
        enrollmentCode: result.enrollmentCode,
      },
      201,
    )
  })

  app.get('/installations/:slc', (c) => {
    const installation = deps.views.installation(c.var.reseller.id, c.req.param('slc'))
    if (!installation) throw notFound()
    return c.json(installation)
  })

  app.post('/installations/:slc/enrollment-code', (c) => {
    const installation = deps.views.installation(c.var.reseller.id, c.req.param('slc'))
    if (!installation) throw notFound()
    const { slc } = installation
    return c.json({
      slc,
      enrollmentCode: deps.registry.renewEnrollmentCode(c.var.reseller.id, slc),
    })
  })

  app.get('/installations/:slc/events', async (c) => {
    const { slc, range, limit } = scoped(
      c.var.reseller.id,
      c.req.param('slc'),
      readQuery(c, rangeQuery),
    )
    return c.json({
      slc,
      range,
      items: await deps.history.events(c.var.reseller.id, slc, range, limit),
    })
  })

  app.get('/installations/:slc/outages', async (c) => {
    const { slc, range } = scoped(c.var.reseller.id, c.req.param('slc'), readQuery(c, rangeQuery))
    return c.json({ slc, range, items: await deps.history.outages(c.var.reseller.id, slc, range) })
  })

  app.get('/installations/:slc/availability', async (c) => {
    const { slc, range } = scoped(c.var.reseller.id, c.req.param('slc'), readQuery(c, rangeQuery))
    return c.json({ slc, ...(await deps.history.availability(c.var.reseller.id, slc, range)) })
  })

  function scoped(resellerId: string, given: string, q: z.infer<typeof rangeQuery>) {
    // The SLC matches in any case; history is kept under the registered spelling.
    const slc = deps.views.installation(resellerId, given)?.slc
    if (!slc) throw notFound()
    // Ranges are [from, to): by default "to" includes what happened this millisecond.
    const to = q.to ?? deps.now() + 1
    const range = { from: q.from ?? to - 30 * dayMs, to }
    if (range.from >= range.to) throw new ApiError('invalid-input', '"from" must be before "to"')
    return { slc, range, limit: Math.min(q.limit ?? 100, 1000) }
  }

  return app
}

function notFound() {
  return new ApiError('not-found', 'no such installation')
}

function matches(q: string) {
  const needle = q.trim().toLowerCase()
  return (item: { slc: string; customerName: string }) =>
    item.slc.toLowerCase().includes(needle) || item.customerName.toLowerCase().includes(needle)
}
