/**
 * The two endpoints of InfluxDB's v1 HTTP API that 1.x serves natively and
 * 2.x/3.x serve for compatibility: POST /write (line protocol) and POST /query
 * (InfluxQL). One code path for all three; only the credentials differ.
 */
import { inline, type Statement } from './influxql.ts'

export interface InfluxConnection {
  url: string
  username?: string
  password?: string
  /** 2.x/3.x: sent as `Authorization: Token <token>`. */
  token?: string
  /** Values as `params=` (bound) or inlined as quoted literals. */
  bindParams: boolean
  timeoutMs: number
}

export type InfluxErrorCode =
  | 'unreachable'
  | 'timeout'
  | 'server-error'
  | 'unauthorized'
  | 'database-not-found'
  | 'rejected'
  | 'too-large'
  | 'query-failed'

/** What went wrong, as a code the caller can act on; never parse the message. */
export class InfluxError extends Error {
  override readonly name = 'InfluxError'

  constructor(
    readonly code: InfluxErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message)
  }

  /** A passing fault of the server or the network: the same request may work later. */
  get transient(): boolean {
    return this.code === 'unreachable' || this.code === 'timeout' || this.code === 'server-error'
  }
}

export interface InfluxSeries {
  name: string
  tags?: Record<string, string>
  columns: string[]
  values: unknown[][]
}

export interface InfluxResult {
  series?: InfluxSeries[]
}

export class InfluxHttp {
  readonly #connection: InfluxConnection
  readonly #auth: string | undefined

  constructor(connection: InfluxConnection) {
    this.#connection = connection
    this.#auth = authorization(connection)
  }

  get url(): string {
    return this.#connection.url
  }

  /** Writes lines whose timestamps are in nanoseconds; resolves on 2xx only. */
  async write(database: string, lines: string): Promise<void> {
    const query = new URLSearchParams({ db: database, precision: 'ns' })
    const res = await this.#send(`/write?${query}`, lines, 'text/plain; charset=utf-8')
    if (res.ok) return
    throw await failure(res, 'write')
  }

  /** Runs one statement; times come back as epoch milliseconds. */
  async query(statement: Statement, database?: string): Promise<InfluxResult> {
    const form = new URLSearchParams({ epoch: 'ms' })
    if (database) form.set('db', database)
    if (this.#connection.bindParams) {
      form.set('q', statement.text)
      if (Object.keys(statement.params).length) form.set('params', JSON.stringify(statement.params))
    } else {
      form.set('q', inline(statement))
    }

    const res = await this.#send('/query', form.toString(), 'application/x-www-form-urlencoded')
    if (!res.ok) throw await failure(res, 'query')
    const body = (await res.json()) as { results?: Array<InfluxResult & { error?: string }> }
    const result = body.results?.[0]
    if (!result) throw new InfluxError('query-failed', 'InfluxDB answered without a result')
    if (result.error) {
      throw new InfluxError(statementErrorCode(result.error), result.error, res.status)
    }
    return result
  }

  async #send(path: string, body: string, contentType: string): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': contentType }
    if (this.#auth) headers.authorization = this.#auth
    try {
      return await fetch(`${this.#connection.url}${path}`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.#connection.timeoutMs),
      })
    } catch (error) {
      const name = (error as Error).name
      if (name === 'TimeoutError' || name === 'AbortError') {
        const ms = this.#connection.timeoutMs
        throw new InfluxError('timeout', `no answer from InfluxDB within ${ms} ms`)
      }
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message
      const url = this.#connection.url
      throw new InfluxError('unreachable', `InfluxDB at ${url} unreachable: ${cause}`)
    }
  }
}

function authorization(c: InfluxConnection): string | undefined {
  if (c.token) return `Token ${c.token}`
  if (c.username !== undefined) {
    const pair = `${c.username}:${c.password ?? ''}`
    return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`
  }
  return undefined
}

async function failure(res: Response, what: 'write' | 'query'): Promise<InfluxError> {
  const text = await res.text().catch(() => '')
  let message = text.trim() || res.statusText
  try {
    message = (JSON.parse(text) as { error?: string; message?: string }).error ?? message
  } catch {
    // plain-text body: keep it as it is
  }
  return new InfluxError(statusCode(res.status, what), `InfluxDB ${what}: ${message}`, res.status)
}

function statusCode(status: number, what: 'write' | 'query'): InfluxErrorCode {
  if (status === 401 || status === 403) return 'unauthorized'
  if (status === 404) return 'database-not-found'
  if (status === 413) return 'too-large'
  if (status === 400 || status === 422) return what === 'write' ? 'rejected' : 'query-failed'
  return 'server-error'
}

/** 1.x reports a missing privilege inside a 200 answer; it is still an auth failure. */
function statementErrorCode(error: string): InfluxErrorCode {
  if (/not authorized|authorization failed/i.test(error)) return 'unauthorized'
  if (/database not found/i.test(error)) return 'database-not-found'
  return 'query-failed'
}
