/**
 * The two lake tables as data: their columns (events: the domain's `columns` plus the writer's Kafka and
 * processing columns, never a copied list), the column that places a row in a partition, the sort order
 * of compacted files and how a session row becomes cells for the DuckDB appender (events are staged as
 * JSON, see EventJsonStaging.ts).
 */

import type { EnrichedEvent } from "../domain/Catalog.ts"
import { columns, type DuckDbType } from "../domain/Columns.ts"
import type { SessionRecord } from "../domain/SessionRecord.ts"
import type { RawEventJson } from "./RawJson.ts"

export type LakeColumnType = DuckDbType | "BIGINT"

export interface LakeColumn {
  readonly name: string
  readonly duckdbType: LakeColumnType
}

/** A cell: TIMESTAMPTZ as epoch milliseconds, JSON as JSON text, BIGINT as bigint. */
export type Cell = string | number | boolean | bigint | null

export interface LakeTable {
  readonly name: "events" | "sessions"
  readonly columns: ReadonlyArray<LakeColumn>
  /** The TIMESTAMPTZ column whose UTC date (and hour) names the partition. */
  readonly timeColumn: string
  /** `hour`: `<x>_date=YYYY-MM-DD/<x>_hour=HH`; `day`: `<x>_date=YYYY-MM-DD`. */
  readonly granularity: "hour" | "day"
  readonly datePartition: string
  readonly hourPartition?: string
  /** Rows with the same value here use the same columns (appender staging stages each group apart). */
  readonly stagingGroupColumn?: string
  /** Total order of rows in a file (Kafka position first: one copy per offset). */
  readonly sortKey: ReadonlyArray<string>
  /**
   * How long after a partition's time range ends it may still receive rows in normal operation; older
   * partitions are closed and may be compacted.
   */
  readonly closedAfterMs: number
}

const HOUR_MS = 3_600_000

/**
 * Events are partitioned by `occurred_at_corrected`: the event time ingest clamped to
 * [2000-01-01, received_at], so a client with a wrong clock can neither create future partitions (which
 * compaction would never close and retention never reach) nor scatter rows into the distant past.
 */
export const EVENT_TIME_COLUMN = "occurred_at_corrected"

/** What the writer adds to every event row. */
export const EVENT_LAKE_COLUMNS: ReadonlyArray<LakeColumn> = [
  { name: "kafka_partition", duckdbType: "INTEGER" },
  { name: "kafka_offset", duckdbType: "BIGINT" },
  { name: "is_late", duckdbType: "BOOLEAN" },
  { name: "processed_at", duckdbType: "TIMESTAMPTZ" }
]

export const eventsTable: LakeTable = {
  name: "events",
  columns: [...columns.map(({ name, duckdbType }) => ({ name, duckdbType })), ...EVENT_LAKE_COLUMNS],
  timeColumn: EVENT_TIME_COLUMN,
  granularity: "hour",
  datePartition: "event_date",
  hourPartition: "event_hour",
  stagingGroupColumn: "event_type",
  sortKey: ["kafka_partition", "kafka_offset"],
  closedAfterMs: 2 * HOUR_MS
}

/**
 * A closed session as the stream emits it (`SessionRecord`, its partition named as the Kafka
 * partition it came from), plus processing time.
 */
export type SessionRow = Omit<SessionRecord, "partition"> & {
  /** Kafka partition of the session's first event. */
  readonly kafkaPartition: number
  readonly processedAtMs: number
}

/** Column name → how it is read from a `SessionRow`; the table's columns are derived from this list. */
const sessionFields: ReadonlyArray<LakeColumn & { readonly cell: (row: SessionRow) => Cell }> = [
  { name: "session_key", duckdbType: "VARCHAR", cell: (r) => r.sessionKey },
  { name: "user_id", duckdbType: "VARCHAR", cell: (r) => r.userId },
  { name: "session_start", duckdbType: "TIMESTAMPTZ", cell: (r) => r.startMs },
  { name: "session_end", duckdbType: "TIMESTAMPTZ", cell: (r) => r.endMs },
  { name: "event_count", duckdbType: "INTEGER", cell: (r) => r.eventCount },
  { name: "first_event_type", duckdbType: "VARCHAR", cell: (r) => r.firstEventType },
  { name: "last_event_type", duckdbType: "VARCHAR", cell: (r) => r.lastEventType },
  { name: "device_type", duckdbType: "VARCHAR", cell: (r) => r.deviceType },
  { name: "utm_source", duckdbType: "VARCHAR", cell: (r) => r.utmSource },
  { name: "utm_medium", duckdbType: "VARCHAR", cell: (r) => r.utmMedium },
  { name: "utm_campaign", duckdbType: "VARCHAR", cell: (r) => r.utmCampaign },
  { name: "is_bounce", duckdbType: "BOOLEAN", cell: (r) => r.isBounce },
  { name: "is_converted", duckdbType: "BOOLEAN", cell: (r) => r.isConverted },
  { name: "kafka_partition", duckdbType: "INTEGER", cell: (r) => r.kafkaPartition },
  { name: "processed_at", duckdbType: "TIMESTAMPTZ", cell: (r) => r.processedAtMs }
]

export const sessionsTable: LakeTable = {
  name: "sessions",
  columns: sessionFields.map(({ name, duckdbType }) => ({ name, duckdbType })),
  timeColumn: "session_start",
  granularity: "day",
  datePartition: "session_date",
  sortKey: ["kafka_partition", "session_start", "user_id"],
  // A session closes at most cap (24 h) + gap + watermark delay after its start, then waits for a batch.
  closedAfterMs: 28 * HOUR_MS
}

export const lakeTables: ReadonlyArray<LakeTable> = [eventsTable, sessionsTable]

/**
 * The event of a lake row: the decoded event, or (RawJson.ts) the JSON it was decoded from when that is
 * interchangeable with `JSON.stringify(event)`, with its `occurred_at_corrected` in epoch milliseconds
 * (`epochMillis`), which places it in a partition. The stream keeps only the text then: a batch in
 * flight holds one string per event instead of the decoded object graph.
 */
export type EventLakeSource =
  | { readonly event: EnrichedEvent; readonly rawJson?: undefined }
  | { readonly rawJson: RawEventJson; readonly eventTimeMs: number; readonly event?: undefined }

/** An event as the stream hands it to the lake. */
export type EventLakeRow = EventLakeSource & {
  readonly kafkaPartition: number
  readonly kafkaOffset: bigint | number
  readonly isLate: boolean
  readonly processedAtMs: number
}

export const sessionCells = (row: SessionRow): ReadonlyArray<Cell> => sessionFields.map((field) => field.cell(row))
