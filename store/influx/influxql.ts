/**
 * InfluxQL statements built so that no value can change their meaning. Values
 * go into a statement only as named parameters (`$p0`, `$p1`...), sent either
 * as bound parameters (the `params=` form of /query) or, for servers whose
 * compatibility API lacks them, inlined as quoted literals in one pass.
 * Identifiers are always double-quoted; names Vigil creates are checked first.
 */
export type Param = string | number | boolean

export interface Statement {
  text: string
  params: Record<string, Param>
}

/** A value of a statement; `time` values become RFC 3339 strings, exact to the ms. */
export type Value = Param | { time: number }

export class InfluxqlError extends Error {
  override readonly name = 'InfluxqlError'
  readonly code = 'invalid-influxql-value'
}

/** Names Vigil gives databases and users: plain, so every tool shows them as they are. */
const safeName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

export function checkName(name: string, what: string): string {
  if (!safeName.test(name)) {
    throw new InfluxqlError(`${what} "${name}" must be 1-128 letters, digits, "_", "." or "-"`)
  }
  return name
}

/** A double-quoted identifier (measurement, tag, field, database, user). */
export function ident(name: string): string {
  return `"${quotable(name).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

/** A single-quoted string literal, as InfluxQL's scanner reads it back. */
export function literal(value: string): string {
  return `'${quotable(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`
}

/**
 * InfluxQL's scanner has escapes for newline, quote and backslash only; a
 * carriage return or NUL cannot appear in a quoted text at all. Such a value
 * is refused here (bound parameters carry it fine).
 */
function quotable(text: string): string {
  if (/[\u0000\r]/.test(text)) {
    throw new InfluxqlError('InfluxQL cannot quote a carriage return or NUL; use bound parameters')
  }
  return text
}

/**
 * Tagged template: `influxql\`SELECT ... WHERE "slc" = ${slc}\`` puts `$p0` in
 * the text and the value in `params`. Identifiers are written in the template.
 */
export function influxql(strings: TemplateStringsArray, ...values: Value[]): Statement {
  const params: Record<string, Param> = {}
  let text = strings[0] ?? ''
  values.forEach((value, index) => {
    const name = `p${index}`
    params[name] = toParam(value)
    text += `$${name}${strings[index + 1] ?? ''}`
  })
  return { text, params }
}

/** A whole number for LIMIT and the like, which InfluxQL does not bind. */
export function integer(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InfluxqlError(`expected a non-negative integer, got ${String(value)}`)
  }
  return String(value)
}

/** The statement with each `$pN` replaced by its quoted literal, in a single pass. */
export function inline(statement: Statement): string {
  return statement.text.replace(/\$(p\d+)\b/g, (whole, name: string) => {
    const value = statement.params[name]
    if (value === undefined) throw new InfluxqlError(`no value for ${whole}`)
    if (typeof value === 'string') return literal(value)
    return String(value)
  })
}

function toParam(value: Value): Param {
  if (typeof value === 'object') {
    if (!Number.isFinite(value.time)) {
      throw new InfluxqlError('a time must be a finite number of ms')
    }
    return new Date(value.time).toISOString()
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new InfluxqlError('a number parameter must be finite')
  }
  return value
}
