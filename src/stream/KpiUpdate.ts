/**
 * The `kpi_minute` record: the contract between the stream processor (producer) and the warehouse
 * (consumer). Two kinds, one JSON object per Kafka record:
 *
 * - `window` (key = the minute, ISO `2026-11-22T10:07:00.000Z`): the measures of one 1-minute window
 *   `[minute, minute + 1 min)` of one `events_raw` partition. Sent on every micro-batch that changed
 *   the window, and once more with `closed: true` when the processor's watermark passes the window's
 *   end; after that the (minute, partition) never changes (late events are counted in a metric only).
 *   Every measure is a sum, so the warehouse upserts by (minute, partition) (a later record of the
 *   same pair replaces the earlier one: re-sends after a crash carry identical values) and adds up the
 *   partitions of a minute (users and sessions are partition-local because events are keyed by user).
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
import { LATENCY_BUCKET_BOUNDS_MS, type WindowMeasures } from "./Measures.ts"
import type { WindowUpdate } from "./Windows.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Partition = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Counts = Schema.Record(Schema.String, Count)

export const KpiMeasures = Schema.Struct({
  events: Count,
  eventsByType: Counts,
  distinctUsers: Count,
  /** Sessions whose first event is in this minute; final once the window is closed. */
  sessionsStarted: Count,
  configuratorStarts: Count,
  configuratorCompletions: Count,
  funnelSteps: Counts,
  purchases: Count,
  /** Integer thousandths of the currency unit, per ISO 4217 code ("XXX": none). */
  revenueByCurrency: Schema.Record(Schema.String, Schema.Int),
  /** Ingest-to-processing latency histogram: counts per `latencyBucketBoundsMs` bound, plus one overflow. */
  latencyBuckets: Schema.Array(Count).check(
    Schema.isBetweenLength(LATENCY_BUCKET_BOUNDS_MS.length + 1, LATENCY_BUCKET_BOUNDS_MS.length + 1)
  )
})

export const KpiWindowUpdate = Schema.Struct({
  kind: Schema.Literal("window"),
  /** Window start, ISO 8601 UTC. */
  minute: Schema.String,
  minuteStartMs: Schema.Int,
  partition: Partition,
  /** Partition count of `events_raw`: a minute is final when this many partitions closed it. */
  partitions: Schema.Int.check(Schema.isGreaterThan(0)),
  closed: Schema.Boolean,
  /** The processor's watermark after the batch: this partition has closed every minute ending at or before it. */
  watermarkMs: Schema.Int,
  measures: KpiMeasures
})
export type KpiWindowUpdate = typeof KpiWindowUpdate.Type

export const KpiProgress = Schema.Struct({
  kind: Schema.Literal("progress"),
  partition: Partition,
  partitions: Schema.Int.check(Schema.isGreaterThan(0)),
  watermarkMs: Schema.Int
})
export type KpiProgress = typeof KpiProgress.Type

export const KpiUpdate = Schema.Union([KpiWindowUpdate, KpiProgress])
export type KpiUpdate = typeof KpiUpdate.Type

export const KpiUpdateJson = Schema.fromJsonString(KpiUpdate)

/** Decodes a `kpi_minute` value (what the warehouse does with every record). */
export const decodeKpiUpdate = Schema.decodeUnknownResult(KpiUpdateJson)

/** The fixed latency bucket bounds (ms, inclusive), the same for every processor. */
export const latencyBucketBoundsMs = LATENCY_BUCKET_BOUNDS_MS

/** A minute is closed by a partition once that partition's watermark reached the minute's end. */
export const closesMinute = (watermarkMs: number, minuteStartMs: number): boolean =>
  watermarkMs >= minuteStartMs + 60_000

const measuresJson = (m: WindowMeasures): typeof KpiMeasures.Type => ({
  events: m.events,
  eventsByType: m.eventsByType,
  distinctUsers: m.distinctUsers,
  sessionsStarted: m.sessionsStarted,
  configuratorStarts: m.configuratorStarts,
  configuratorCompletions: m.configuratorCompletions,
  funnelSteps: m.funnelSteps,
  purchases: m.purchases,
  revenueByCurrency: m.revenueByCurrency,
  latencyBuckets: m.latencyBuckets
})

export const windowRecord = (update: WindowUpdate, partitions: number, watermarkMs: number): KpiWindowUpdate => ({
  kind: "window",
  minute: new Date(update.minuteStartMs).toISOString(),
  minuteStartMs: update.minuteStartMs,
  partition: update.partition,
  partitions,
  closed: update.closed,
  watermarkMs,
  measures: measuresJson(update.measures)
})

export const kpiKey = (update: KpiUpdate): string =>
  update.kind === "window" ? update.minute : `progress-${update.partition}`

const encodeJson = Schema.encodeSync(KpiUpdateJson)

export const encodeKpiUpdate = (update: KpiUpdate): string => encodeJson(update)
