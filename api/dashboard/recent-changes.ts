/**
 * Which installations changed state lately, from the committed events. One
 * subscription per app feeds every live stream; each stream then keeps, in one
 * query scoped by its reseller, only the SLCs that are its own before it says
 * anything (api/dashboard/live-streams.ts).
 *
 * A short memory of changes lets a page that (re)connects catch up from the
 * moment it was rendered. When that moment is further back than the memory
 * reaches, `since` says so and the page reloads its data instead.
 */
import { Subject, type Observable, type Subscription } from 'rxjs'
import { historyEventTypes, type VigilEvent } from '../../core/events.ts'
import type { Logger } from '../../core/logger.ts'

export interface RecentChangesOptions {
  keepMs: number
  maxEntries: number
}

interface Entry {
  at: number
  slc: string
}

export class RecentChanges {
  readonly #changes = new Subject<string[]>()
  readonly #options: RecentChangesOptions
  readonly #now: () => number
  readonly #subscription: Subscription
  #entries: Entry[] = []
  #head = 0
  /** Every change at or after this time is remembered. */
  #completeFrom: number

  constructor(
    committed$: Observable<VigilEvent[]>,
    now: () => number,
    options: RecentChangesOptions,
    logger: Logger,
  ) {
    this.#options = options
    this.#now = now
    this.#completeFrom = now()
    this.#subscription = committed$.subscribe({
      next: (batch) => this.#record(batch),
      error: (error) => {
        logger.error('liveFeedStopped', { error })
        this.#changes.error(error)
      },
      complete: () => this.#changes.complete(),
    })
  }

  /** SLCs with a state change (not a mere heartbeat) in each committed batch. */
  get changes$(): Observable<string[]> {
    return this.#changes.asObservable()
  }

  /** SLCs changed at or after `sinceMs`; undefined when that is beyond memory. */
  since(sinceMs: number): string[] | undefined {
    if (sinceMs < this.#completeFrom) return undefined
    const slcs = new Set<string>()
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i]!
      if (entry.at >= sinceMs) slcs.add(entry.slc)
    }
    return [...slcs]
  }

  close(): void {
    this.#subscription.unsubscribe()
    this.#changes.complete()
  }

  #record(batch: VigilEvent[]) {
    const slcs = new Set<string>()
    for (const event of batch) if (historyEventTypes.has(event.type)) slcs.add(event.slc)
    if (slcs.size === 0) return

    const at = this.#now()
    for (const slc of slcs) this.#entries.push({ at, slc })
    this.#forget(at - this.#options.keepMs)
    this.#changes.next([...slcs])
  }

  #forget(before: number) {
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!
      const tooMany = this.#entries.length - this.#head > this.#options.maxEntries
      if (entry.at >= before && !tooMany) break
      this.#completeFrom = Math.max(this.#completeFrom, entry.at + 1)
      this.#head++
    }
    // Compact now and then, so the array does not keep forgotten entries alive.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head)
      this.#head = 0
    }
  }
}
