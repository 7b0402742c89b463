/**
 * Reconnect delays: exponential with "full jitter", so a thousand sites that
 * lost the broker together do not all come back in the same second.
 */
export interface BackoffOptions {
  initialMs: number
  maxMs: number
}

export const defaultBackoff: BackoffOptions = { initialMs: 1_000, maxMs: 60_000 }

export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}
