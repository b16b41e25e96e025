/**
 * The live KPI tables in the warehouse, fed by the `kpi_minute` records of `src/stream/KpiUpdate.ts`.
 *
 * - `kpi_minute_partition`: one row per (minute, events_raw partition), the latest `window` record
 *   for it. Upserts are idempotent (a re-sent record overwrites its row with the same values) and a
 *   closed row is final: an open record for it (a replay after a processor crash) never reopens it.
 * - `kpi_partition_progress`: per partition, the highest watermark any of its records carried
 *   (`window` or `progress`). A partition has closed minute m once that watermark ≥ m + 1 min, so a
 *   partition with no events in m, which never sends a window for it, still closes it through its
 *   `progress` records.
 * - `kpi_minute_sum`: the partitions of each minute summed with the stream's own merge (maps
 *   key-wise, histograms element-wise), recomputed for the minutes a batch touched, so reads never
 *   aggregate.
 * - `kpi_minute` (view): `kpi_minute_sum` plus `closed`, true once every partition
 *   `0 … partitions_total − 1` has closed the minute.
 * - `kpi_consumer_offsets`: the next kpi_minute offset to read, written in the same transaction as
 *   the rows, so the tables always reflect exactly a prefix of the topic; the sink resumes from here,
 *   not from the consumer group (a new or restored database file replays the topic).
 */
import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect, Schema } from "effect"
import { partitionKey, type TopicPartition } from "../../kafka/EventConsumer.ts"
import { KpiMeasures, type KpiUpdate, type KpiWindowUpdate } from "../../stream/KpiUpdate.ts"
import { mergeWindowMeasures, type WindowMeasures } from "../../stream/Measures.ts"
import { WINDOW_MS } from "../../stream/Windows.ts"
import { Warehouse } from "../warehouse/Warehouse.ts"

const COUNTS = "MAP(VARCHAR, BIGINT)"

/**
 * The measures as DuckDB types, keyed like `WindowMeasures` (also the shape `to_json` renders them
 * in). Every column list, struct and SET clause below is derived from it; a column is its key in
 * snake_case.
 */
const measuresType = {
  events: "BIGINT",
  eventsByType: COUNTS,
  distinctUsers: "BIGINT",
  sessionsStarted: "BIGINT",
  configuratorStarts: "BIGINT",
  configuratorCompletions: "BIGINT",
  funnelSteps: COUNTS,
  purchases: "BIGINT",
  revenueByCurrency: COUNTS,
  latencyBuckets: "BIGINT[]"
} as const satisfies Record<keyof WindowMeasures, string>

const measureKeys = Object.keys(measuresType) as Array<keyof typeof measuresType>
const columnOf = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
const measureColumnsDdl = measureKeys.map((key) => `${columnOf(key)} ${measuresType[key]} NOT NULL`).join(",\n    ")
const measureColumnList = measureKeys.map(columnOf).join(", ")
/** `r.measures.events, r.measures.eventsByType, …`: a decoded record's measures in column order. */
const measureValues = measureKeys.map((key) => `r.measures.${key}`).join(", ")
/** The row's measures as a struct with `WindowMeasures`' keys. */
const measuresColumns = `{${measureKeys.map((key) => `${key}: ${columnOf(key)}`).join(", ")}}`
const measureUpdates = measureKeys.map((key) => `${columnOf(key)} = excluded.${columnOf(key)}`).join(", ")

