/**
 * The live KPI tables in the warehouse, fed by the `kpi_minute` records (domain/KpiMinute.ts).
 *
 * - `kpi_minute_partition`: one row per (minute, events_raw partition), the latest `window` record
 *   for it. Upserts are idempotent (a re-sent record overwrites its row with the same values) and a
 *   closed row is final: an open record for it (a replay after a processor crash) never reopens it.
 * - `kpi_partition_progress`: per partition, the highest watermark any of its records carried
 *   (`window` or `progress`). A partition has closed minute m once that watermark ≥ m + 1 min, so a
 *   partition with no events in m, which never sends a window for it, still closes it through its
 *   `progress` records.
 * - `kpi_minute_sum`: the partitions of each minute summed with the measures' own merge
 *   (domain/KpiMeasures.ts), recomputed for the minutes a batch touched, so reads never aggregate.
 * - `kpi_minute` (view): `kpi_minute_sum` plus `closed`, true once every partition
 *   `0 … partitions_total − 1` has closed the minute.
 * - `kpi_consumer_offsets`: the next kpi_minute offset to read, written in the same transaction as
 *   the rows, so the tables always reflect exactly a prefix of the topic; the sink resumes from here,
 *   not from the consumer group (a new or restored database file replays the topic).
 *
 * The measure columns are derived from `KPI_MEASURES` (a column is the measure's key in snake_case):
 * the tables are created by migration `0001` as the first release shipped them, and a measure added
 * since is added to both tables at start (`syncMeasureColumns`), its existing rows reading as empty.
 */
import { Effect, Schema } from "effect"
import { SqlClient } from "effect/sql"
import {
  emptyMeasures,
  KPI_MEASURE_NAMES,
  KPI_MEASURES,
  type KpiMeasureName,
  measureColumn,
  measureDuckDbType,
  mergeMeasures,
  type WindowMeasures,
  WindowMeasuresSchema
} from "../../domain/KpiMeasures.ts"
import { type KpiUpdate, type KpiWindowUpdate, WINDOW_MS } from "../../domain/KpiMinute.ts"
import { partitionKey, type TopicPartition } from "../../kafka/EventConsumer.ts"
import { type Migration, migrate } from "../warehouse/Migrations.ts"

const measureColumnList = KPI_MEASURE_NAMES.map(measureColumn).join(", ")
/** `r.measures.events, r.measures.eventsByType, …`: a decoded record's measures in column order. */
const measureValues = KPI_MEASURE_NAMES.map((key) => `r.measures.${key}`).join(", ")
/** The row's measures as a struct with `WindowMeasures`' keys. */
const measuresColumns = `{${KPI_MEASURE_NAMES.map((key) => `${key}: ${measureColumn(key)}`).join(", ")}}`
const measureUpdates = KPI_MEASURE_NAMES.map((key) => `${measureColumn(key)} = excluded.${measureColumn(key)}`).join(
  ", "
)
/** The measures as DuckDB types keyed like `WindowMeasures` (the shape `from_json` reads them with). */
const measuresType = Object.fromEntries(KPI_MEASURE_NAMES.map((key) => [key, measureDuckDbType(KPI_MEASURES[key])]))

/** A measure's empty value as a SQL literal: the default of a column added to existing rows. */
const emptyLiteral = (key: KpiMeasureName): string => {
  const empty: unknown = emptyMeasures()[key]
  const type = measureDuckDbType(KPI_MEASURES[key])
  if (typeof empty === "number") return String(empty)
  if (Array.isArray(empty)) return `[${empty.join(", ")}]::${type}`
  return `MAP{}::${type}`
}

/**
 * The tables as the first release created them (frozen: never edited; `IF NOT EXISTS` lets a
 * database written before migrations were recorded pass through it).
 */
