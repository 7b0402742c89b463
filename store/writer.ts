/**
 * Batches pipeline events into store transactions (DESIGN.md: writes are
 * batched). A batch is written when it is full or `flushMs` after its first
 * event, whichever comes first. SQLite writes are synchronous, so the buffer
 * never holds more than one batch unless the disk fails; then it retries with
 * backoff and, past `maxBufferedEvents`, refuses to grow and says so.
 *
 * A batch the store refuses is written again one event at a time, so one
 * event that can never be written (a constraint it breaks) is set aside in
 * `rejected_events` and cannot hold up everybody else's.
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
  readonly #rejected
  #buffer: VigilEvent[] = []
  #timer: NodeJS.Timeout | undefined
  #failures = 0
  #listeners = new Set<(events: VigilEvent[]) => void>()

  constructor(store: StateStore, options: WriterOptions, logger: Logger, metrics: Metrics) {
    this.#store = store
    this.#options = options
    this.#logger = logger
    this.#written = metrics.counter('vigil_events_written_total', 'Events committed to the store')
    this.#dropped = metrics.counter(
      'vigil_events_dropped_total',
      'Events lost: store unwritable and buffer full',
    )
    this.#rejected = metrics.counter(
      'vigil_events_rejected_total',
      'Events the store can never take, set aside',
    )
  }

  push(event: VigilEvent): void {
    if (this.#buffer.length >= this.#options.maxBufferedEvents) {
      this.#dropped.inc()
      this.#logger.error('eventDropped', {
        type: event.type,
        serverId: event.serverId,
        cause: event.cause,
        why: 'store unwritable and buffer full',
      })
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
      return this.#flushOneByOne(error)
    }
    this.#committed(batch)
    return true
  }

  /** False while the store refuses writes: /healthz reports it. */
  get healthy(): boolean {
    return this.#failures === 0
  }

  #flushOneByOne(batchError: unknown): boolean {
    const written: VigilEvent[] = []
    for (let i = 0; i < this.#buffer.length; i++) {
      const event = this.#buffer[i]!
      try {
        this.#store.apply([event], this.#options.outbox)
        written.push(event)
      } catch (error) {
        if (isPermanent(error)) {
          this.#reject(event, error)
          continue
        }
        // The store itself is failing (disk, I/O): keep the rest, retry later.
        this.#buffer = this.#buffer.slice(i)
        this.#committed(written, false)
        this.#failures++
        const retryMs = Math.min(30_000, 100 * 2 ** this.#failures)
        this.#logger.warn('storeWriteFailed', {
          events: this.#buffer.length,
          retryMs,
          error: error ?? batchError,
        })
        this.#schedule(retryMs)
        return false
      }
    }
    this.#committed(written)
    return true
  }

  #reject(event: VigilEvent, error: unknown) {
    this.#rejected.inc({ type: event.type })
    this.#logger.error('eventRejected', {
      type: event.type,
      slc: event.slc,
      serverId: event.serverId,
      cause: event.cause,
      error,
    })
    try {
      this.#store.setAside(event, error instanceof Error ? error.message : String(error))
    } catch (asideError) {
      this.#logger.error('eventLost', { cause: event.cause, error: asideError })
    }
  }

  #committed(batch: VigilEvent[], clear = true) {
    if (clear) {
      this.#buffer = []
      this.#failures = 0
    }
    if (batch.length === 0) return
    this.#written.inc({}, batch.length)
    for (const listener of this.#listeners) {
      try {
        listener(batch)
      } catch (error) {
        this.#logger.error('commitListenerFailed', { events: batch.length, error })
      }
    }
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
    if (!this.flush()) {
      this.#dropped.inc({}, this.#buffer.length)
      this.#logger.error('eventsLostAtShutdown', {
        events: this.#buffer.length,
        why: 'the store refused the last write',
      })
    }
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

/** SQLite constraint errors never go away by retrying the same event. */
function isPermanent(error: unknown): boolean {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')
}
