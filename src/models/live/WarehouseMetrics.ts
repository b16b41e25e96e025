/** Warehouse metrics (Prometheus names `launchpad_warehouse_*`), served on `/metrics`. */
import { Metric } from "effect"

const updatesApplied = Metric.counter("launchpad_warehouse_kpi_updates_applied_total", {
  description: "kpi_minute records upserted into kpi_minute_partition",
  incremental: true
})
const badRecords = Metric.counter("launchpad_warehouse_kpi_bad_records_total", {
  description: "kpi_minute records that did not decode and were skipped",
  incremental: true
})
const writeRetries = Metric.counter("launchpad_warehouse_kpi_write_retries_total", {
  description: "failed DuckDB writes of a kpi_minute batch that were retried",
  incremental: true
})
const sinkRestarts = Metric.counter("launchpad_warehouse_kpi_sink_restarts_total", {
  description: "times the kpi_minute consumer stopped on an error (Kafka or DuckDB) and started again",
  incremental: true
})
const commitFailures = Metric.counter("launchpad_warehouse_kpi_commit_failures_total", {
  description: "offset commits to the consumer group refused (lag monitoring only: the sink resumes from DuckDB)",
  incremental: true
})
const applySeconds = Metric.histogram("launchpad_warehouse_kpi_apply_seconds", {
  description: "time to decode and upsert one kpi_minute batch",
  boundaries: Metric.exponentialBoundaries({ start: 0.001, factor: 2, count: 14 })
})
const recordAge = Metric.histogram("launchpad_warehouse_kpi_record_age_seconds", {
  description: "from a kpi_minute record's timestamp (when the processor sent it) until the warehouse applied it",
  boundaries: Metric.exponentialBoundaries({ start: 0.001, factor: 2, count: 16 })
})
const lastApplied = Metric.gauge("launchpad_warehouse_kpi_last_applied_timestamp_seconds", {
  description: "when the sink last applied an update (epoch seconds)"
})
const retentionDeleted = Metric.counter("launchpad_warehouse_kpi_retention_deleted_total", {
  description: "kpi_minute_partition rows deleted by retention",
  incremental: true
})
const sseClients = Metric.gauge("launchpad_warehouse_sse_clients", {
  description: "open /api/v1/live connections"
})

export const WarehouseMetrics = {
  updatesApplied,
  badRecords,
  writeRetries,
  sinkRestarts,
  commitFailures,
  applySeconds,
  recordAge,
  lastApplied,
  retentionDeleted,
  sseClients
} as const