const createKpiTablesV1: Migration = {
  name: "0001_kpi_tables",
  up: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const measures = `events BIGINT NOT NULL,
    events_by_type MAP(VARCHAR, BIGINT) NOT NULL,
    distinct_users BIGINT NOT NULL,
    sessions_started BIGINT NOT NULL,
    configurator_starts BIGINT NOT NULL,
    configurator_completions BIGINT NOT NULL,
    funnel_steps MAP(VARCHAR, BIGINT) NOT NULL,
    purchases BIGINT NOT NULL,
    revenue_by_currency MAP(VARCHAR, BIGINT) NOT NULL,
    latency_buckets BIGINT[] NOT NULL`
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS kpi_minute_partition (
    minute TIMESTAMPTZ NOT NULL,
    partition INTEGER NOT NULL,
    partitions_total INTEGER NOT NULL,
    closed BOOLEAN NOT NULL,
    ${measures},
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (minute, partition)
  )`)
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS kpi_partition_progress (
    partition INTEGER PRIMARY KEY,
    partitions_total INTEGER NOT NULL,
    watermark_ms BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
  )`)
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS kpi_consumer_offsets (
    topic VARCHAR NOT NULL,
    partition INTEGER NOT NULL,
    next_offset BIGINT NOT NULL,
    PRIMARY KEY (topic, partition)
  )`)
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS kpi_minute_sum (
    minute TIMESTAMPTZ PRIMARY KEY,
    partitions_total INTEGER NOT NULL,
    partitions_reporting INTEGER NOT NULL,
    ${measures},
    updated_at TIMESTAMPTZ NOT NULL
  )`)
  })
}

export const KPI_MIGRATIONS: ReadonlyArray<Migration> = [createKpiTablesV1]

const MEASURE_TABLES = ["kpi_minute_partition", "kpi_minute_sum"] as const

/** Adds the columns of measures defined since the tables were created; returns what it added. */
const syncMeasureColumns = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const added: Array<string> = []
  for (const table of MEASURE_TABLES) {
    const present = new Set(
      (yield* sql.unsafe<{ readonly column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1",
        [table]
      )).map((row) => row.column_name)
    )
    for (const key of KPI_MEASURE_NAMES) {
      const column = measureColumn(key)
      if (present.has(column)) continue
      const type = measureDuckDbType(KPI_MEASURES[key])
      yield* sql.unsafe(`ALTER TABLE ${table} ADD COLUMN ${column} ${type} DEFAULT ${emptyLiteral(key)}`)
      added.push(`${table}.${column}`)
    }
  }
  if (added.length > 0) yield* Effect.logInfo(`warehouse: added measure columns ${added.join(", ")}`)
  return added
})

// `closed` is derived at read time: a watermark advance closes minutes without touching their rows.
const createView = `CREATE OR REPLACE VIEW kpi_minute AS
  SELECT minute, partitions_total, partitions_reporting,
    (SELECT count(*) FROM kpi_partition_progress p
      WHERE p.partition < s.partitions_total AND p.watermark_ms >= epoch_ms(s.minute) + ${WINDOW_MS}) = s.partitions_total
      AS closed,
    ${measureColumnList}, updated_at
  FROM kpi_minute_sum s`

/** Creates or migrates the tables and the view (run when the warehouse role starts). */
export const ensureKpiTables = Effect.fn("KpiStore.ensure")(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* migrate(KPI_MIGRATIONS)
  yield* sql.withTransaction(Effect.andThen(syncMeasureColumns, sql.unsafe(createView)))
})

/** Every partition row of the given minutes as one JSON array (minutes: a SQL list of TIMESTAMPTZ). */
const partitionRows = (minutes: string) => `SELECT to_json(coalesce(list({
    minuteStartMs: epoch_ms(minute), partitions: partitions_total, measures: ${measuresColumns}
  }), []))::VARCHAR AS rows FROM kpi_minute_partition WHERE minute IN (${minutes})`

const PartitionRows = Schema.fromJsonString(
  Schema.Array(
    Schema.Struct({ minuteStartMs: Schema.Number, partitions: Schema.Number, measures: WindowMeasuresSchema })
  )
)
const decodePartitionRows = Schema.decodeUnknownEffect(PartitionRows)

interface MinuteSum {
  readonly minuteStartMs: number
  readonly partitionsTotal: number
  readonly partitionsReporting: number
  readonly measures: WindowMeasures
}

/** Sums the partitions of each minute with the measures' own merge (KpiMeasures.ts). */
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
            measures: mergeMeasures(sum.measures, row.measures)
          }
    )
  }
  return [...sums.values()]
}

