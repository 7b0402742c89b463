/**
 * Gathers the SLCs that changed and hands them on at most once per
 * `delayMs`, one send at a time. While a send is under way, new changes merge
 * into the pending set, so a slow browser costs one set no larger than the
 * number of installations, never a growing queue of messages. The set holds
 * every reseller's changes; the stream's `send` keeps only its viewer's own.
 */
export interface ChangeFeedOptions {
  delayMs: number
  now: () => number
  /** Sends one batch; `takenAt` is the time just before the batch was taken. */
  send: (slcs: string[], takenAt: number) => Promise<void>
  onError: (error: unknown) => void
}

export class ChangeFeed {
  readonly #options: ChangeFeedOptions
  readonly #pending = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #sending = false
  #closed = false

  constructor(options: ChangeFeedOptions) {
    this.#options = options
  }

  add(slcs: Iterable<string>): void {
    if (this.#closed) return
    for (const slc of slcs) this.#pending.add(slc)
    this.#arm()
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#pending.clear()
  }

  #arm() {
    if (this.#timer || this.#sending || this.#closed || this.#pending.size === 0) return
    this.#timer = setTimeout(() => void this.#flush(), this.#options.delayMs)
  }

  async #flush() {
    this.#timer = undefined
    this.#sending = true
    // The time is taken before the batch, so whatever a later message misses is newer than it.
    const takenAt = this.#options.now()
    const batch = [...this.#pending]
    this.#pending.clear()

    try {
      await this.#options.send(batch, takenAt)
    } catch (error) {
      this.close()
      this.#options.onError(error)
      return
    } finally {
      this.#sending = false
    }
    this.#arm()
  }
}
