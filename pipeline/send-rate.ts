/**
 * A token bucket per server: a recording server sends a heartbeat per
 * interval and a status when something changes, far below this rate. One that
 * floods (a bug, or stolen credentials) is refused past its burst, so it
 * cannot grow the history or crowd out the rest of the fleet.
 */
import { Refusal } from '../core/refusals.ts'

export interface SendRateOptions {
  /** Messages a server may send at once. */
  messageBurst: number
  /** Messages per second it may keep sending. */
  messagesPerSecond: number
}

export class SendRate {
  readonly #options: SendRateOptions
  /** Tokens left and when they were counted, per server; released on removal. */
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor(options: SendRateOptions) {
    this.#options = options
  }

  take(serverId: string, at: number): void {
    const { messageBurst, messagesPerSecond } = this.#options
    const bucket = this.#buckets.get(serverId) ?? { tokens: messageBurst, at }
    const refilled = Math.min(
      messageBurst,
      bucket.tokens + (Math.max(0, at - bucket.at) / 1000) * messagesPerSecond,
    )

    if (refilled < 1) {
      this.#buckets.set(serverId, { tokens: refilled, at })
      throw new Refusal('gate.rate-limited', { serverId, messagesPerSecond })
    }
    this.#buckets.set(serverId, { tokens: refilled - 1, at })
  }

  forget(serverId: string): void {
    this.#buckets.delete(serverId)
  }
}
