/**
 * The exactly-once file protocol both lake writers share: rows of one micro-batch of one Kafka partition
 * go through DuckDB appenders into staging tables (timestamps staged as epoch-ms DOUBLEs: no value object
 * per cell), then one `COPY … TO` per time partition, in a total order, writes a temporary file that is
 * fsynced and renamed to the batch's deterministic name (LakeLayout.ts, rule 1).
 */
import * as path from "node:path"
import type { DuckDBAppender } from "@duckdb/node-api"
import { Clock, Effect, Predicate, Schema } from "effect"
import { type DuckDbShape, sqlIdent, sqlString } from "./DuckDb.ts"
import { ensureDir, fsyncFile, removeFilesDurable, removeQuietly, renameDurable, statIfExists } from "./LakeFs.ts"
import { partFileName, partitionOf, tempName } from "./LakeLayout.ts"
import { recordWrite } from "./LakeMetrics.ts"
import type { Cell, LakeColumnType, LakeTable } from "./LakeTable.ts"
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

export interface StagedRow {
  readonly timeMs: number
  readonly cells: ReadonlyArray<Cell>
}

const wellFormed = (value: unknown): unknown => {
  if (typeof value === "string") return value.toWellFormed()
  if (Array.isArray(value)) return value.map(wellFormed)
  if (Predicate.isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toWellFormed(), wellFormed(v)]))
  }
  return value
}

/**
 * JSON.stringify escapes a lone surrogate as `\udXXX`; DuckDB stores that but its JSON reader rejects it,
 * which would make the whole file unreadable. Such strings become U+FFFD, as UTF-8 VARCHARs do.
 */
const wellFormedJson = (text: string): string => JSON.stringify(wellFormed(JSON.parse(text)))

type CellWriter = (appender: DuckDBAppender, cell: Cell) => void

const mismatch = (type: LakeColumnType, cell: Cell): Error =>
  new Error(`a ${type} column cannot hold ${typeof cell} ${String(cell)}`)

const cellWriter = (type: LakeColumnType): CellWriter => {
  switch (type) {
    case "VARCHAR":
      return (a, cell) => {
        if (typeof cell !== "string") throw mismatch(type, cell)
        a.appendVarchar(cell)
      }
    case "JSON":
      return (a, cell) => {
        if (typeof cell !== "string") throw mismatch(type, cell)
        a.appendVarchar(cell.includes("\\ud") ? wellFormedJson(cell) : cell)
      }
    case "INTEGER":
      return (a, cell) => {
        if (typeof cell !== "number") throw mismatch(type, cell)
        a.appendInteger(cell)
      }
    case "BIGINT":
      return (a, cell) => {
        if (typeof cell !== "bigint" && typeof cell !== "number") throw mismatch(type, cell)
        a.appendBigInt(BigInt(cell))
      }
    case "DOUBLE":
      return (a, cell) => {
        if (typeof cell !== "number") throw mismatch(type, cell)
        a.appendDouble(cell)
      }
    case "BOOLEAN":
      return (a, cell) => {
        if (typeof cell !== "boolean") throw mismatch(type, cell)
        a.appendBoolean(cell)
      }
    case "TIMESTAMPTZ":
      // Staged as DOUBLE epoch milliseconds (exact below 2^53): no value object per cell.
      return (a, cell) => {
        if (typeof cell !== "number") throw mismatch(type, cell)
        a.appendDouble(cell)
      }
  }
}

const STAGING = "lake_staging"
const PARTITION_COLUMN = "__lake_partition"

const stagingType = (type: LakeColumnType): string => (type === "TIMESTAMPTZ" ? "DOUBLE" : type)

/** The session time zone is UTC (set below), so the TIMESTAMP → TIMESTAMPTZ cast keeps the instant. */
const fromEpochMs = (name: string): string =>
  `epoch_ms(CAST(${sqlIdent(name)} AS BIGINT))::TIMESTAMPTZ AS ${sqlIdent(name)}`

interface StagingGroup {
  /** Indices of the columns some row of the group has a value in. */
  readonly columns: ReadonlyArray<number>
  readonly rows: ReadonlyArray<number>
}

/**
 * Rows grouped by `table.stagingGroupColumn` (events: by type), each group staged with only the columns
 * its rows use: the other event types' property columns would cost one appender call per row each.
 */
const stagingGroups = (
  table: LakeTable,
  rows: ReadonlyArray<StagedRow>,
  include: (row: number) => boolean
): ReadonlyArray<StagingGroup> => {
  const by =
    table.stagingGroupColumn === undefined ? -1 : table.columns.findIndex((c) => c.name === table.stagingGroupColumn)
  const groups = new Map<Cell, { readonly used: Array<boolean>; readonly rows: Array<number> }>()
  rows.forEach((row, i) => {
    if (!include(i)) return
    const key = by < 0 ? null : (row.cells[by] ?? null)
    let group = groups.get(key)
    if (group === undefined) {
      group = { used: table.columns.map(() => false), rows: [] }
      groups.set(key, group)
    }
    group.rows.push(i)
    row.cells.forEach((cell, c) => {
      if (cell !== null) group.used[c] = true
    })
  })
  return [...groups.values()].map((group) => ({
    columns: group.used.flatMap((used, c) => (used ? [c] : [])),
    rows: group.rows
  }))
}

