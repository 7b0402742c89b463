/**
 * Batches pipeline events into store transactions (DESIGN.md: writes are
 * batched). A batch is written when it is full or `flushMs` after its first
 * event, whichever comes first. SQLite writes are synchronous, so the buffer
 * never holds more than one batch unless the disk fails; then it retries with
 * backoff and, past `maxBufferedEvents`, refuses to grow and says so.
 */
import type { VigilEvent } from '../core/events.ts'
import type { Logger } from '../core/logger.ts'
import type { Metrics } from '../core/metrics.ts'
import type { StateStore } from './state.ts'

export interface WriterOptions {
  batchSize: number
  flushMs: number
  maxBufferedEvents: number
  /** Also queue each event in the outbox for an external history store. */
  outbox: boolean
}

export class BatchWriter {
  readonly #store: StateStore
  readonly #options: WriterOptions
  readonly #logger: Logger
  readonly #written
  readonly #dropped
  #buffer: VigilEvent[] = []
  #timer: NodeJS.Timeout | undefined
  #failures = 0
  #listeners = new Set<(events: VigilEvent[]) => void>()

  constructor(store: StateStore, options: WriterOptions, logger: Logger, metrics: Metrics) {
    this.#store = store
    this.#options = options
    this.#logger = logger
    this.#written = metrics.counter('vigil_events_written_total', 'Events committed to the store')
    this.#dropped = metrics.counter('vigil_events_dropped_total', 'Events lost: store unwritable and buffer full')
  }

  push(event: VigilEvent): void {
    if (this.#buffer.length >= this.#options.maxBufferedEvents) {
      this.#dropped.inc()
      this.#logger.error('eventDropped', { type: event.type, serverId: event.serverId,
        cause: event.cause, why: 'store unwritable and buffer full' })
      return
    }
    this.#buffer.push(event)
    if (this.#buffer.length >= this.#options.batchSize && this.#failures === 0) this.flush()
    else this.#schedule(this.#options.flushMs)
  }

  /** Writes whatever is buffered now; returns false when the store refused. */
  flush(): boolean {
    this.#cancel()
    if (this.#buffer.length === 0) return true

    const batch = this.#buffer
    try {
      this.#store.apply(batch, this.#options.outbox)
    } catch (error) {
      this.#failures++
      const retryMs = Math.min(30_000, 100 * 2 ** this.#failures)
      this.#logger.warn('storeWriteFailed', { events: batch.length, retryMs, error })
      this.#schedule(retryMs)
      return false
    }

    this.#buffer = []
    this.#failures = 0
    this.#written.inc({}, batch.length)
    for (const listener of this.#listeners) listener(batch)
    return true
  }

  /** Called after each committed batch (live updates read committed state). */
  onCommitted(listener: (events: VigilEvent[]) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  get pending(): number {
    return this.#buffer.length
  }

  close(): void {
    this.flush()
    this.#cancel()
  }

  #schedule(ms: number) {
    if (this.#timer) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.flush()
    }, ms)
    this.#timer.unref()
  }

  #cancel() {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
