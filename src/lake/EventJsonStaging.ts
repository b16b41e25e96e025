/**
 * How event batches reach DuckDB: as newline-delimited JSON that DuckDB's JSON reader (C++, parallel)
 * parses and flattens, instead of one appender call per cell (71+ per row, each an N-API call).
 *
 * Each row becomes one line `{"p":<kafka_partition>,"o":<kafka_offset>,"l":<is_late>,"t":<processed_at
 * ms>,"e":<JSON.stringify(event)>}`: one native JSON.stringify per event (none when the row carries
 * `rawJson`, the event's JSON text as it arrived, which is copied: RawJson.ts) and no per-cell work in JS
 * (`toRow` and its four timestamp parses per row are gone; only the event time that places a row in a
 * partition is parsed in JS). The lines of one target partition go, in Kafka order, into staging files
 * of ROWS_PER_FILE lines next to the target, named as writer temporaries (LakeLayout.ts: a crashed
 * writer's leftovers are swept like its other temporaries) and deleted after the COPY. One
 * `COPY (SELECT … FROM read_json(files, columns = {…})) TO …` per target reads them with explicit types:
 * the nested STRUCT type and the projection of the flat columns are derived from the `source` paths and
 * types of `columns` (Columns.ts), never listed here. A JSON column that other columns are nested in
 * (`properties`) is read as JSON and its columns taken from one `json_transform` of it. Timestamps are
 * read as text and cast by DuckDB, truncated to milliseconds as `epochMillis` does.
 *
 * Determinism: the COPY has no ORDER BY (it cost ~30% of DuckDB's time). Rows are written to the files
 * in (kafka_partition, kafka_offset) order (sorted here if the batch was not), and DuckDB preserves
 * insertion order through a single-table read and COPY (`preserve_insertion_order`, on by default and
 * never turned off in this code base), so the same batch gives the same bytes (LakeLayout.ts, rule 1).
 *
 * Same cells as the appender, checked value by value on arbitrary events and byte for byte on most
 * files, with two differences: JSON columns hold DuckDB's minified re-serialization of the same JSON
 * value (`1e21` where JSON.stringify wrote `1e+21`; otherwise the same text), and a value of the wrong
 * JSON type for a typed column fails the write instead of becoming NULL (the schemas rule that out;
 * Columns.ts merges conflicting property types). Lone surrogates become U+FFFD, as before.
 *
 * Measured with `bench/lake.ts` (1M events in batches of 50k, 2 shared cores, load average 3.5–9):
 * the appender did 12–22k events/s at ~1 GB peak RSS, this 37–118k events/s at 0.65–0.85 GB. Per event
 * it costs ~15 µs of CPU (≈ 4 µs JSON.stringify, ≈ 6 µs JSON parsing and transform, ≈ 4 µs Parquet with
 * ZSTD) against ~45 µs for the appender. Tried and dropped: staging into a temp table chunk by chunk to
 * overlap JS with DuckDB (more CPU, slower on the loaded box); a separate JSON text of `properties` to
 * keep JSON.stringify's exact text (more JS per event); allocator_flush_threshold (no clear RSS gain).
 */
import { open, rm } from "node:fs/promises"
import * as path from "node:path"
import type { DuckDBConnection } from "@duckdb/node-api"
import { type Column, columns } from "../domain/Columns.ts"
import { epochMillis } from "../domain/Timestamp.ts"
import { sqlIdent, sqlString } from "../sql/SqlText.ts"
import { tempName } from "./LakeLayout.ts"
import { EVENT_LAKE_COLUMNS, EVENT_TIME_COLUMN, type EventLakeRow, eventsTable } from "./LakeTable.ts"
import type { PartitionTarget, StagedBatch } from "./ParquetFileWriter.ts"

/** The writer's columns: their key in a line, how DuckDB reads it and how it becomes the column. */
const WRITER_FIELDS: Readonly<
  Record<string, { readonly key: string; readonly read: string; readonly select: (ref: string) => string }>
