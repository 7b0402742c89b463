/**
 * A pipeline on a ManualScheduler fed by hand: for the heartbeat and condition
 * rules in virtual time. The registry is real SQLite in a temp dir; messages
 * are sealed exactly as the agent seals them.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Subject } from 'rxjs'
import type { ReportedCondition } from '../../agent/agent.ts'
import { ManualScheduler } from '../../core/clock.ts'
import { seal } from '../../core/envelope.ts'
import type { VigilEvent } from '../../core/events.ts'
import { createMemoryLogger } from '../../core/logger.ts'
import { Metrics } from '../../core/metrics.ts'
import { topicFor } from '../../core/topics.ts'
import { createPipeline, type Pipeline } from '../../pipeline/pipeline.ts'
import type { BrokerMessage } from '../../pipeline/message.ts'
import { openDb } from '../../store/db.ts'
import { Registry, type Enrollment } from '../../store/registry.ts'
import type { ServerSnapshot } from '../../store/state.ts'

export const intervalMs = 60_000
export const tickMs = 250

export function pipelineBench(
  options: {
    snapshot?: Map<string, ServerSnapshot>
    start?: number
    /** The data dir of an earlier bench, as after a restart. */
    dir?: string
  } = {},
) {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'vigil-pipe-'))
  const db = openDb(dir)
  const scheduler = new ManualScheduler(options.start)
  const registry = new Registry(db, () => scheduler.now())
  const metrics = new Metrics()
  const { logger, lines } = createMemoryLogger()
  const source = new Subject<BrokerMessage>()
  const pipeline: Pipeline = createPipeline(source, {
    keys: registry,
    scheduler,
    logger,
    metrics,
    snapshot: options.snapshot,
    options: {
      maxClockSkewMs: 600_000,
      livenessTickMs: tickMs,
      messageBurst: 100,
      messagesPerSecond: 5,
    },
  })
  const events: VigilEvent[] = []
  const sub = pipeline.events$.subscribe((e) => events.push(e))
  sub.add(pipeline.refusals$.subscribe())
  sub.add(pipeline.start())
  const reseller = registry.resellerByName('R') ?? registry.createReseller('R').reseller
  let msg = 0
  let seq = 0

  /** Enrolls a server as the API does: the pipeline watches it from now on. */
  function enrollServer(
    slc = `SLC-${Math.random().toString(36).slice(2, 8)}`,
  ): Enrollment & { slc: string } {
    if (!registry.installation(slc)) {
      registry.registerInstallation(reseller.id, slc, 'Customer')
      registry.setSubscription(slc, scheduler.now() + 365 * 24 * 3600_000)
    }
    const code = registry.renewEnrollmentCode(reseller.id, slc)
    const enrollment = registry.enroll({
      slc,
      enrollmentCode: code,
      serverName: 'R',
      acceptedBy: 'test',
      heartbeatIntervalMs: intervalMs,
    })
    pipeline.watch({ id: enrollment.serverId, slc, heartbeatIntervalMs: intervalMs })
    return { ...enrollment, slc }
  }

  function push(
    server: { slc: string; serverId: string },
    kind: 'heartbeat' | 'status',
    payload: Buffer,
  ) {
    source.next({
      msgId: `t${++msg}`,
      topic: topicFor(server.slc, server.serverId, kind),
      payload,
      clientId: server.serverId,
      receivedAt: scheduler.now(),
    })
  }

  return {
    scheduler,
    registry,
    metrics,
    logs: lines,
    events,
    pipeline,
    enrollServer,
    heartbeat: (server: { slc: string; serverId: string }) =>
      push(server, 'heartbeat', Buffer.alloc(0)),
    status(server: Enrollment & { slc: string }, conditions: ReportedCondition[]) {
      const topic = topicFor(server.slc, server.serverId, 'status')
      const body = {
        seq: ++seq,
        sentAt: scheduler.now(),
        conditions: conditions.map((c) => ({
          kind: c.kind,
          subject: c.subject ?? '',
          details: c.details ?? {},
        })),
      }
      push(
        server,
        'status',
        seal(
          Buffer.from(server.key, 'base64'),
          server.keyId,
          topic,
          Buffer.from(JSON.stringify(body)),
        ),
      )
    },
    of: (type: VigilEvent['type'], serverId?: string) =>
      events.filter((e) => e.type === type && (!serverId || e.serverId === serverId)),
    dir,
    /** Stops; with `keep`, the data dir stays for a bench that restarts on it. */
    close(keep = false) {
      sub.unsubscribe()
      db.close()
      if (!keep) rmSync(dir, { recursive: true, force: true })
    },
  }
}