const ddl = [
  `CREATE TABLE IF NOT EXISTS kpi_minute_partition (
    minute TIMESTAMPTZ NOT NULL,
    partition INTEGER NOT NULL,
    partitions_total INTEGER NOT NULL,
    closed BOOLEAN NOT NULL,
    ${measureColumnsDdl},
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (minute, partition)
  )`,
  `CREATE TABLE IF NOT EXISTS kpi_partition_progress (
    partition INTEGER PRIMARY KEY,
    partitions_total INTEGER NOT NULL,
    watermark_ms BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS kpi_consumer_offsets (
    topic VARCHAR NOT NULL,
    partition INTEGER NOT NULL,
    next_offset BIGINT NOT NULL,
    PRIMARY KEY (topic, partition)
  )`,
  `CREATE TABLE IF NOT EXISTS kpi_minute_sum (
    minute TIMESTAMPTZ PRIMARY KEY,
    partitions_total INTEGER NOT NULL,
    partitions_reporting INTEGER NOT NULL,
    ${measureColumnsDdl},
    updated_at TIMESTAMPTZ NOT NULL
  )`,
  // `closed` is derived at read time: a watermark advance closes minutes without touching their rows.
  `CREATE OR REPLACE VIEW kpi_minute AS
  SELECT minute, partitions_total, partitions_reporting,
    (SELECT count(*) FROM kpi_partition_progress p
      WHERE p.partition < s.partitions_total AND p.watermark_ms >= epoch_ms(s.minute) + ${WINDOW_MS}) = s.partitions_total
      AS closed,
    ${measureColumnList}, updated_at
  FROM kpi_minute_sum s`
]

/** Every partition row of the given minutes as one JSON array (minutes: a SQL list of TIMESTAMPTZ). */
const partitionRows = (minutes: string) => `SELECT to_json(coalesce(list({
    minuteStartMs: epoch_ms(minute), partitions: partitions_total, measures: ${measuresColumns}
  }), []))::VARCHAR AS rows FROM kpi_minute_partition WHERE minute IN (${minutes})`

const PartitionRows = Schema.fromJsonString(
  Schema.Array(Schema.Struct({ minuteStartMs: Schema.Number, partitions: Schema.Number, measures: KpiMeasures }))
)
const decodePartitionRows = Schema.decodeUnknownSync(PartitionRows)

interface MinuteSum {
  readonly minuteStartMs: number
  readonly partitionsTotal: number
  readonly partitionsReporting: number
  readonly measures: WindowMeasures
}

/** Sums the partitions of each minute with the stream's own merge (maps key-wise, histograms element-wise). */
const sumPartitions = (
  rows: ReadonlyArray<{
    readonly minuteStartMs: number
    readonly partitions: number
    readonly measures: WindowMeasures
  }>
): ReadonlyArray<MinuteSum> => {
  const sums = new Map<number, MinuteSum>()
  for (const row of rows) {
    const sum = sums.get(row.minuteStartMs)
    sums.set(
      row.minuteStartMs,
      sum === undefined
        ? {
            minuteStartMs: row.minuteStartMs,
            partitionsTotal: row.partitions,
            partitionsReporting: 1,
            measures: row.measures
          }
        : {
            minuteStartMs: row.minuteStartMs,
            partitionsTotal: Math.max(sum.partitionsTotal, row.partitions),
            partitionsReporting: sum.partitionsReporting + 1,
            measures: mergeWindowMeasures(sum.measures, row.measures)
          }
    )
  }
  return [...sums.values()]
}

const sumRowsType = JSON.stringify([
  { minuteStartMs: "BIGINT", partitionsTotal: "INTEGER", partitionsReporting: "INTEGER", measures: measuresType }
])

const replaceSums = `INSERT OR REPLACE INTO kpi_minute_sum
  SELECT make_timestamptz(r.minuteStartMs * 1000), r.partitionsTotal, r.partitionsReporting, ${measureValues},
    make_timestamptz($2::BIGINT * 1000)
  FROM (SELECT unnest(from_json($1::JSON, '${sumRowsType}')) AS r)`

/** A SQL list of the minutes (epoch ms, integers from decoded records) as TIMESTAMPTZ literals. */
const minuteList = (minutes: ReadonlyArray<number>) =>
  minutes.map((ms) => `make_timestamptz(${Math.trunc(ms)}::BIGINT * 1000)`).join(", ")

