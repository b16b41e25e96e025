/** The stream processor's metrics (Prometheus names `launchpad_stream_*`); labels are partitions, tables and reason codes. */
import { Effect, Metric } from "effect"

const secondsBoundaries = Metric.exponentialBoundaries({ start: 0.005, factor: 2, count: 14 })

export const StreamMetrics = {
  consumerLag: Metric.gauge("launchpad_stream_consumer_lag", {
    description: "records of events_raw behind the partition's high watermark after the last micro-batch"
  }),
  batchDuration: Metric.histogram("launchpad_stream_batch_duration_seconds", {
    description: "one micro-batch from its records to its commit record (decode, core, lake, kpi, checkpoint)",
    boundaries: secondsBoundaries
  }),
  events: Metric.counter("launchpad_stream_events_total", {
    description: "events_raw records processed (rate() gives events/s)",
    incremental: true
  }),
  watermarkDelay: Metric.gauge("launchpad_stream_watermark_delay_seconds", {
    description: "now minus the processor's watermark W"
  }),
  lateEvents: Metric.counter("launchpad_stream_late_events_total", {
    description: "events at or behind W when their batch started (kept in the lake, flagged is_late)",
    incremental: true
  }),
  lateWindowEvents: Metric.counter("launchpad_stream_late_window_events_total", {
    description: "late events whose minute window had already closed (that window was not changed)",
    incremental: true
  }),
  duplicates: Metric.counter("launchpad_stream_duplicates_dropped_total", {
    description: "copies of an event_id dropped by dedup within the watermark",
    incremental: true
  }),
  filesWritten: Metric.counter("launchpad_stream_files_written_total", {
    description: "Parquet files the processor made visible, by table",
    incremental: true
  }),
  bytesWritten: Metric.counter("launchpad_stream_bytes_written_total", {
    description: "bytes of Parquet the processor made visible, by table",
    incremental: true
  }),
  checkpointDuration: Metric.histogram("launchpad_stream_checkpoint_duration_seconds", {
    description: "writing the commit records of one micro-batch",
    boundaries: secondsBoundaries
  }),
  deadLettered: Metric.counter("launchpad_stream_dead_lettered_total", {
    description: "events_raw records that failed to decode and went to events_deadletter, by reason",
    incremental: true
  }),
  sessionsClosed: Metric.counter("launchpad_stream_sessions_closed_total", {
    description: "sessions emitted to lake/sessions",
    incremental: true
  }),
  windowsClosed: Metric.counter("launchpad_stream_windows_closed_total", {
    description: "(minute, partition) windows closed and sent final to kpi_minute",
    incremental: true
  }),
  replays: Metric.counter("launchpad_stream_replayed_batches_total", {
    description: "unfinished micro-batches re-run from their plan after a crash or a handover",
    incremental: true
  }),
  restarts: Metric.counter("launchpad_stream_restarts_total", {
    description: "times the consumer loop failed and was restarted from the checkpoint",
    incremental: true
  })
} as const

export const countBy = (counter: Metric.Counter<number>, attributes: Record<string, string>, n: number) =>
  n === 0 ? Effect.void : Metric.update(Metric.withAttributes(counter, attributes), n)

/** The consumer-lag gauge of one partition. */
export const partitionLag = (topic: string, partition: number) =>
  Metric.withAttributes(StreamMetrics.consumerLag, { topic, partition: String(partition) })
