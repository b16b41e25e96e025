/**
 * Broker metrics (Prometheus-style names). The hot path updates them through `updateUnsafe` with
 * the context captured when the broker starts, once per request or batch, never per record.
 */
import { type Context, Effect, Metric } from "effect"
import { labelled } from "../../domain/MetricLabels.ts"

export const produceRequests = Metric.counter("kafka_broker_produce_requests_total", {
  description: "Produce requests handled",
  incremental: true
})
export const fetchRequests = Metric.counter("kafka_broker_fetch_requests_total", {
  description: "Fetch requests handled",
  incremental: true
})
export const bytesIn = Metric.counter("kafka_broker_bytes_in_total", {
  description: "Record-batch bytes appended",
  incremental: true
})
export const bytesOut = Metric.counter("kafka_broker_bytes_out_total", {
  description: "Record-batch bytes served by Fetch",
  incremental: true
})
export const logEndOffset = Metric.gauge("kafka_broker_log_end_offset", {
  description: "Log end offset per topic-partition"
})
export const fsyncSeconds = Metric.histogram("kafka_broker_fsync_seconds", {
  description: "fdatasync latency of the group-commit loop",
  boundaries: Metric.exponentialBoundaries({ start: 0.0001, factor: 2, count: 16 })
})

const logEndOffsets = labelled(logEndOffset)

/** Synchronous recorders bound to the broker's context, for the plain-TypeScript hot path. */
export class BrokerMetrics {
  private readonly context: Context.Context<never>

  private constructor(context: Context.Context<never>) {
    this.context = context
  }

  static readonly make = Effect.map(Effect.context<never>(), (context) => new BrokerMetrics(context))

  produce(bytes: number): void {
    produceRequests.updateUnsafe(1, this.context)
    bytesIn.updateUnsafe(bytes, this.context)
  }

  fetch(bytes: number): void {
    fetchRequests.updateUnsafe(1, this.context)
    if (bytes > 0) bytesOut.updateUnsafe(bytes, this.context)
  }

  logEnd(topic: string, partition: number, offset: number): void {
    logEndOffsets({ topic, partition: String(partition) }).updateUnsafe(offset, this.context)
  }

  fsync(seconds: number): void {
    fsyncSeconds.updateUnsafe(seconds, this.context)
  }
}