/** The shape `upsertRows` reads its one JSON parameter with: the batch's window records. */
const windowRowsType = JSON.stringify([
  { minuteStartMs: "BIGINT", partition: "INTEGER", partitions: "INTEGER", closed: "BOOLEAN", measures: measuresType }
])

// One statement for the whole batch: DuckDB pays per statement, not per row.
const upsertRows = `INSERT INTO kpi_minute_partition
  SELECT make_timestamptz(r.minuteStartMs * 1000), r.partition, r.partitions, r.closed, ${measureValues},
    make_timestamptz($2::BIGINT * 1000)
  FROM (SELECT unnest(from_json($1::JSON, '${windowRowsType}')) AS r)
  ON CONFLICT (minute, partition) DO UPDATE SET
    partitions_total = excluded.partitions_total, closed = excluded.closed, ${measureUpdates},
    updated_at = excluded.updated_at
  WHERE excluded.closed OR NOT kpi_minute_partition.closed`

const progressRowsType = JSON.stringify([{ partition: "INTEGER", partitions: "INTEGER", watermarkMs: "BIGINT" }])

const advanceProgress = `INSERT INTO kpi_partition_progress
  SELECT r.partition, r.partitions, r.watermarkMs, make_timestamptz($2::BIGINT * 1000)
  FROM (SELECT unnest(from_json($1::JSON, '${progressRowsType}')) AS r)
  ON CONFLICT (partition) DO UPDATE SET
    partitions_total = excluded.partitions_total,
    watermark_ms = greatest(kpi_partition_progress.watermark_ms, excluded.watermark_ms),
    updated_at = excluded.updated_at`

const storeOffset = `INSERT INTO kpi_consumer_offsets VALUES ($1, $2, $3)
  ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset`

/** Where the batch being applied ends: the next offset to read of its topic partition. */
export interface ConsumedThrough {
  readonly topic: string
  readonly partition: number
  readonly nextOffset: bigint
}

const keyOf = (update: KpiWindowUpdate) => `${update.minuteStartMs}:${update.partition}`

/**
 * The last update per (minute, partition) of a batch, in first-seen order; a closed update is not
 * replaced by a later open one (DuckDB cannot touch one row twice in one INSERT … ON CONFLICT, and
 * the row-level rule would keep the closed one anyway).
 */
const latestPerKey = (updates: ReadonlyArray<KpiWindowUpdate>): ReadonlyArray<KpiWindowUpdate> => {
  const latest = new Map<string, KpiWindowUpdate>()
  for (const update of updates) {
    const key = keyOf(update)
    const previous = latest.get(key)
    if (previous === undefined || !previous.closed || update.closed) latest.set(key, update)
  }
  return [...latest.values()]
}

/** Creates the tables and the view (idempotent; run when the warehouse role starts). */
export const ensureKpiTables = Effect.fn("KpiStore.ensure")(function* () {
  const warehouse = yield* Warehouse
  yield* warehouse.transaction("create kpi tables", async (connection) => {
    for (const statement of ddl) await connection.run(statement)
  })
})

/** Per partition, the record of `updates` with the highest watermark (the later one on ties). */
const progressOf = (updates: ReadonlyArray<KpiUpdate>): ReadonlyMap<number, KpiUpdate> => {
  const progress = new Map<number, KpiUpdate>()
  for (const update of updates) {
    const previous = progress.get(update.partition)
    if (previous === undefined || update.watermarkMs >= previous.watermarkMs) progress.set(update.partition, update)
  }
  return progress
}

/**
 * The watermark every partition has passed (the lowest of their watermarks), or null until all
 * `partitions_total` partitions have reported one: every minute ending at or before it is closed.
 */
export const closedThroughSql = `SELECT CASE WHEN count(*) = any_value(n) THEN min(watermark_ms)::DOUBLE END AS w
  FROM kpi_partition_progress, (SELECT max(partitions_total) AS n FROM kpi_partition_progress)
  WHERE partition < n`

