/**
 * Reads the lake through its manifest (LakeLayout.ts): the live files of every partition, and DuckDB
 * queries over them that are atomic with respect to writes, compaction and retention. The SQL models'
 * `stg_events_deduplicated` reads `relationSql(eventsTable, yield* reader.eventFiles)`.
 */
import * as path from "node:path"
import { Context, Effect, Layer } from "effect"
import type { SqlError } from "effect/sql"
import { Settings } from "../domain/Settings.ts"
import type { FileIoError } from "../platform/DurableFiles.ts"
import { sqlIdent, sqlString } from "../sql/SqlText.ts"
import { LakeEngine, queryRows, type Row } from "./LakeEngine.ts"
import { eventsTable, type LakeTable, sessionsTable } from "./LakeTable.ts"
import { type LakeManifestError, listPartitions, readPartition } from "./Manifest.ts"

export type LakeReadError = FileIoError | LakeManifestError | SqlError.SqlError

/** The hive partition columns of a table with their SQL types (`event_hour=05` reads as 5). */
export const partitionColumns = (table: LakeTable): ReadonlyArray<{ readonly name: string; readonly type: string }> =>
  table.hourPartition === undefined
    ? [{ name: table.datePartition, type: "DATE" }]
    : [
        { name: table.datePartition, type: "DATE" },
        { name: table.hourPartition, type: "INTEGER" }
      ]

/**
 * A table expression over the given files: hive partition columns typed, files aligned by column name
 * (a column missing from older files reads as NULL). With no files, an empty relation of the same shape.
 */
export const relationSql = (table: LakeTable, files: ReadonlyArray<string>): string => {
  const partitions = partitionColumns(table)
  if (files.length === 0) {
    const cells = [...table.columns.map((c) => ({ name: c.name, type: c.duckdbType })), ...partitions]
      .map((c) => `CAST(NULL AS ${c.type}) AS ${sqlIdent(c.name)}`)
      .join(", ")
    return `(SELECT ${cells} WHERE false)`
  }
  const hiveTypes = partitions.map((p) => `${sqlString(p.name)}: ${p.type}`).join(", ")
  return (
    `read_parquet([${files.map(sqlString).join(", ")}], hive_partitioning = true, union_by_name = true, ` +
    `hive_types = {${hiveTypes}})`
  )
}

/** DuckDB's messages for a listed file that is gone by the time it is opened. */
const VANISHED = /No such file or directory|No files found|Cannot open file/i

const REPLANS = 20

export interface LakeReaderShape {
  /** Live files of a table (absolute paths, sorted by partition then name). */
  readonly files: (table: LakeTable) => Effect.Effect<ReadonlyArray<string>, FileIoError | LakeManifestError>
  readonly eventFiles: Effect.Effect<ReadonlyArray<string>, FileIoError | LakeManifestError>
  readonly sessionFiles: Effect.Effect<ReadonlyArray<string>, FileIoError | LakeManifestError>
  /**
   * Runs DuckDB work over the table's live files; if compaction or retention removed a listed file
   * before DuckDB opened it, lists again and re-runs.
   */
  readonly withFiles: <A>(
    table: LakeTable,
    f: (files: ReadonlyArray<string>) => Effect.Effect<A, SqlError.SqlError>
  ) => Effect.Effect<A, LakeReadError>
  /** Runs `sql(relation)` where `relation` reads the table's live files (`relationSql`), as `withFiles`. */
  readonly query: (
    table: LakeTable,
    sql: (relation: string) => string
  ) => Effect.Effect<ReadonlyArray<Row>, LakeReadError>
}

export class LakeReader extends Context.Service<LakeReader, LakeReaderShape>()("launchpad/lake/LakeReader") {
  static readonly layer = Layer.effect(
    LakeReader,
    Effect.gen(function* () {
      const duck = yield* LakeEngine
      const { dataDir } = yield* Settings

      const files = Effect.fn("LakeReader.files")(function* (table: LakeTable) {
        const out: Array<string> = []
        for (const partition of yield* listPartitions(table, dataDir)) {
          const state = yield* readPartition(table, dataDir, partition)
          for (const name of state.live) out.push(path.join(state.dir, name))
        }
        return out
      })

      const withFiles = Effect.fn("LakeReader.withFiles")(function* <A>(
        table: LakeTable,
        f: (files: ReadonlyArray<string>) => Effect.Effect<A, SqlError.SqlError>
      ) {
        for (let attempt = 1; ; attempt++) {
          const result = yield* Effect.result(f(yield* files(table)))
          if (result._tag === "Success") return result.success
          if (attempt >= REPLANS || !VANISHED.test(result.failure.message)) return yield* result.failure
        }
      })

      const query = (table: LakeTable, sql: (relation: string) => string) =>
        withFiles(table, (live) => queryRows(duck, sql(relationSql(table, live))))

      return LakeReader.of({
        files,
        eventFiles: files(eventsTable),
        sessionFiles: files(sessionsTable),
        withFiles,
        query
      })
    })
  )
}
