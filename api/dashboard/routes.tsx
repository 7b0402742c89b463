/**
 * The reseller's web dashboard: sign-in, the overview and one page per
 * installation, rendered on the server. Middleware is attached per route,
 * never with use('*'), so nothing here touches the JSON API's paths.
 */
import { Hono, type Context } from 'hono'
import { compress } from 'hono/compress'
import type { JSX } from 'hono/jsx/jsx-runtime'
import type { ApiDeps, AppEnv } from '../context.ts'
import { serveAsset } from './assets.ts'
import { loadInstallation, loadOverview } from './data.ts'
import { viewerZoneOf } from './format.ts'
import { InstallationPage } from './installation.tsx'
import { renderHtml } from './layout.tsx'
import { dashboardDefaults, type DashboardOptions } from './options.ts'
import { OverviewPage } from './overview.tsx'
import {
  endSession,
  requireSameOrigin,
  requireSession,
  resellerForToken,
  safeNext,
  sessionReseller,
  startSession,
  viewerZone,
} from './session.ts'
import { NotFoundPage, SignInPage } from './sign-in.tsx'

const maxSearchLength = 200

export function dashboardRoutes(deps: ApiDeps, options: DashboardOptions = dashboardDefaults) {
  const app = new Hono<AppEnv>()
  app.get('/assets/:file', serveAsset)
  addSignIn(app, deps, options)
  addPages(app, deps, options)
  return app
}

function addSignIn(app: Hono<AppEnv>, deps: ApiDeps, options: DashboardOptions) {
  const failures = deps.metrics.counter('vigil_api_auth_failures_total', 'Refused API tokens')

  app.get('/sign-in', (c) => {
    if (sessionReseller(deps, c)) return c.redirect('/', 303)
    return signInPage(deps, c, 200)
  })

  app.post('/sign-in', requireSameOrigin, async (c) => {
    const form = await c.req.parseBody()
    const next = safeNext(form.next)
    const reseller = resellerForToken(deps, form.token)
    if (!reseller) {
      failures.inc({ kind: 'dashboard' })
      deps.logger.info('apiTokenRefused', {
        path: c.req.path,
        kind: 'dashboard',
        given: !!form.token,
      })
      return signInPage(deps, c, 401, 'That token was not accepted. Check it and try again.', next)
    }

    const zone = viewerZoneOf(typeof form.tz === 'string' ? form.tz : undefined)
    startSession(c, String(form.token).trim(), zone, options.sessionMaxAgeS)
    deps.logger.info('dashboardSignedIn', { resellerId: reseller.id })
    return c.redirect(next, 303)
  })

  app.post('/sign-out', requireSameOrigin, (c) => {
    endSession(c)
    return c.redirect('/sign-in', 303)
  })
}

function addPages(app: Hono<AppEnv>, deps: ApiDeps, options: DashboardOptions) {
  const session = requireSession(deps, (c, ended) =>
    signInPage(deps, c, 401, ended ? 'Your session has ended. Please sign in again.' : undefined),
  )
  const compressed = compress()

  app.get('/', session, compressed, async (c) => {
    const all = c.req.query('all') === '1'
    const q = (c.req.query('q') ?? '').slice(0, maxSearchLength)
    const now = deps.now()
    const { counts, items } = loadOverview(deps, c.var.reseller.id, { all, q }, now)
    return page(
      c,
      200,
      <OverviewPage
        reseller={c.var.reseller}
        counts={counts}
        items={items}
        all={all}
        q={q}
        zone={viewerZone(c)}
        now={now}
      />,
    )
  })

  app.get('/installations/:slc', session, compressed, async (c) => {
    const now = deps.now()
    const slc = c.req.param('slc')
    const data = await loadInstallation(deps, c.var.reseller.id, slc, now, options)
    const zone = viewerZone(c)
    if (!data) {
      // Somebody else's installation looks exactly like one that does not exist.
      return page(
        c,
        404,
        <NotFoundPage
          zone={zone}
          now={now}
          reseller={c.var.reseller}
          what={`There is no installation ${slc} among yours.`}
        />,
      )
    }
    return page(
      c,
      200,
      <InstallationPage reseller={c.var.reseller} data={data} zone={zone} now={now} />,
    )
  })
}

/** The sign-in form; after sign-in, back to the page that was refused (a local path only). */
function signInPage(
  deps: ApiDeps,
  c: Context<AppEnv>,
  status: 200 | 401,
  message?: string,
  next?: string,
) {
  const url = new URL(c.req.url)
  const back =
    next ??
    safeNext(url.pathname === '/sign-in' ? url.searchParams.get('next') : url.pathname + url.search)
  return page(
    c,
    status,
    <SignInPage zone={viewerZone(c)} now={deps.now()} next={back} message={message} />,
  )
}

/** Pages are never cached: they show live state and belong to one reseller. */
async function page(c: Context, status: 200 | 401 | 404, node: JSX.Element) {
  const html = await renderHtml(node)
  return c.html(`<!DOCTYPE html>${html}`, status, { 'cache-control': 'no-store' })
}
