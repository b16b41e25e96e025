/**
 * Per-partition statistics of the live lake, from Parquet footers only (`parquet_file_metadata` for rows
 * and sizes, `parquet_metadata` row-group statistics for the time range): no data page is read.
 */
import * as path from "node:path"
import { Context, Effect, Layer } from "effect"
import { Settings } from "../domain/Settings.ts"
import { sqlString } from "../sql/SqlText.ts"
import { LakeEngine, queryRows } from "./LakeEngine.ts"
import { tableRoot } from "./LakeLayout.ts"
import { type LakeReadError, LakeReader } from "./LakeReader.ts"
import { type LakeTable, lakeTables } from "./LakeTable.ts"

export interface PartitionStats {
  readonly table: LakeTable["name"]
  readonly partition: string
  readonly files: number
  readonly rows: number
  readonly bytes: number
  /** Earliest and latest value of the table's time column (epoch ms), `null` when unknown. */
  readonly minTimeMs: number | null
  readonly maxTimeMs: number | null
}

const timeMs = (value: unknown): number | null => (value instanceof Date ? value.getTime() : null)

export class LakeStats extends Context.Service<
  LakeStats,
  { readonly partitions: Effect.Effect<ReadonlyArray<PartitionStats>, LakeReadError> }
>()("launchpad/lake/LakeStats") {
  static readonly layer = Layer.effect(
    LakeStats,
    Effect.gen(function* () {
      const duck = yield* LakeEngine
      const reader = yield* LakeReader
      const { dataDir } = yield* Settings

      const tableStats = Effect.fnUntraced(function* (table: LakeTable) {
        const rows = yield* reader.withFiles(table, (files) => {
          if (files.length === 0) return Effect.succeed([])
          const list = `[${files.map(sqlString).join(", ")}]`
          return queryRows(
            duck,
            `WITH f AS (SELECT file_name, num_rows, file_size_bytes FROM parquet_file_metadata(${list})), ` +
              `t AS (SELECT file_name, min(stats_min_value::TIMESTAMPTZ) AS min_time, ` +
              `max(stats_max_value::TIMESTAMPTZ) AS max_time FROM parquet_metadata(${list}) ` +
              `WHERE path_in_schema = ${sqlString(table.timeColumn)} GROUP BY file_name) ` +
              `SELECT f.file_name, f.num_rows::BIGINT AS num_rows, f.file_size_bytes::BIGINT AS bytes, t.min_time, t.max_time ` +
              `FROM f LEFT JOIN t USING (file_name)`
          )
        })
        const root = tableRoot(dataDir, table)
        const byPartition = new Map<string, PartitionStats>()
        for (const row of rows) {
          const partition = path.relative(root, path.dirname(String(row.file_name)))
          const seen = byPartition.get(partition)
          const min = timeMs(row.min_time)
          const max = timeMs(row.max_time)
          const pick = (a: number | null, b: number | null, f: (x: number, y: number) => number) =>
            a === null ? b : b === null ? a : f(a, b)
          byPartition.set(partition, {
            table: table.name,
            partition,
            files: (seen?.files ?? 0) + 1,
            rows: (seen?.rows ?? 0) + Number(row.num_rows ?? 0),
            bytes: (seen?.bytes ?? 0) + Number(row.bytes ?? 0),
            minTimeMs: pick(seen?.minTimeMs ?? null, min, Math.min),
            maxTimeMs: pick(seen?.maxTimeMs ?? null, max, Math.max)
          })
        }
        return [...byPartition.values()].sort((a, b) => a.partition.localeCompare(b.partition))
      })

      const partitions = Effect.map(
        Effect.forEach(lakeTables, tableStats),
        (tables): ReadonlyArray<PartitionStats> => tables.flat()
      ).pipe(Effect.withSpan("LakeStats.partitions"))

      return LakeStats.of({ partitions })
    })
  )
}
