/**
 * Limits failed attempts per client address in a fixed window: enrollment
 * codes are short enough to guess at, so guessing must be slow. Successful
 * requests cost nothing, so a site enrolling many servers is never held up.
 * The table is bounded; past its size the oldest windows are dropped first.
 */
export interface FailureLimitOptions {
  maxFailures: number
  windowMs: number
  maxAddresses: number
}

export const defaultFailureLimit: FailureLimitOptions = {
  maxFailures: 20,
  windowMs: 10 * 60_000,
  maxAddresses: 10_000,
}

export class FailureLimit {
  readonly #options: FailureLimitOptions
  readonly #now: () => number
  readonly #windows = new Map<string, { startedAt: number; failures: number }>()

  constructor(now: () => number, options: FailureLimitOptions = defaultFailureLimit) {
    this.#now = now
    this.#options = options
  }

  /** Seconds until the address may try again; 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const window = this.#current(address)
    if (!window || window.failures < this.#options.maxFailures) return 0
    return Math.ceil((window.startedAt + this.#options.windowMs - this.#now()) / 1000)
  }

  recordFailure(address: string): void {
    const window = this.#current(address)
    if (window) {
      window.failures++
      return
    }
    if (this.#windows.size >= this.#options.maxAddresses) {
      this.#windows.delete(this.#windows.keys().next().value!)
    }
    this.#windows.set(address, { startedAt: this.#now(), failures: 1 })
  }

  #current(address: string) {
    const window = this.#windows.get(address)
    if (window && window.startedAt + this.#options.windowMs <= this.#now()) {
      this.#windows.delete(address)
      return undefined
    }
    return window
  }
}
