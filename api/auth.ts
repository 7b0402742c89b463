/**
 * Token checks. A reseller token (bearer header, or the dashboard's cookie)
 * names exactly one reseller; routes read `c.var.reseller` and pass its id to
 * every query. Operator tokens are a separate kind. Both are stored hashed.
 */
import type { MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import type { ApiDeps, AppEnv } from './context.ts'
import { ApiError } from './problems.ts'

export const sessionCookie = 'vigil_session'

const readOnlyMethods = new Set(['GET', 'HEAD'])

export function bearerToken(header: string | undefined): string | undefined {
  // The scheme name is case-insensitive (RFC 9110, 11.1).
  const match = /^Bearer ([A-Za-z0-9_\-.~+/]+=*)$/i.exec(header ?? '')
  return match?.[1]
}

export function requireReseller(deps: ApiDeps): MiddlewareHandler<AppEnv> {
  const failures = deps.metrics.counter('vigil_api_auth_failures_total', 'Refused API tokens')
  return async function requireResellerToken(c, next) {
    // The dashboard's cookie authenticates reads only: a write needs the header, which no
    // form on another site can send, so a forged cross-site POST carries no credentials.
    const cookie = readOnlyMethods.has(c.req.method) ? getCookie(c, sessionCookie) : undefined
    const token = bearerToken(c.req.header('authorization')) ?? cookie
    const reseller = token ? deps.registry.resellerByToken(token) : undefined
    if (!reseller) {
      failures.inc({ kind: 'reseller' })
      deps.logger.info('apiTokenRefused', { path: c.req.path, kind: 'reseller', given: !!token })
      throw new ApiError(
        'unauthorized',
        'a valid reseller token is required (Authorization: Bearer <token>)',
      )
    }
    c.set('reseller', reseller)
    await next()
  }
}

export function requireOperator(deps: ApiDeps): MiddlewareHandler<AppEnv> {
  const failures = deps.metrics.counter('vigil_api_auth_failures_total', 'Refused API tokens')
  return async function requireOperatorToken(c, next) {
    const token = bearerToken(c.req.header('authorization'))
    if (!token || !deps.registry.isOperatorToken(token)) {
      failures.inc({ kind: 'operator' })
      deps.logger.info('apiTokenRefused', { path: c.req.path, kind: 'operator', given: !!token })
      throw new ApiError(
        'unauthorized',
        'a valid operator token is required (Authorization: Bearer <token>)',
      )
    }
    await next()
  }
}
