/**
 * The exactly-once file protocol both lake writers share: the rows of one micro-batch of one Kafka
 * partition are placed in time partitions; for each partition, in a total order, a staging strategy
 * (EventJsonStaging.ts for events, AppenderStaging.ts for sessions) has DuckDB write a temporary Parquet
 * file with `COPY … TO`, which is then fsynced and renamed to the batch's deterministic name
 * (LakeLayout.ts, rule 1).
 */
import * as path from "node:path"
import type { DuckDBConnection } from "@duckdb/node-api"
import { Clock, Effect, Schema } from "effect"
import {
  ensureDir,
  fsyncFile,
  removeFilesDurable,
  removeQuietly,
  renameDurable,
  statIfExists
} from "../platform/DurableFiles.ts"
import type { DuckDbClientShape } from "../sql/DuckDbClient.ts"
import { partFileName, partitionOf, tempName } from "./LakeLayout.ts"
import { recordWrite } from "./LakeMetrics.ts"
import type { LakeTable } from "./LakeTable.ts"
import { isCompacted, isReplaced, readPartition } from "./Manifest.ts"

export class LakeWriteError extends Schema.TaggedError<LakeWriteError>()("LakeWriteError", {
  message: Schema.String
}) {}

/** Which micro-batch a file belongs to: its name is derived from this and nothing else. */
export interface BatchId {
  readonly topic: string
  readonly partition: number
  readonly firstOffset: bigint | number
  readonly lastOffset: bigint | number
}

export interface WrittenFile {
  readonly path: string
  /** Partition directory relative to the table root, e.g. `event_date=2026-11-22/event_hour=10`. */
  readonly partition: string
  readonly rows: number
  readonly bytes: number
}

/** One file to write: the batch's rows that fall in one partition. */
export interface PartitionTarget {
  readonly partition: string
  /** The partition directory (absolute). */
  readonly dir: string
  /** Where `copy` writes the Parquet file; the protocol fsyncs and renames it. */
  readonly temp: string
  /** Indices of the rows in this partition, ascending. */
  readonly rows: ReadonlyArray<number>
}

/** A batch's rows, ready to be written by one staging strategy. */
export interface StagedBatch {
  /** Each row's `table.timeColumn` in epoch milliseconds (NaN when missing or invalid). */
  readonly times: ArrayLike<number>
  /**
   * Writes each target's rows to `target.temp` as ZSTD Parquet with the table's columns, ordered by
   * `table.sortKey`: the same rows must always give the same bytes.
   */
  readonly copy: (connection: DuckDBConnection, targets: ReadonlyArray<PartitionTarget>) => Promise<void>
}

const HOUR_MS = 3_600_000

/** Writes one micro-batch's rows of `table`; see the module comment. */
export const writeBatchFiles = Effect.fn("ParquetFileWriter.write")(function* (
  duck: DuckDbClientShape,
  dataDir: string,
  table: LakeTable,
  batch: BatchId,
  staged: StagedBatch
) {
  const started = yield* Clock.currentTimeMillis
  // Partitions are whole hours (or days): one partitionOf call per hour present, not per row.
  const byHour = new Map<number, string>()
  const rowsOf = new Map<string, Array<number>>()
  const { times } = staged
  for (let i = 0; i < times.length; i++) {
    const timeMs = times[i] ?? Number.NaN
    if (!Number.isFinite(timeMs)) {
      return yield* new LakeWriteError({ message: `${table.name}: a row has no valid ${table.timeColumn}` })
    }
    const hour = Math.floor(timeMs / HOUR_MS)
    let partition = byHour.get(hour)
    if (partition === undefined) {
      partition = partitionOf(table, timeMs)
      byHour.set(hour, partition)
    }
    let rows = rowsOf.get(partition)
    if (rows === undefined) {
      rows = []
      rowsOf.set(partition, rows)
    }
    rows.push(i)
  }

  const name = partFileName(batch.topic, batch.partition, batch.firstOffset, batch.lastOffset)
  const targets: Array<PartitionTarget> = []
  for (const [partition, rows] of [...rowsOf].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const state = yield* readPartition(table, dataDir, partition)
    // A re-run of a batch whose file a compaction already merged: its rows are live in the merged file.
    if (isCompacted(state, name)) continue
    yield* ensureDir(state.dir)
    targets.push({ partition, dir: state.dir, temp: path.join(state.dir, tempName(name)), rows })
  }
  if (targets.length === 0) return []

  const stageAndCopy = duck.withConnection(`write ${table.name} ${name}`, (connection) =>
    staged.copy(connection, targets)
  )

  const publish = Effect.forEach(targets, (target) =>
    Effect.gen(function* () {
      const final = path.join(target.dir, name)
      yield* fsyncFile(target.temp)
      yield* renameDurable(target.temp, final)
      const stat = yield* statIfExists(final)
      return {
        path: final,
        partition: target.partition,
        rows: target.rows.length,
        bytes: stat?.bytes ?? 0
      } satisfies WrittenFile
    })
  )

  const written = yield* Effect.andThen(stageAndCopy, publish).pipe(
    // A temporary left by a failed call is garbage; the next attempt writes under a new temporary name.
    Effect.onError(() => Effect.forEach(targets, (t) => removeQuietly(t.temp), { discard: true }))
  )
  // A compaction that committed between the check above and the rename already holds these rows.
  for (const file of written) {
    const state = yield* readPartition(table, dataDir, file.partition)
    if (isReplaced(state, name)) yield* removeFilesDurable(state.dir, [name])
  }
  const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
  yield* recordWrite(
    table.name,
    written.length,
    written.reduce((n, f) => n + f.bytes, 0),
    written.reduce((n, f) => n + f.rows, 0),
    seconds
  )
  yield* Effect.logDebug(`lake: wrote ${written.length} ${table.name} file(s) for ${name}`)
  return written
})
