/**
 * A labelled metric built once per label set. `Metric.withAttributes` allocates a new metric on every
 * call, which showed on hot paths (once per HTTP request, per produce, per appended batch). Label
 * values must stay a small bounded set (routes, statuses, reasons, topics, partitions), as Prometheus
 * labels should anyway.
 */
import { Metric } from "effect"

export const labelled = <Input, State>(metric: Metric.Metric<Input, State>) => {
  const cache = new Map<string, Metric.Metric<Input, State>>()
  return (attributes: Readonly<Record<string, string>>): Metric.Metric<Input, State> => {
    let key = ""
    for (const name in attributes) key += `${name}=${attributes[name]}\u0000`
    let found = cache.get(key)
    if (found === undefined) {
      found = Metric.withAttributes(metric, attributes)
      cache.set(key, found)
    }
    return found
  }
}
