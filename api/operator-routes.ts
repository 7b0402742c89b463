/** The operator's API: resellers, subscriptions and what Vigil refused. */
import { Hono } from 'hono'
import { z } from 'zod'
import { refusalCodes } from '../core/refusals.ts'
import type { ApiDeps, AppEnv } from './context.ts'
import { instant, readBody } from './input.ts'
import { ApiError } from './problems.ts'

const resellerBody = z.strictObject({ name: z.string().min(1).max(200) })

const subscriptionBody = z.strictObject({ expiresAt: z.union([instant, z.null()]) })

export function operatorRoutes(deps: ApiDeps) {
  const app = new Hono<AppEnv>()

  app.get('/resellers', (c) => c.json({ items: deps.registry.listResellers() }))

  app.post('/resellers', async (c) => {
    const { name } = await readBody(c, resellerBody)
    const { reseller, token } = deps.registry.createReseller(name)
    deps.logger.info('resellerCreated', { resellerId: reseller.id, name: reseller.name })
    // Grafana isolation (DESIGN.md): his own InfluxDB database and read-only user, made now.
    const history = await deps.historyAccess?.issueCredentials(reseller.id)
    return c.json({ ...reseller, token, ...(history ? { history } : {}) }, 201)
  })

  app.post('/resellers/:id/history-credentials', async (c) => {
    const reseller = deps.registry.listResellers().find((r) => r.id === c.req.param('id'))
    if (!reseller || !deps.historyAccess) {
      throw new ApiError('not-found', 'no such reseller, or no InfluxDB history configured')
    }
    const history = await deps.historyAccess.issueCredentials(reseller.id)
    return c.json({ resellerId: reseller.id, history })
  })

  app.put('/installations/:slc/subscription', async (c) => {
    const { expiresAt } = await readBody(c, subscriptionBody)
    const installation = deps.registry.setSubscription(c.req.param('slc'), expiresAt)
    deps.logger.info('subscriptionSet', { slc: installation.slc, expiresAt })
    return c.json({
      slc: installation.slc,
      subscriptionExpiresAt: installation.subscriptionExpiresAt,
    })
  })

  app.delete('/servers/:id', (c) => {
    const server = deps.registry.removeServer(c.req.param('id'))
    deps.forgetServer(server.id)
    deps.logger.info('serverRemoved', { slc: server.slc, serverId: server.id })
    return c.json({ id: server.id, slc: server.slc, removed: true })
  })

  app.get('/refusals', (c) => {
    const counts = Object.fromEntries(
      deps.metrics.entries('vigil_refusals_total').map((e) => [e.labels.code, e.value]),
    )
    const items = Object.entries(refusalCodes).map(([code, meaning]) => ({
      code,
      meaning,
      count: counts[code] ?? 0,
    }))
    const total = items.reduce((sum, i) => sum + i.count, 0)
    return c.json({ total, items })
  })

  return app
}
