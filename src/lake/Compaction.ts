/**
 * Merges the live files of each closed partition (an events hour, a sessions day) into one file sorted by
 * Kafka position, swapped in by the protocol of LakeLayout.ts (rule 2). Every run first repairs what a
 * crashed run left: a committed compaction is rolled forward (its inputs deleted), an uncommitted one
 * rolled back (its record and temporary deleted). Re-running on a compacted lake changes nothing.
 */
import * as path from "node:path"
import { Clock, Context, Effect, Layer, Metric, Schema } from "effect"
import type { SqlError } from "effect/sql"
import { Settings } from "../domain/Settings.ts"
import {
  type FileIoError,
  fsyncFile,
  removeFilesDurable,
  removeQuietly,
  renameDurable,
  statIfExists,
  writeFileAtomic
} from "../platform/DurableFiles.ts"
import type { DuckDbClientShape } from "../sql/DuckDbClient.ts"
import { sqlIdent, sqlString } from "../sql/SqlText.ts"
import { LakeEngine, queryRows, runStatement } from "./LakeEngine.ts"
import {
  compactedFileName,
  compactionHash,
  compactionRecordName,
  isCompactionTemp,
  parsePartition,
  tempName
} from "./LakeLayout.ts"
import { filesCompacted } from "./LakeMetrics.ts"
import { type LakeTable, lakeTables } from "./LakeTable.ts"
import { type LakeBusy, type LakeLockError, withMaintenanceLock } from "./MaintenanceLock.ts"
import {
  CompactionRecordJson,
  type LakeManifestError,
  listPartitions,
  type PartitionState,
  readPartition
} from "./Manifest.ts"

export class CompactionError extends Schema.TaggedError<CompactionError>()("CompactionError", {
  message: Schema.String
}) {}

export type CompactionFailure =
  | SqlError.SqlError
  | FileIoError
  | LakeManifestError
  | LakeBusy
  | LakeLockError
  | CompactionError

export interface CompactedPartition {
  readonly table: LakeTable["name"]
  readonly partition: string
  readonly inputs: number
  readonly rows: number
  readonly bytes: number
  readonly output: string
}

export interface CompactionReport {
  readonly compacted: ReadonlyArray<CompactedPartition>
  /** Crashed compactions repaired: rolled forward or back. */
  readonly repaired: number
  /** Temporary files removed (of a crashed compaction, or of a writer older than `STALE_TEMP_MS`). */
  readonly tempsRemoved: number
}

/** A writer's temporary older than this belongs to a crashed writer (a live one renames it within seconds). */
export const STALE_TEMP_MS = 3_600_000

interface Repair {
  readonly repaired: number
  readonly tempsRemoved: number
}

/** Rolls crashed compactions forward or back and removes their temporaries (the lock is held). */
const repair = Effect.fnUntraced(function* (state: PartitionState, nowMs: number) {
  let repaired = 0
  const present = new Set(state.dataFiles)
  for (const { name, record } of state.records) {
    if (state.committed.has(name)) {
      const leftovers = record.inputs.filter((input) => present.has(input))
      if (leftovers.length > 0) {
        yield* removeFilesDurable(state.dir, leftovers)
        repaired += 1
      }
    } else {
      yield* removeFilesDurable(state.dir, [name])
      repaired += 1
    }
  }
  const stale: Array<string> = []
  for (const temp of state.temps) {
    if (isCompactionTemp(temp)) {
      stale.push(temp)
      continue
    }
    const stat = yield* statIfExists(path.join(state.dir, temp))
    if (stat !== undefined && nowMs - stat.mtimeMs > STALE_TEMP_MS) stale.push(temp)
  }
  yield* removeFilesDurable(state.dir, stale)
  return { repaired, tempsRemoved: stale.length } satisfies Repair
})

const fileRows = (duck: DuckDbClientShape, files: ReadonlyArray<string>) =>
  Effect.map(
    queryRows(
      duck,
      `SELECT coalesce(sum(num_rows), 0)::BIGINT AS n FROM parquet_file_metadata([${files.map(sqlString).join(", ")}])`
    ),
    (rows) => Number(rows[0]?.n ?? 0)
  )