const closedThrough = async (connection: DuckDBConnection): Promise<number | null> => {
  const [row] = (await connection.runAndReadAll(closedThroughSql)).getRowObjectsJS()
  return typeof row?.w === "number" ? row.w : null
}

/**
 * Applies records (of one or more fetched batches, in fetch order, with where each batch ends) in one
 * transaction; returns the minutes (epoch ms) whose merged row changed: those with a window record,
 * and those the records' watermark advance closed.
 */
export const applyUpdates = Effect.fn("KpiStore.apply")(function* (
  updates: ReadonlyArray<KpiUpdate>,
  throughs: ReadonlyArray<ConsumedThrough>,
  nowMs: number
) {
  const warehouse = yield* Warehouse
  const windows = latestPerKey(updates.filter((u): u is KpiWindowUpdate => u.kind === "window"))
  const progress = progressOf(updates)
  return yield* warehouse.transaction("apply kpi_minute records", async (connection) => {
    for (const through of throughs) {
      await connection.run(storeOffset, [through.topic, through.partition, through.nextOffset])
    }
    if (updates.length === 0) return []
    const before = await closedThrough(connection)
    const touched = new Set<number>()
    if (windows.length > 0) await connection.run(upsertRows, [JSON.stringify(windows), nowMs])
    const changed = [...new Set(windows.map((u) => u.minuteStartMs))]
    for (const minute of changed) touched.add(minute)
    if (changed.length > 0) {
      const [read] = (await connection.runAndReadAll(partitionRows(minuteList(changed)))).getRowObjectsJS()
      const sums = sumPartitions(decodePartitionRows(read?.rows))
      await connection.run(replaceSums, [JSON.stringify(sums), nowMs])
    }
    await connection.run(advanceProgress, [JSON.stringify([...progress.values()]), nowMs])
    const after = await closedThrough(connection)
    if (after !== null && (before === null || after > before)) {
      const closed = await connection.runAndReadAll(
        `SELECT epoch_ms(minute)::DOUBLE AS m FROM kpi_minute_sum
          WHERE minute + INTERVAL 1 MINUTE <= make_timestamptz($1::BIGINT * 1000)
            AND minute + INTERVAL 1 MINUTE > make_timestamptz($2::BIGINT * 1000)`,
        [after, before ?? 0]
      )
      for (const row of closed.getRowObjectsJS()) if (typeof row.m === "number") touched.add(row.m)
    }
    return [...touched].sort((a, b) => a - b)
  })
})

/** The stored next offsets of `partitions`, keyed `topic:partition`; 0 where none is stored yet. */
export const storedOffsets = Effect.fn("KpiStore.storedOffsets")(function* (partitions: ReadonlyArray<TopicPartition>) {
  const warehouse = yield* Warehouse
  const rows = yield* warehouse.query("SELECT topic, partition, next_offset FROM kpi_consumer_offsets")
  const stored = new Map<string, bigint>()
  for (const row of rows) {
    if (typeof row.topic === "string" && typeof row.partition === "number" && typeof row.next_offset === "bigint") {
      stored.set(partitionKey({ topic: row.topic, partition: row.partition }), row.next_offset)
    }
  }
  return new Map(partitions.map((tp) => [partitionKey(tp), stored.get(partitionKey(tp)) ?? 0n]))
})

/** Deletes minutes that started before `cutoffMs`; returns how many partition rows went. */
export const deleteMinutesBefore = Effect.fn("KpiStore.deleteBefore")(function* (cutoffMs: number) {
  const warehouse = yield* Warehouse
  return yield* warehouse.transaction("kpi retention", async (connection) => {
    const cutoff = "make_timestamptz($1::BIGINT * 1000)"
    await connection.run(`DELETE FROM kpi_minute_sum WHERE minute < ${cutoff}`, [cutoffMs])
    const result = await connection.run(`DELETE FROM kpi_minute_partition WHERE minute < ${cutoff}`, [cutoffMs])
    return result.rowsChanged
  })
})
