type Labels = Record<string, string>

const labelKey = (labels: Labels) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',')

const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** A small Prometheus text-format registry: counters, gauges (set or sampled at scrape) and histograms. */
export class Metrics {
  #counters = new Map<string, { help: string; values: Map<string, number> }>()
  #gauges = new Map<string, { help: string; values: Map<string, number>; sample?: () => Promise<Array<[Labels, number]>> | Array<[Labels, number]> }>()
  #histograms = new Map<string, { help: string; buckets: number[]; series: Map<string, { counts: number[]; sum: number; count: number }> }>()
  #collectors: Array<() => Promise<string[]>> = []

  /** Series kept elsewhere (e.g. in Redis by the worker fleet), rendered as complete text lines at scrape time. */
  collect(render: () => Promise<string[]>): void {
    this.#collectors.push(render)
  }

  counter(name: string, help: string) {
    const entry = this.#counters.get(name) ?? { help, values: new Map() }
    this.#counters.set(name, entry)
    const add = (key: string, by: number) => void entry.values.set(key, (entry.values.get(key) ?? 0) + by)
    return {
      inc: (labels: Labels = {}, by = 1) => add(labelKey(labels), by),
      /** A child with its label set rendered once, for hot paths that count the same series often. */
      bind: (labels: Labels) => {
        const key = labelKey(labels)
        return { inc: (by = 1) => add(key, by) }
      },
    }
  }

  gauge(name: string, help: string, sample?: () => Promise<Array<[Labels, number]>> | Array<[Labels, number]>) {
    const entry = this.#gauges.get(name) ?? { help, values: new Map(), sample }
    this.#gauges.set(name, entry)
    return {
      set: (value: number, labels: Labels = {}) => void entry.values.set(labelKey(labels), value),
      add: (by: number, labels: Labels = {}) => {
        const key = labelKey(labels)
        entry.values.set(key, (entry.values.get(key) ?? 0) + by)
      },
    }
  }

  histogram(name: string, help: string, buckets = DEFAULT_BUCKETS) {
    const entry = this.#histograms.get(name) ?? { help, buckets, series: new Map() }
    this.#histograms.set(name, entry)
    const record = (key: string, value: number) => {
        let series = entry.series.get(key)
        if (!series) {
          series = { counts: new Array(buckets.length).fill(0), sum: 0, count: 0 }
          entry.series.set(key, series)
        }
        for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]!) series.counts[i]!++
        series.sum += value
        series.count++
    }
    return {
      observe: (value: number, labels: Labels = {}) => record(labelKey(labels), value),
      bind: (labels: Labels) => {
        const key = labelKey(labels)
        return { observe: (value: number) => record(key, value) }
      },
    }
  }

  async render(): Promise<string> {
    const lines: string[] = []
    const braces = (key: string) => (key ? `{${key}}` : '')
    for (const [name, { help, values }] of this.#counters) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`)
      for (const [key, value] of values) lines.push(`${name}${braces(key)} ${value}`)
    }
    for (const [name, entry] of this.#gauges) {
      lines.push(`# HELP ${name} ${entry.help}`, `# TYPE ${name} gauge`)
      const values = new Map(entry.values)
      if (entry.sample) for (const [labels, value] of await entry.sample()) values.set(labelKey(labels), value)
      for (const [key, value] of values) lines.push(`${name}${braces(key)} ${value}`)
    }
    for (const [name, { help, buckets, series }] of this.#histograms) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`)
      for (const [key, s] of series) {
        const sep = key ? ',' : ''
        buckets.forEach((le, i) => lines.push(`${name}_bucket{${key}${sep}le="${le}"} ${s.counts[i]}`))
        lines.push(`${name}_bucket{${key}${sep}le="+Inf"} ${s.count}`)
        lines.push(`${name}_sum${braces(key)} ${s.sum}`, `${name}_count${braces(key)} ${s.count}`)
      }
    }
    for (const render of this.#collectors) lines.push(...(await render()))
    return lines.join('\n') + '\n'
  }
}
