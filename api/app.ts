/** The Hono application: health, metrics, site, reseller and operator APIs. */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { secureHeaders } from 'hono/secure-headers'
import { requireOperator, requireReseller } from './auth.ts'
import type { ApiDeps, AppEnv } from './context.ts'
import { enrollRoutes } from './enroll-routes.ts'
import { operatorRoutes } from './operator-routes.ts'
import { problem, toProblem } from './problems.ts'
import { resellerRoutes } from './reseller-routes.ts'

export function createApp(deps: ApiDeps) {
  const app = new Hono<AppEnv>()

  app.use(secureHeaders())
  app.use(bodyLimit({
    maxSize: 64 * 1024,
    onError: (c) => problem(c, 'payload-too-large', 'request bodies are limited to 64 KiB'),
  }))

  app.get('/healthz', (c) => {
    const parts = deps.health()
    const ok = Object.values(parts).every(Boolean)
    return c.json({ status: ok ? 'ok' : 'degraded', ...parts }, ok ? 200 : 503)
  })

  app.get('/metrics', (c) => c.text(deps.metrics.render(), 200,
    { 'content-type': 'text/plain; version=0.0.4' }))

  app.route('/api', enrollRoutes(deps))

  app.use('/api/installations/*', requireReseller(deps))
  app.route('/api', resellerRoutes(deps))

  app.use('/api/operator/*', requireOperator(deps))
  app.route('/api/operator', operatorRoutes(deps))

  app.notFound((c) => problem(c, 'not-found', `no route for ${c.req.method} ${c.req.path}`))
  app.onError((error, c) => {
    const { code, message } = toProblem(error)
    if (code === 'internal') deps.logger.error('requestFailed', { path: c.req.path, error })
    return problem(c, code, message)
  })
  return app
}