/** Merges a partition's live files into one and swaps it in; the lock is held. */
const compactPartition = Effect.fnUntraced(function* (
  duck: DuckDbClientShape,
  table: LakeTable,
  state: PartitionState
) {
  const inputs = state.live
  const hash = compactionHash(inputs)
  const output = compactedFileName(hash)
  const temp = path.join(state.dir, tempName(output))
  const inputPaths = inputs.map((name) => path.join(state.dir, name))
  const order = table.sortKey.map(sqlIdent).join(", ")

  const merge = Effect.gen(function* () {
    yield* runStatement(
      duck,
      `COPY (SELECT * FROM read_parquet([${inputPaths.map(sqlString).join(", ")}], hive_partitioning = false, ` +
        `union_by_name = true) ORDER BY ${order}) TO ${sqlString(temp)} (FORMAT PARQUET, COMPRESSION ZSTD)`
    )
    const expected = yield* fileRows(duck, inputPaths)
    const rows = yield* fileRows(duck, [temp])
    if (rows !== expected) {
      return yield* new CompactionError({
        message: `${state.relative}: merged file has ${rows} rows, inputs ${expected}`
      })
    }
    yield* fsyncFile(temp)
    return rows
  }).pipe(Effect.onError(() => removeQuietly(temp)))
  const rows = yield* merge

  const record = Schema.encodeSync(CompactionRecordJson)({
    output,
    inputs,
    rows,
    createdAtMs: yield* Clock.currentTimeMillis
  })
  const recordName = compactionRecordName(hash)
  yield* writeFileAtomic(path.join(state.dir, recordName), path.join(state.dir, tempName(recordName)), record)
  // The commit: from here on readers see the merged file instead of the inputs.
  yield* renameDurable(temp, path.join(state.dir, output))
  yield* removeFilesDurable(state.dir, inputs)
  yield* Metric.update(Metric.withAttributes(filesCompacted, { table: table.name }), inputs.length)
  const stat = yield* statIfExists(path.join(state.dir, output))
  return {
    table: table.name,
    partition: state.relative,
    inputs: inputs.length,
    rows,
    bytes: stat?.bytes ?? 0,
    output
  } satisfies CompactedPartition
})

export interface CompactionShape {
  /** Repairs, then compacts every closed partition with more than one live file, of both tables. */
  readonly run: Effect.Effect<CompactionReport, CompactionFailure>
}

export class Compaction extends Context.Service<Compaction, CompactionShape>()("launchpad/lake/Compaction") {
  static readonly layer = Layer.effect(
    Compaction,
    Effect.gen(function* () {
      const duck = yield* LakeEngine
      const { dataDir } = yield* Settings

      const runTable = Effect.fnUntraced(function* (table: LakeTable, nowMs: number) {
        const compacted: Array<CompactedPartition> = []
        let repaired = 0
        let tempsRemoved = 0
        for (const partition of yield* listPartitions(table, dataDir)) {
          const range = parsePartition(table, partition)
          const before = yield* readPartition(table, dataDir, partition)
          const fixed = yield* repair(before, nowMs)
          repaired += fixed.repaired
          tempsRemoved += fixed.tempsRemoved
          if (range === undefined || range.endMs + table.closedAfterMs > nowMs) continue
          const state =
            fixed.repaired + fixed.tempsRemoved > 0 ? yield* readPartition(table, dataDir, partition) : before
          if (state.live.length > 1) compacted.push(yield* compactPartition(duck, table, state))
        }
        return { compacted, repaired, tempsRemoved }
      })

      const run = Effect.fn("Compaction.run")(function* () {
        const nowMs = yield* Clock.currentTimeMillis
        const reports = yield* Effect.forEach(lakeTables, (table) => runTable(table, nowMs))
        const report: CompactionReport = {
          compacted: reports.flatMap((r) => r.compacted),
          repaired: reports.reduce((n, r) => n + r.repaired, 0),
          tempsRemoved: reports.reduce((n, r) => n + r.tempsRemoved, 0)
        }
        yield* Effect.logInfo(
          `lake compaction: ${report.compacted.length} partition(s) compacted, ${report.repaired} repaired`
        )
        return report
      })

      return Compaction.of({ run: withMaintenanceLock(dataDir, run()) })
    })
  )
}