const sumRowsType = JSON.stringify([
  { minuteStartMs: "BIGINT", partitionsTotal: "INTEGER", partitionsReporting: "INTEGER", measures: measuresType }
])

// Columns are named: a measure added since the table was created sits at its end, not in table order.
const replaceSums = `INSERT OR REPLACE INTO kpi_minute_sum
  (minute, partitions_total, partitions_reporting, ${measureColumnList}, updated_at)
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
  (minute, partition, partitions_total, closed, ${measureColumnList}, updated_at)
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

const closedThrough = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql.unsafe<{ readonly w: number | null }>(closedThroughSql)
  return row?.w ?? null
})

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
  const sql = yield* SqlClient.SqlClient
  const windows = latestPerKey(updates.filter((u): u is KpiWindowUpdate => u.kind === "window"))
  const progress = progressOf(updates)
  return yield* sql.withTransaction(
    Effect.gen(function* () {
      for (const through of throughs) {
        yield* sql.unsafe(storeOffset, [through.topic, through.partition, through.nextOffset])
      }
      if (updates.length === 0) return []
      const before = yield* closedThrough
      const touched = new Set<number>()
      if (windows.length > 0) yield* sql.unsafe(upsertRows, [JSON.stringify(windows), nowMs])
      const changed = [...new Set(windows.map((u) => u.minuteStartMs))]
      for (const minute of changed) touched.add(minute)
      if (changed.length > 0) {
        const [read] = yield* sql.unsafe<{ readonly rows: string }>(partitionRows(minuteList(changed)))
        const sums = sumPartitions(yield* decodePartitionRows(read?.rows))
        yield* sql.unsafe(replaceSums, [JSON.stringify(sums), nowMs])
      }
      yield* sql.unsafe(advanceProgress, [JSON.stringify([...progress.values()]), nowMs])
      const after = yield* closedThrough
      if (after !== null && (before === null || after > before)) {
        const closed = yield* sql.unsafe<{ readonly m: number }>(
          `SELECT epoch_ms(minute)::DOUBLE AS m FROM kpi_minute_sum
            WHERE minute + INTERVAL 1 MINUTE <= make_timestamptz($1::BIGINT * 1000)
              AND minute + INTERVAL 1 MINUTE > make_timestamptz($2::BIGINT * 1000)`,
          [after, before ?? 0]
        )
        for (const row of closed) touched.add(row.m)
      }
      return [...touched].sort((a, b) => a - b)
    })
  )
})

/** The stored next offsets of `partitions`, keyed `topic:partition`; 0 where none is stored yet. */
export const storedOffsets = Effect.fn("KpiStore.storedOffsets")(function* (partitions: ReadonlyArray<TopicPartition>) {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql
    .unsafe<{ readonly topic: string; readonly partition: number; readonly next_offset: bigint }>(
      "SELECT topic, partition, next_offset FROM kpi_consumer_offsets"
    )
    .pipe(Effect.provideService(SqlClient.SafeIntegers, true))
  const stored = new Map<string, bigint>()
  for (const row of rows)
    stored.set(partitionKey({ topic: row.topic, partition: Number(row.partition) }), row.next_offset)
  return new Map(partitions.map((tp) => [partitionKey(tp), stored.get(partitionKey(tp)) ?? 0n]))
})

/** Deletes minutes that started before `cutoffMs`; returns how many partition rows went. */
export const deleteMinutesBefore = Effect.fn("KpiStore.deleteBefore")(function* (cutoffMs: number) {
  const sql = yield* SqlClient.SqlClient
  return yield* sql.withTransaction(
    Effect.gen(function* () {
      const cutoff = "make_timestamptz($1::BIGINT * 1000)"
      yield* sql.unsafe(`DELETE FROM kpi_minute_sum WHERE minute < ${cutoff}`, [cutoffMs])
      const result = yield* sql.unsafe(`DELETE FROM kpi_minute_partition WHERE minute < ${cutoff}`, [cutoffMs]).raw
      return (result as { readonly rowsChanged: number }).rowsChanged
    })
  )
})
