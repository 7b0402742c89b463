/**
 * Counters and gauges for /metrics (Prometheus text format) and the operator
 * API. Label sets are small and fixed by code (refusal codes, event types), so
 * the number of series stays bounded whatever the input.
 */
type Labels = Record<string, string>

interface Series {
  help: string
  type: 'counter' | 'gauge'
  values: Map<string, { labels: Labels; value: number }>
}

export class Metrics {
  readonly #series = new Map<string, Series>()

  counter(name: string, help: string) {
    this.#define(name, help, 'counter')
    return {
      inc: (labels: Labels = {}, by = 1) => this.#add(name, labels, by),
      get: (labels: Labels = {}) => this.value(name, labels),
    }
  }

  gauge(name: string, help: string) {
    this.#define(name, help, 'gauge')
    return {
      set: (value: number, labels: Labels = {}) => this.#set(name, labels, value),
      get: (labels: Labels = {}) => this.value(name, labels),
    }
  }

  value(name: string, labels: Labels = {}): number {
    return this.#series.get(name)?.values.get(keyOf(labels))?.value ?? 0
  }

  /** Every labelled value of one series, e.g. refusals by code. */
  entries(name: string): Array<{ labels: Labels; value: number }> {
    return [...(this.#series.get(name)?.values.values() ?? [])]
  }

  render(): string {
    const out: string[] = []
    for (const [name, series] of this.#series) {
      out.push(`# HELP ${name} ${series.help}`, `# TYPE ${name} ${series.type}`)
      for (const { labels, value } of series.values.values()) {
        out.push(`${name}${renderLabels(labels)} ${value}`)
      }
    }
    return out.join('\n') + '\n'
  }

  #define(name: string, help: string, type: Series['type']) {
    if (!this.#series.has(name)) this.#series.set(name, { help, type, values: new Map() })
  }

  #add(name: string, labels: Labels, by: number) {
    const values = this.#series.get(name)!.values
    const key = keyOf(labels)
    const entry = values.get(key)
    if (entry) entry.value += by
    else values.set(key, { labels, value: by })
  }

  #set(name: string, labels: Labels, value: number) {
    this.#series.get(name)!.values.set(keyOf(labels), { labels, value })
  }
}

function keyOf(labels: Labels) {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',')
}

function renderLabels(labels: Labels) {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
  return parts.length ? `{${parts.join(',')}}` : ''
}

function escapeLabel(value: string) {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}
