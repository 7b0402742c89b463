/**
 * The site side of the API: enrollment with SLC + code (which records the
 * opt-in) and later withdrawal or renewed acceptance, authenticated with the
 * server's own MQTT credentials (HTTP Basic).
 */
import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { topicFor } from '../core/topics.ts'
import type { ApiDeps, AppEnv } from './context.ts'
import { readBody } from './input.ts'
import { StoreError } from '../store/errors.ts'
import { FailureLimit } from './failure-limit.ts'
import { ApiError } from './problems.ts'

const enrollBody = z.strictObject({
  slc: z.string().min(1).max(64),
  enrollmentCode: z.string().min(1).max(64),
  serverName: z.string().min(1).max(200),
  acceptedBy: z.string().min(1).max(200),
})

const acceptanceBody = z.strictObject({
  accepted: z.boolean(),
  by: z.string().min(1).max(200),
})

export function enrollRoutes(deps: ApiDeps) {
  const app = new Hono<AppEnv>()
  const refused = deps.metrics.counter('vigil_enrollments_refused_total', 'Refused enrollments')

  const failures = new FailureLimit(deps.now)

  app.post('/enroll', async (c) => {
    const address = remoteAddress(c)
    const wait = failures.retryAfterSeconds(address)
    if (wait > 0) {
      refused.inc({ reason: 'rate-limited' })
      c.header('retry-after', String(wait))
      throw new ApiError('too-many-requests', `too many failed enrollments; retry in ${wait} s`)
    }

    const body = await readBody(c, enrollBody)
    let enrollment
    try {
      enrollment = await deps.registry.enrollAsync({
        ...body,
        heartbeatIntervalMs: deps.enrollment.heartbeatIntervalMs,
      })
    } catch (error) {
      failures.recordFailure(address)
      refused.inc({ reason: error instanceof StoreError ? error.code : 'internal' })
      deps.logger.warn('enrollmentRefused', { slc: body.slc, address, error })
      throw error
    }
    // The registered spelling of the SLC, not the one typed at the site: the
    // broker compares topics with it exactly, and events are kept under it.
    const { slc, serverId } = enrollment
    deps.watchServer({ id: serverId, slc, heartbeatIntervalMs: enrollment.heartbeatIntervalMs })
    deps.logger.info('serverEnrolled', { slc, serverId, acceptedBy: body.acceptedBy })

    return c.json(
      {
        ...enrollment,
        mqttUrl: deps.enrollment.mqttUrl,
        ca: deps.enrollment.caPem,
        topics: {
          heartbeat: topicFor(slc, serverId, 'heartbeat'),
          status: topicFor(slc, serverId, 'status'),
          command: topicFor(slc, serverId, 'command'),
        },
      },
      201,
    )
  })

  app.put('/site/acceptance', async (c) => {
    const server = authenticateSite(deps, c.req.header('authorization'))
    const body = await readBody(c, acceptanceBody)
    deps.registry.setAcceptance(server.slc, body.accepted, body.by)
    deps.logger.info(body.accepted ? 'serviceAccepted' : 'serviceWithdrawn', {
      slc: server.slc,
      serverId: server.id,
      by: body.by,
    })
    return c.json({ slc: server.slc, accepted: body.accepted })
  })

  // Key rotation (DESIGN.md): the new key gets a new key id; statuses sealed
  // with an older key stay readable, so messages in flight are not lost.
  app.post('/site/keys', (c) => {
    const server = authenticateSite(deps, c.req.header('authorization'))
    const rotated = deps.registry.rotateKey(server.id)
    deps.logger.info('serverKeyRotated', {
      slc: server.slc,
      serverId: server.id,
      keyId: rotated.keyId,
    })
    return c.json(rotated, 201)
  })

  // Retiring ends a key once nothing sealed with it is in flight; from then on
  // such statuses are refused as decrypt.unknown-key.
  app.delete('/site/keys/:kid', (c) => {
    const server = authenticateSite(deps, c.req.header('authorization'))
    const keyId = c.req.param('kid')
    const { keyIds } = deps.registry.retireKey(server.id, keyId)
    deps.logger.info('serverKeyRetired', { slc: server.slc, serverId: server.id, keyId })
    return c.json({ retired: keyId, keyIds })
  })

  return app
}

function remoteAddress(c: Context<AppEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    // app.request() in tests has no socket behind it.
    return 'unknown'
  }
}

function authenticateSite(deps: ApiDeps, header: string | undefined) {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/.exec(header ?? '')
  const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : ''
  const colon = decoded.indexOf(':')
  const server =
    colon > 0
      ? deps.registry.authenticateServer(decoded.slice(0, colon), decoded.slice(colon + 1))
      : undefined
  if (!server)
    throw new ApiError('unauthorized', "the server's own credentials are required (HTTP Basic)")
  return server
}
