/**
 * The `kpi_minute` record: the contract between the stream processor (producer) and the warehouse
 * (consumer). Two kinds, one JSON object per Kafka record:
 *
 * - `window` (key = the minute, ISO `2026-11-22T10:07:00.000Z`): the measures (KpiMeasures.ts) of one
 *   1-minute window `[minute, minute + 1 min)` of one `events_raw` partition. Sent on every
 *   micro-batch that changed the window, and once more with `closed: true` when the processor's
 *   watermark passes the window's end; after that the (minute, partition) never changes (late events
 *   are counted in a metric only). Every measure is mergeable, so the warehouse upserts by (minute,
 *   partition) (a later record of the same pair replaces the earlier one: re-sends after a crash carry
 *   identical values) and adds up the partitions of a minute.
 * - `progress` (key = `progress-<partition>`): the partition's watermark after a micro-batch, sent for
 *   every partition the batch advanced, so a partition without events in a minute still reports that
 *   it has passed it.
 *
 * When is a minute final? A partition has closed minute m once it sent a `window` or `progress`
 * record with `watermarkMs ≥ m + 60 000`. The minute is closed when all `partitions` partitions
 * (0 … partitions − 1, the count of `events_raw`, carried in every record) have closed it; partitions
 * without a window record for m contributed nothing to it. Records of one partition arrive in order
 * (kpi_minute has one partition and each processor publishes a batch's records in one call).
 */
import { Schema } from "effect"
import { WindowMeasuresSchema } from "./KpiMeasures.ts"

/** Windows are 1-minute tumbling windows on event time (ARCHITECTURE.md "Windows"). */
export const WINDOW_MS = 60_000

export const windowStartOf = (eventTimeMs: number): number => Math.floor(eventTimeMs / WINDOW_MS) * WINDOW_MS

/** A minute is closed by a partition once that partition's watermark reached the minute's end. */
export const closesMinute = (watermarkMs: number, minuteStartMs: number): boolean =>
  watermarkMs >= minuteStartMs + WINDOW_MS

const Partition = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Partitions = Schema.Int.check(Schema.isGreaterThan(0))

export const KpiWindowUpdate = Schema.Struct({
  kind: Schema.Literal("window"),
  /** Window start, ISO 8601 UTC. */
  minute: Schema.String,
  minuteStartMs: Schema.Int,
  partition: Partition,
  /** Partition count of `events_raw`: a minute is final when this many partitions closed it. */
  partitions: Partitions,
  closed: Schema.Boolean,
  /** The processor's watermark after the batch: this partition has closed every minute ending at or before it. */
  watermarkMs: Schema.Int,
  measures: WindowMeasuresSchema
})
export type KpiWindowUpdate = typeof KpiWindowUpdate.Type

export const KpiProgress = Schema.Struct({
  kind: Schema.Literal("progress"),
  partition: Partition,
  partitions: Partitions,
  watermarkMs: Schema.Int
})
export type KpiProgress = typeof KpiProgress.Type

export const KpiUpdate = Schema.Union([KpiWindowUpdate, KpiProgress])
export type KpiUpdate = typeof KpiUpdate.Type

export const KpiUpdateJson = Schema.fromJsonString(KpiUpdate)

/** Decodes a `kpi_minute` value (what the warehouse does with every record). */
export const decodeKpiUpdate = Schema.decodeUnknownResult(KpiUpdateJson)

const encodeJson = Schema.encodeSync(KpiUpdateJson)

export const encodeKpiUpdate = (update: KpiUpdate): string => encodeJson(update)

/** The record's Kafka key. */
export const kpiKey = (update: KpiUpdate): string =>
  update.kind === "window" ? update.minute : `progress-${update.partition}`