> = {
  kafka_partition: { key: "p", read: "INTEGER", select: (ref) => ref },
  kafka_offset: { key: "o", read: "BIGINT", select: (ref) => ref },
  is_late: { key: "l", read: "BOOLEAN", select: (ref) => ref },
  processed_at: { key: "t", read: "BIGINT", select: (ref) => `make_timestamptz(${ref} * 1000)` }
}
const EVENT_KEY = "e"
const ROWS = "__lake_rows"

/** A node of the tree the column `source` paths make inside an event. */
interface PathNode {
  column?: Column
  readonly children: Map<string, PathNode>
}

const pathTree = (cols: ReadonlyArray<Column>): PathNode => {
  const root: PathNode = { children: new Map() }
  for (const column of cols) {
    let node = root
    for (const key of column.source) {
      let child = node.children.get(key)
      if (child === undefined) {
        child = { children: new Map() }
        node.children.set(key, child)
      }
      node = child
    }
    node.column = column
  }
  return root
}

/** How a scalar column's value is read from JSON (timestamps as text, cast in the projection). */
const readType = (column: Column): string => (column.duckdbType === "TIMESTAMPTZ" ? "VARCHAR" : column.duckdbType)

/** The same instant `epochMillis` gives (it truncates fractions to milliseconds); the session zone is UTC. */
const timestampFrom = (text: string): string => `make_timestamptz(epoch_ms(CAST(${text} AS TIMESTAMPTZ)) * 1000)`

interface EventSql {
  /** The DuckDB type of the `e` key: a STRUCT of the paths the columns read. */
  readonly eventType: string
  /** `json_transform` expressions over JSON columns that have columns nested in them, with their aliases. */
  readonly transforms: ReadonlyArray<string>
  /** The projection of every column of the events table, in order. */
  readonly select: string
}

const deriveEventSql = (): EventSql => {
  const transforms: Array<string> = []
  const refs = new Map<Column, string>()

  /** The json_transform structure of a subtree (leaves: their read type). */
  const structure = (node: PathNode, ref: string): Record<string, unknown> =>
    Object.fromEntries(
      [...node.children].map(([key, child]) => {
        const childRef = `${ref}.${sqlIdent(key)}`
        if (child.column !== undefined && child.children.size > 0) {
          throw new Error(`lake: column ${child.column.name} has columns nested in it below a JSON column`)
        }
        if (child.column !== undefined) {
          refs.set(child.column, childRef)
          return [key, readType(child.column)]
        }
        return [key, structure(child, childRef)]
      })
    )

  /** The read_json type of a subtree; `ref` is the SQL that reaches it. */
  const typeOf = (node: PathNode, ref: string): string => {
    const column = node.column
    if (column !== undefined) {
      refs.set(column, ref)
      if (node.children.size === 0) return readType(column)
      if (column.duckdbType !== "JSON") {
        throw new Error(`lake: the ${column.duckdbType} column ${column.name} cannot have columns nested in it`)
      }
      const alias = `__lake_json${transforms.length}`
      transforms.push(`json_transform(${ref}, ${sqlString(JSON.stringify(structure(node, alias)))}) AS ${alias}`)
      return "JSON"
    }
    const fields = [...node.children].map(
      ([key, child]) => `${sqlIdent(key)} ${typeOf(child, `${ref}.${sqlIdent(key)}`)}`
    )
    return `STRUCT(${fields.join(", ")})`
  }

  const eventType = typeOf(pathTree(columns), EVENT_KEY)
  const select = eventsTable.columns.map((column, i) => {
    const domain = columns[i]
    if (domain !== undefined) {
      if (domain.name !== column.name) throw new Error(`lake: events column ${i} is ${column.name}, not ${domain.name}`)
      const ref = refs.get(domain)
      if (ref === undefined) throw new Error(`lake: no JSON path for column ${domain.name}`)
      const qualified = `${ROWS}.${ref}`
      return `${domain.duckdbType === "TIMESTAMPTZ" ? timestampFrom(qualified) : qualified} AS ${sqlIdent(column.name)}`
    }
    const field = WRITER_FIELDS[column.name]
    if (field === undefined) throw new Error(`lake: no line field for the writer column ${column.name}`)
    return `${field.select(`${ROWS}.${field.key}`)} AS ${sqlIdent(column.name)}`
  })
  return { eventType, transforms, select: select.join(", ") }
}