const cellWriters = (table: LakeTable): ReadonlyArray<CellWriter> => table.columns.map((c) => cellWriter(c.duckdbType))

/** Writes one micro-batch's rows of `table`; see the module comment. */
export const writeBatchFiles = Effect.fn("ParquetFileWriter.write")(function* (
  duck: DuckDbShape,
  dataDir: string,
  table: LakeTable,
  batch: BatchId,
  rows: ReadonlyArray<StagedRow>
) {
  const started = yield* Clock.currentTimeMillis
  const counts = new Map<string, number>()
  const partitions: Array<string> = []
  for (const row of rows) {
    if (!Number.isFinite(row.timeMs)) {
      return yield* new LakeWriteError({ message: `${table.name}: a row has no valid ${table.timeColumn}` })
    }
    const partition = partitionOf(table, row.timeMs)
    partitions.push(partition)
    counts.set(partition, (counts.get(partition) ?? 0) + 1)
  }

  const name = partFileName(batch.topic, batch.partition, batch.firstOffset, batch.lastOffset)
  const targets: Array<{ readonly partition: string; readonly dir: string; readonly temp: string }> = []
  for (const partition of [...counts.keys()].sort()) {
    const state = yield* readPartition(table, dataDir, partition)
    // A re-run of a batch whose file a compaction already merged: its rows are live in the merged file.
    if (isCompacted(state, name)) continue
    yield* ensureDir(state.dir)
    targets.push({ partition, dir: state.dir, temp: path.join(state.dir, tempName(name)) })
  }
  if (targets.length === 0) return []

  const wanted = new Set(targets.map((t) => t.partition))
  const writers = cellWriters(table)
  const groups = stagingGroups(table, rows, (i) => {
    const partition = partitions[i]
    return partition !== undefined && wanted.has(partition)
  })
  const staged = new Set(groups.flatMap((g) => g.columns))
  const select = table.columns
    .map((c, i) =>
      !staged.has(i)
        ? `CAST(NULL AS ${c.duckdbType}) AS ${sqlIdent(c.name)}`
        : c.duckdbType === "TIMESTAMPTZ"
          ? fromEpochMs(c.name)
          : sqlIdent(c.name)
    )
    .join(", ")
  const source =
    groups.length === 1
      ? `${STAGING}0`
      : `(${groups.map((_, g) => `SELECT * FROM ${STAGING}${g}`).join(" UNION ALL BY NAME ")})`
  const order = table.sortKey.map(sqlIdent).join(", ")

  const stageAndCopy = duck.use(`write ${table.name} ${name}`, async (connection) => {
    await connection.run("SET TimeZone = 'UTC'")
    for (const [g, group] of groups.entries()) {
      const ddl = group.columns.map((c) => {
        const column = table.columns[c]
        return column === undefined ? "" : `${sqlIdent(column.name)} ${stagingType(column.duckdbType)}, `
      })
      await connection.run(`CREATE OR REPLACE TEMP TABLE ${STAGING}${g} (${ddl.join("")}${PARTITION_COLUMN} VARCHAR)`)
      const appender = await connection.createAppender(`${STAGING}${g}`)
      try {
        for (const i of group.rows) {
          const cells = rows[i]?.cells ?? []
          for (const c of group.columns) {
            const cell = cells[c] ?? null
            const write = writers[c]
            if (cell === null || write === undefined) appender.appendNull()
            else write(appender, cell)
          }
          appender.appendVarchar(partitions[i] ?? "")
          appender.endRow()
        }
        appender.flushSync()
      } finally {
        appender.closeSync()
      }
    }
    for (const target of targets) {
      await connection.run(
        `COPY (SELECT ${select} FROM ${source} WHERE ${PARTITION_COLUMN} = ${sqlString(target.partition)} ORDER BY ${order}) ` +
          `TO ${sqlString(target.temp)} (FORMAT PARQUET, COMPRESSION ZSTD)`
      )
    }
    for (const g of groups.keys()) await connection.run(`DROP TABLE ${STAGING}${g}`)
  })

  const publish = Effect.forEach(targets, (target) =>
    Effect.gen(function* () {
      const final = path.join(target.dir, name)
      yield* fsyncFile(target.temp)
      yield* renameDurable(target.temp, final)
      const stat = yield* statIfExists(final)
      return {
        path: final,
        partition: target.partition,
        rows: counts.get(target.partition) ?? 0,
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
