/** The Hono application: health, metrics, site, reseller and operator APIs, the dashboard. */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { secureHeaders } from 'hono/secure-headers'
import { requireOperator, requireReseller } from './auth.ts'
import type { ApiDeps, AppEnv } from './context.ts'
import { enrollRoutes } from './enroll-routes.ts'
import { operatorRoutes } from './operator-routes.ts'
import { problem, toProblem } from './problems.ts'
import { resellerRoutes } from './reseller-routes.ts'
import { dashboardRoutes } from './dashboard/routes.tsx'
import { liveRoutes } from './live.ts'

export function createApp(deps: ApiDeps) {
  const app = new Hono<AppEnv>()

  // The dashboard's pages run no inline script or style and may not be framed (clickjacking).
  app.use(
    secureHeaders({
      xFrameOptions: 'DENY',
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
    }),
  )
  app.use(
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => problem(c, 'payload-too-large', 'request bodies are limited to 64 KiB'),
    }),
  )

  app.get('/healthz', (c) => {
    const parts = deps.health()
    const ok = Object.values(parts).every(Boolean)
    return c.json({ status: ok ? 'ok' : 'degraded', ...parts }, ok ? 200 : 503)
  })

  app.get('/metrics', (c) =>
    c.text(deps.metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' }),
  )

  app.route('/api', enrollRoutes(deps))

  app.use('/api/installations/*', requireReseller(deps))
  app.route('/api', resellerRoutes(deps))

  app.use('/api/operator/*', requireOperator(deps))
  app.route('/api/operator', operatorRoutes(deps))

  app.route('/', liveRoutes(deps))
  app.route('/', dashboardRoutes(deps))

  app.notFound((c) => problem(c, 'not-found', `no route for ${c.req.method} ${c.req.path}`))
  app.onError((error, c) => {
    const { code, message } = toProblem(error)
    if (code === 'internal') deps.logger.error('requestFailed', { path: c.req.path, error })
    return problem(c, code, message)
  })
  return app
}