const EVENT_SQL = deriveEventSql()

const READ_COLUMNS = `{${[
  ...EVENT_LAKE_COLUMNS.map((c) => {
    const field = WRITER_FIELDS[c.name]
    return field === undefined ? "" : `${sqlString(field.key)}: ${sqlString(field.read)}, `
  }),
  `${sqlString(EVENT_KEY)}: ${sqlString(EVENT_SQL.eventType)}`
].join("")}}`

if (eventsTable.sortKey.join() !== "kafka_partition,kafka_offset") {
  throw new Error(`lake: EventJsonStaging orders rows by Kafka position, the events sort key is ${eventsTable.sortKey}`)
}

/** DuckDB's default (and minimum) `maximum_object_size`: longer lines need it raised. */
const DEFAULT_MAX_OBJECT_BYTES = 16 * 1024 * 1024
/** Rows per staging file: several files let DuckDB's threads parse one partition in parallel. */
const ROWS_PER_FILE = 8192
/**
 * The write buffer, sized by rows: a fixed 8 MiB per call made small micro-batches (steady traffic, a
 * write per partition every 100 ms) allocate hundreds of MB/s and spend their time in GC.
 */
const MAX_BUFFER_BYTES = 8 * 1024 * 1024
const BUFFER_BYTES_PER_ROW = 1024
const MIN_BUFFER_BYTES = 64 * 1024

const TIME_SOURCE = columns.find((c) => c.name === EVENT_TIME_COLUMN)?.source ?? []

const eventTime = (event: unknown): number => {
  let value = event
  for (const key of TIME_SOURCE) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return Number.NaN
    value = Reflect.get(value, key)
  }
  return typeof value === "string" ? epochMillis(value) : Number.NaN
}

const isInteger = (value: bigint | number): boolean => typeof value === "bigint" || Number.isSafeInteger(value)

/** The line's fields before the event: `{"p":…,"o":…,"l":…,"t":…,"e":`. */
const linePrefix = (row: EventLakeRow): string => {
  if (!Number.isSafeInteger(row.kafkaPartition) || !isInteger(row.kafkaOffset) || !Number.isFinite(row.processedAtMs)) {
    throw new Error(
      `invalid Kafka position or processing time: ${row.kafkaPartition}/${row.kafkaOffset} at ${row.processedAtMs}`
    )
  }
  // Rounded as the appender's DOUBLE → BIGINT cast did.
  return `{"p":${row.kafkaPartition},"o":${row.kafkaOffset},"l":${row.isLate === true},"t":${Math.round(row.processedAtMs)},"e":`
}

const LINE_END = "}\n"

/** Whether the rows are in Kafka position order already (a micro-batch normally is). */
const inOrder = (rows: ReadonlyArray<EventLakeRow>): boolean => {
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1]
    const b = rows[i]
    if (a === undefined || b === undefined) continue
    if (
      a.kafkaPartition > b.kafkaPartition ||
      (a.kafkaPartition === b.kafkaPartition && a.kafkaOffset > b.kafkaOffset)
    ) {
      return false
    }
  }
  return true
}

