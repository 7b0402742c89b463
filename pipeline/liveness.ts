/**
 * Deadlines for 100,000 servers at a cost that does not depend on how often
 * they send. Arming a deadline is O(1) and touches no timer: a later deadline
 * only overwrites a number. Each tick pops the buckets that are due; an entry
 * whose deadline moved on is re-filed once, so a server costs one re-filing
 * per deadline period, whatever its message rate.
 *
 * Bucket b holds deadlines in ((b-1)*tick, b*tick] and is popped at the first
 * tick at or after b*tick: detection lags a deadline by less than two ticks.
 */
import { interval, Subject, type Observable, type Subscription } from 'rxjs'
import type { Scheduler } from '../core/clock.ts'

interface Entry {
  deadlineMs: number
  /** Bucket this entry is filed in, or -1 when not filed (expired or disarmed). */
  bucket: number
}

export interface Expiry {
  serverId: string
  at: number
}

export class LivenessWheel {
  readonly #tickMs: number
  readonly #scheduler: Scheduler
  readonly #entries = new Map<string, Entry>()
  readonly #buckets = new Map<number, string[]>()
  readonly #expired = new Subject<Expiry>()
  #cursor: number

  constructor(tickMs: number, scheduler: Scheduler) {
    this.#tickMs = tickMs
    this.#scheduler = scheduler
    this.#cursor = Math.floor(scheduler.now() / tickMs)
  }

  get expired$(): Observable<Expiry> {
    return this.#expired.asObservable()
  }

  get size(): number {
    return this.#entries.size
  }

  start(): Subscription {
    return interval(this.#tickMs, this.#scheduler).subscribe(() => this.tick())
  }

  arm(serverId: string, deadlineMs: number): void {
    const entry = this.#entries.get(serverId)
    if (!entry) {
      const created = { deadlineMs, bucket: -1 }
      this.#entries.set(serverId, created)
      this.#file(serverId, created)
      return
    }

    entry.deadlineMs = deadlineMs
    // Later deadlines are found when the old bucket pops; an earlier one must be filed now.
    if (entry.bucket === -1 || this.#bucketOf(deadlineMs) < entry.bucket)
      this.#file(serverId, entry)
  }

  disarm(serverId: string): void {
    this.#entries.delete(serverId)
  }

  tick(): void {
    const now = this.#scheduler.now()
    const due = Math.floor(now / this.#tickMs)

    for (; this.#cursor <= due; this.#cursor++) {
      const ids = this.#buckets.get(this.#cursor)
      if (!ids) continue
      this.#buckets.delete(this.#cursor)
      for (const id of ids) this.#visit(id, this.#cursor, now)
    }
    this.#cursor = due
  }

  #visit(serverId: string, bucket: number, now: number) {
    const entry = this.#entries.get(serverId)
    if (!entry || entry.bucket !== bucket) return

    if (entry.deadlineMs <= now) {
      entry.bucket = -1
      this.#expired.next({ serverId, at: now })
    } else {
      this.#file(serverId, entry)
    }
  }

  #file(serverId: string, entry: Entry) {
    // Never file into a bucket that already popped, or the entry would wait a full lap.
    entry.bucket = Math.max(this.#bucketOf(entry.deadlineMs), this.#cursor)
    const list = this.#buckets.get(entry.bucket)
    if (list) list.push(serverId)
    else this.#buckets.set(entry.bucket, [serverId])
  }

  #bucketOf(deadlineMs: number) {
    return Math.ceil(deadlineMs / this.#tickMs)
  }
}
