/**
 * Time is injected (DESIGN.md): the service runs on RxJS's asyncScheduler,
 * tests on a ManualScheduler that jumps hours of silence in milliseconds.
 */
import { asyncScheduler, Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs'

export type Scheduler = SchedulerLike

export const wallClock: Scheduler = asyncScheduler

interface Queued {
  action: ManualAction<unknown>
  due: number
  order: number
  version: number
}

/**
 * A virtual-time scheduler whose clock only moves when a test says so; timers
 * due on the way fire in order. RxJS's VirtualTimeScheduler nests a new action
 * inside the previous one at every repeat, so a periodic timer run for hours
 * of virtual time overflows the stack when unsubscribed; here a repeating
 * action re-queues itself instead.
 */
export class ManualScheduler implements SchedulerLike {
  #now: number
  #queue: Queued[] = []
  #order = 0

  constructor(startMs = Date.parse('2026-01-05T08:00:00Z')) {
    this.#now = startMs
  }

  now(): number {
    return this.#now
  }

  schedule<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay = 0,
    state?: T,
  ): Subscription {
    return new ManualAction<T>(this, work).schedule(state, delay)
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.#now + ms)
  }

  advanceTo(targetMs: number): void {
    for (;;) {
      const next = this.#queue[0]
      if (!next || next.due > targetMs) break
      this.#queue.shift()
      if (next.action.closed || next.version !== next.action.version) continue
      this.#now = Math.max(this.#now, next.due)
      next.action.execute()
    }
    this.#now = Math.max(this.#now, targetMs)
  }

  /** @internal */
  enqueue(action: ManualAction<unknown>, due: number): void {
    const entry = { action, due, order: ++this.#order, version: action.version }
    let low = 0
    let high = this.#queue.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (this.#queue[mid]!.due <= due) low = mid + 1
      else high = mid
    }
    this.#queue.splice(low, 0, entry)
  }
}

class ManualAction<T> extends Subscription implements SchedulerAction<T> {
  version = 0
  #state: T | undefined

  constructor(
    private readonly scheduler: ManualScheduler,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super()
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this
    this.#state = state
    this.version++
    this.scheduler.enqueue(this as ManualAction<unknown>, this.scheduler.now() + Math.max(0, delay))
    return this
  }

  execute(): void {
    const version = this.version
    this.work.call(this, this.#state)
    // A run that did not re-schedule itself is finished.
    if (this.version === version) this.unsubscribe()
  }
}
