/**
 * The dashboard's sign-in. The reseller's token lives in an HttpOnly cookie,
 * out of reach of any script; requireReseller (api/auth.ts) accepts it for
 * reads only. SameSite=Lax keeps it off cross-site subrequests and form posts
 * while a link from a ticket or an e-mail still opens the page signed in; every
 * POST must also come from a page of this same origin (CSRF).
 */
import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { sessionCookie } from '../auth.ts'
import type { ApiDeps, AppEnv } from '../context.ts'
import { ApiError } from '../problems.ts'
import { viewerZoneOf } from './format.ts'

/** The viewer's time zone, set by the page script; not a secret, so readable by scripts. */
export const zoneCookie = 'vigil_tz'

const zoneMaxAgeS = 365 * 24 * 3600

/** Tokens are `vgr_` and 43 base64url characters; anything far longer is not one. */
const maxTokenLength = 200

export function viewerZone(c: Context): string {
  return viewerZoneOf(getCookie(c, zoneCookie))
}

export function startSession(c: Context, token: string, zone: string, maxAgeS: number): void {
  const secure = isHttps(c)
  setCookie(c, sessionCookie, token, {
    httpOnly: true,
    sameSite: 'Lax',
    path: '/',
    secure,
    maxAge: maxAgeS,
  })
  setCookie(c, zoneCookie, zone, { sameSite: 'Lax', path: '/', secure, maxAge: zoneMaxAgeS })
}

export function endSession(c: Context): void {
  deleteCookie(c, sessionCookie, { path: '/', secure: isHttps(c) })
}

/** The reseller a sign-in form names, if its token is real. */
export function resellerForToken(deps: ApiDeps, token: unknown) {
  if (typeof token !== 'string') return undefined
  const clean = token.trim()
  if (!clean || clean.length > maxTokenLength) return undefined
  return deps.registry.resellerByToken(clean)
}

/** The reseller whose token the session cookie holds, if any. */
export function sessionReseller(deps: ApiDeps, c: Context) {
  return resellerForToken(deps, getCookie(c, sessionCookie))
}

/**
 * Pages need a signed-in reseller; without one they answer 401 with what
 * `refuse` renders (the sign-in form), so the page is refused and useful.
 */
export function requireSession(
  deps: ApiDeps,
  refuse: (c: Context<AppEnv>, ended: boolean) => Response | Promise<Response>,
): MiddlewareHandler<AppEnv> {
  const failures = deps.metrics.counter('vigil_api_auth_failures_total', 'Refused API tokens')
  return async function requireDashboardSession(c, next) {
    const token = getCookie(c, sessionCookie)
    const reseller = token ? deps.registry.resellerByToken(token) : undefined
    if (!reseller) {
      failures.inc({ kind: 'dashboard' })
      deps.logger.info('apiTokenRefused', { path: c.req.path, kind: 'dashboard', given: !!token })
      if (token) endSession(c)
      return refuse(c, !!token)
    }
    c.set('reseller', reseller)
    await next()
  }
}

/**
 * Refuses a state-changing request that a page of another origin could have
 * sent. Browsers add Sec-Fetch-Site (which no page can forge) and Origin to
 * every POST; without either we cannot tell, so we refuse. Hosts are compared,
 * not schemes, so a TLS-terminating proxy in front of Vigil keeps working.
 */
export const requireSameOrigin: MiddlewareHandler = async function requireSameOrigin(c, next) {
  const site = c.req.header('sec-fetch-site')
  const origin = c.req.header('origin')
  const sameOrigin =
    site !== undefined
      ? site === 'same-origin'
      : origin !== undefined && hostOf(origin) === c.req.header('host')
  if (!sameOrigin) {
    throw new ApiError('forbidden', 'this form must be sent from a page of this Vigil')
  }
  await next()
}

/** Only a path on this site may follow sign-in: never "//elsewhere" or a full URL. */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 500) return '/'
  return /^\/(?![/\\])[^\s\\]*$/.test(value) ? value : '/'
}

function hostOf(origin: string) {
  try {
    return new URL(origin).host
  } catch {
    return undefined
  }
}

function isHttps(c: Context) {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https'
}
