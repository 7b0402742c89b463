/**
 * Structured logging: one JSON object per line. Modules receive a Logger;
 * only the entry point decides where lines go and which level is shown.
 *
 * Level contract (STYLE.md):
 * - info: a state change an operator cares about
 * - warn: degraded, will retry
 * - error: something was lost or needs a human
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export type LogFields = Record<string, unknown>

export interface Logger {
  debug(event: string, fields?: LogFields): void
  info(event: string, fields?: LogFields): void
  warn(event: string, fields?: LogFields): void
  error(event: string, fields?: LogFields): void
  child(fields: LogFields): Logger
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface JsonLoggerOptions {
  level?: LogLevel
  write?: (line: string) => void
  now?: () => number
}

export function createJsonLogger(options: JsonLoggerOptions = {}, base: LogFields = {}): Logger {
  const threshold = rank[options.level ?? 'info']
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'))
  const now = options.now ?? Date.now

  function emit(level: LogLevel, event: string, fields?: LogFields) {
    if (rank[level] < threshold) return
    const record = { ts: new Date(now()).toISOString(), level, event, ...base, ...fields }
    write(JSON.stringify(record, replaceErrors))
  }

  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
    child: (fields) => createJsonLogger(options, { ...base, ...fields }),
  }
}

/** Errors do not serialise to JSON by themselves; keep what helps an operator. */
function replaceErrors(_key: string, value: unknown) {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code
    return { name: value.name, message: value.message, ...(code ? { code } : {}) }
  }
  if (typeof value === 'bigint') return value.toString()
  return value
}

export function isLogLevel(value: string): value is LogLevel {
  return value in rank
}

/** A logger that keeps lines in memory: for tests that assert on what was logged. */
export function createMemoryLogger(level: LogLevel = 'debug') {
  const lines: Array<LogFields & { level: LogLevel; event: string }> = []
  const logger = createJsonLogger({ level, write: (line) => lines.push(JSON.parse(line)) })
  return { logger, lines }
}
