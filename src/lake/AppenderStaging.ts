/**
 * Staging through DuckDB appenders, for tables whose rows the caller turns into cells (sessions: few rows
 * per batch). Timestamps are staged as epoch-ms DOUBLEs (no value object per cell); rows are grouped by
 * `table.stagingGroupColumn` and each group staged with only the columns its rows use, then one
 * `COPY … ORDER BY sortKey` per target. One appender call per cell: fine for small batches, slow for
 * events (see EventJsonStaging.ts).
 */
import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api"
import { sqlIdent, sqlString } from "../sql/SqlText.ts"
import type { Cell, LakeColumnType, LakeTable } from "./LakeTable.ts"
import type { PartitionTarget, StagedBatch } from "./ParquetFileWriter.ts"

export interface StagedRow {
  readonly timeMs: number
  readonly cells: ReadonlyArray<Cell>
}

type CellWriter = (appender: DuckDBAppender, cell: Cell) => void

const mismatch = (type: LakeColumnType, cell: Cell): Error =>
  new Error(`a ${type} column cannot hold ${typeof cell} ${String(cell)}`)

const cellWriter = (type: LakeColumnType): CellWriter => {
  switch (type) {
    case "VARCHAR":
    case "JSON":
      return (a, cell) => {
        if (typeof cell !== "string") throw mismatch(type, cell)
        a.appendVarchar(cell)
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
 * Rows grouped by `table.stagingGroupColumn`, each group staged with only the columns its rows use: the
 * other groups' columns would cost one appender call per row each.
 */
const stagingGroups = (
  table: LakeTable,
  rows: ReadonlyArray<StagedRow>,
  partitions: ReadonlyArray<string | undefined>
): ReadonlyArray<StagingGroup> => {
  const by =
    table.stagingGroupColumn === undefined ? -1 : table.columns.findIndex((c) => c.name === table.stagingGroupColumn)
  const groups = new Map<Cell, { readonly used: Array<boolean>; readonly rows: Array<number> }>()
  rows.forEach((row, i) => {
    if (partitions[i] === undefined) return
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

/** Rows as cells, staged with appenders (see the module comment). */
export const appenderStaging = (table: LakeTable, rows: ReadonlyArray<StagedRow>): StagedBatch => ({
  times: rows.map((row) => row.timeMs),
  copy: async (connection: DuckDBConnection, targets: ReadonlyArray<PartitionTarget>) => {
    const partitions: Array<string | undefined> = rows.map(() => undefined)
    for (const target of targets) for (const i of target.rows) partitions[i] = target.partition
    const writers = table.columns.map((c) => cellWriter(c.duckdbType))
    const groups = stagingGroups(table, rows, partitions)
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
  }
})
