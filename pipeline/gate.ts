/**
 * Stage 4: only accepted installations with an active subscription may send
 * (DESIGN.md, opt-in and subscription), and a status is taken once: its
 * sequence number must be newer than the last one accepted from that server
 * and its send time close to the receive time.
 */
import { Refusal } from '../core/refusals.ts'
import type { ServerRecord } from '../store/registry.ts'
import type { Validated } from './message.ts'

export interface GateOptions {
  maxClockSkewMs: number
}

export class ReplayGuard {
  /** Last accepted sequence number per server; released when a server is removed. */
  readonly #lastSeq = new Map<string, number>()

  restore(serverId: string, lastSeq: number): void {
    if (lastSeq > 0) this.#lastSeq.set(serverId, lastSeq)
  }

  check(serverId: string, seq: number): void {
    const last = this.#lastSeq.get(serverId) ?? 0
    if (seq <= last) throw new Refusal('gate.replay', { seq, lastSeq: last })
  }

  accept(serverId: string, seq: number): void {
    this.#lastSeq.set(serverId, seq)
  }

  forget(serverId: string): void {
    this.#lastSeq.delete(serverId)
  }

  get size(): number {
    return this.#lastSeq.size
  }
}

/** Whether the site may send at `at`: accepted, with a subscription running then. */
export function isMonitored(server: ServerRecord, at: number): boolean {
  const expires = server.subscriptionExpiresAt
  return server.accepted && expires !== null && expires > at
}

export function gate(message: Validated, replay: ReplayGuard, options: GateOptions): Validated {
  const { server, receivedAt } = message
  if (!server.accepted) throw new Refusal('gate.not-accepted', { slc: server.slc })
  if (!isMonitored(server, receivedAt)) {
    throw new Refusal('gate.subscription-expired', {
      slc: server.slc,
      expiresAt: server.subscriptionExpiresAt,
    })
  }

  if (message.kind === 'status') {
    const { seq, sentAt } = message.report
    if (Math.abs(receivedAt - sentAt) > options.maxClockSkewMs) {
      throw new Refusal('gate.stale', { seq, sentAt, receivedAt })
    }
    replay.check(server.id, seq)
    replay.accept(server.id, seq)
  }
  return message
}
