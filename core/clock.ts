/**
 * Time is injected (DESIGN.md): the service runs on RxJS's asyncScheduler,
 * tests on a ManualScheduler that jumps hours of silence in milliseconds.
 */
import { asyncScheduler, VirtualTimeScheduler, type SchedulerLike } from 'rxjs'

export type Scheduler = SchedulerLike

export const wallClock: Scheduler = asyncScheduler

/**
 * A virtual-time scheduler whose clock starts at a real-looking epoch and only
 * moves when the test says so. Timers due on the way fire in order.
 */
export class ManualScheduler extends VirtualTimeScheduler {
  constructor(startMs = Date.parse('2026-01-05T08:00:00Z')) {
    super()
    this.frame = startMs
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.frame + ms)
  }

  advanceTo(targetMs: number): void {
    this.maxFrames = targetMs
    this.flush()
    this.frame = targetMs
  }
}
