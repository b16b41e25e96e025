/** Lake metrics (Prometheus-style names), attributed by table (`events` | `sessions`). */
import { Effect, Metric } from "effect"

export const filesWritten = Metric.counter("launchpad_lake_files_written_total", {
  description: "Parquet files made visible by the lake writers",
  incremental: true
})
export const bytesWritten = Metric.counter("launchpad_lake_bytes_written_total", {
  description: "bytes of Parquet made visible by the lake writers",
  incremental: true
})
export const rowsWritten = Metric.counter("launchpad_lake_rows_written_total", {
  description: "rows written by the lake writers",
  incremental: true
})
export const writeSeconds = Metric.histogram("launchpad_lake_write_seconds", {
  description: "duration of one writer call (all partitions of one micro-batch)",
  boundaries: Metric.exponentialBoundaries({ start: 0.001, factor: 2, count: 16 })
})
export const filesCompacted = Metric.counter("launchpad_lake_files_compacted_total", {
  description: "input files replaced by compaction",
  incremental: true
})
export const partitionsDeleted = Metric.counter("launchpad_lake_partitions_deleted_total", {
  description: "date partitions deleted by retention",
  incremental: true
})

export const recordWrite = (table: string, files: number, bytes: number, rows: number, seconds: number) => {
  const attributes = { table }
  return Effect.all(
    [
      Metric.update(Metric.withAttributes(filesWritten, attributes), files),
      Metric.update(Metric.withAttributes(bytesWritten, attributes), bytes),
      Metric.update(Metric.withAttributes(rowsWritten, attributes), rows),
      Metric.update(Metric.withAttributes(writeSeconds, attributes), seconds)
    ],
    { discard: true }
  )
}