const byPosition =
  (rows: ReadonlyArray<EventLakeRow>) =>
  (i: number, j: number): number => {
    const a = rows[i]
    const b = rows[j]
    if (a === undefined || b === undefined) return 0
    if (a.kafkaPartition !== b.kafkaPartition) return a.kafkaPartition - b.kafkaPartition
    return a.kafkaOffset < b.kafkaOffset ? -1 : a.kafkaOffset > b.kafkaOffset ? 1 : 0
  }

/** Writes the rows' lines into staging files in `dir`, in order; returns the files and the longest line. */
const writeLines = async (
  rows: ReadonlyArray<EventLakeRow>,
  order: ReadonlyArray<number>,
  dir: string,
  finalName: string,
  files: Array<string>
): Promise<number> => {
  let buffer = Buffer.allocUnsafe(
    Math.min(MAX_BUFFER_BYTES, Math.max(MIN_BUFFER_BYTES, Math.min(order.length, ROWS_PER_FILE) * BUFFER_BYTES_PER_ROW))
  )
  let longest = 0
  for (let start = 0; start < order.length; start += ROWS_PER_FILE) {
    const file = path.join(dir, tempName(finalName))
    files.push(file)
    let used = 0
    const handle = await open(file, "w")
    try {
      const end = Math.min(order.length, start + ROWS_PER_FILE)
      for (let k = start; k < end; k++) {
        const row = rows[order[k] ?? -1]
        if (row === undefined) continue
        // The event's JSON as it arrived when that is usable (RawJson.ts), else serialised; written in
        // pieces, not concatenated (a copy of every event's text less).
        const prefix = linePrefix(row)
        const json = row.rawJson ?? JSON.stringify(row.event)
        // A UTF-16 code unit is at most 3 UTF-8 bytes.
        const worst = (prefix.length + json.length + LINE_END.length) * 3
        if (used + worst > buffer.length) {
          await handle.write(buffer, 0, used)
          used = 0
          if (worst > buffer.length) buffer = Buffer.allocUnsafe(worst)
        }
        const from = used
        used += buffer.write(prefix, used)
        used += buffer.write(json, used)
        used += buffer.write(LINE_END, used)
        if (used - from > longest) longest = used - from
      }
      if (used > 0) await handle.write(buffer, 0, used)
    } finally {
      await handle.close()
    }
  }
  return longest
}

const copyTarget = async (
  connection: DuckDBConnection,
  rows: ReadonlyArray<EventLakeRow>,
  target: PartitionTarget,
  sorted: boolean
): Promise<void> => {
  const order = sorted ? target.rows : [...target.rows].sort(byPosition(rows))
  const files: Array<string> = []
  try {
    const longest = await writeLines(rows, order, target.dir, path.basename(target.temp), files)
    const maxObjectSize = Math.max(DEFAULT_MAX_OBJECT_BYTES, longest + 1)
    const read =
      `read_json([${files.map(sqlString).join(", ")}], format = 'newline_delimited', ` +
      `maximum_object_size = ${maxObjectSize}, columns = ${READ_COLUMNS})`
    const source =
      EVENT_SQL.transforms.length === 0 ? read : `(SELECT *, ${EVENT_SQL.transforms.join(", ")} FROM ${read})`
    await connection.run(
      `COPY (SELECT ${EVENT_SQL.select} FROM ${source} AS ${ROWS}) TO ${sqlString(target.temp)} (FORMAT PARQUET, COMPRESSION ZSTD)`
    )
  } finally {
    await Promise.all(files.map((file) => rm(file, { force: true })))
  }
}

/** An event batch staged as NDJSON (see the module comment). */
export const eventJsonStaging = (rows: ReadonlyArray<EventLakeRow>): StagedBatch => ({
  times: rows.map((row) => (row.rawJson === undefined ? eventTime(row.event) : row.eventTimeMs)),
  copy: async (connection, targets) => {
    await connection.run("SET TimeZone = 'UTC'")
    const sorted = inOrder(rows)
    for (const target of targets) await copyTarget(connection, rows, target, sorted)
  }
})
