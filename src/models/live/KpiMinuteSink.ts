/**
 * The warehouse's consumer of `kpi_minute` (group `launchpad-warehouse`): decode each record with
 * the stream's `KpiUpdate` schema, apply the batches fetched meanwhile to the KPI tables in one
 * transaction together with the next offset to read of each, push the changed minutes to the live feed, then commit the offset to the
 * group (for lag monitoring: on assignment the sink seeks to the offset stored in DuckDB, so the
 * tables always hold exactly a prefix of the topic, and a new database file replays it).
 *
 * - A record that does not decode (or numbers a partition past `partitions`, or starts a window off
 *   the minute) is counted, logged (position and reason, never the payload) and skipped; its offset
 *   is stored with the rest, so it is not read again.
 * - Upserts are idempotent as well, so even a replay from further back changes nothing.
 * - A failing DuckDB write is retried a few times with backoff; if it keeps failing, or Kafka fails,
 *   the consumer stops and starts again (from the stored offsets) after a capped backoff, so the
 *   role stays up and `launchpad_warehouse_kpi_sink_restarts_total` shows the trouble.
 * - Retention deletes minutes older than `LAUNCHPAD_KPI_RETENTION_DAYS` at start and periodically.
 */
import { Clock, type Duration, Effect, Layer, Metric, Result, Schedule, SchemaIssue, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { decodeKpiUpdate, type KpiUpdate, WINDOW_MS } from "../../domain/KpiMinute.ts"
import { Settings } from "../../domain/Settings.ts"
import { EventConsumer, type RecordBatch } from "../../kafka/EventConsumer.ts"
import { TopicNames } from "../../kafka/Topics.ts"
import { supervise } from "../../platform/Supervise.ts"
import { KpiQueries } from "./KpiQueries.ts"
import { applyUpdates, type ConsumedThrough, deleteMinutesBefore, storedOffsets } from "./KpiStore.ts"
import { LiveUpdates } from "./LiveUpdates.ts"
import { WarehouseMetrics } from "./WarehouseMetrics.ts"

export const WAREHOUSE_GROUP_ID = "launchpad-warehouse"

export interface KpiMinuteSinkOptions {
  /** Fetch long-poll of the consumer (ms); bounds how long an idle stop waits. Default 500. */
  readonly maxWaitTimeMs?: number
  /** Group session timeout (ms): how soon a dead instance's partition moves on. kafkajs default 30 s. */
  readonly sessionTimeoutMs?: number
  /** Between retention passes. Default 10 minutes. */
  readonly retentionInterval?: Duration.Input
  /** First delay before restarting a failed consumer; doubles up to 30 s. Default 500 ms. */
  readonly restartDelay?: Duration.Input
}

const DAY_MS = 86_400_000
/** Fetched batches applied in one transaction: those of one fetch (kafkajs hands them over one by one). */
const APPLY_MAX_BATCHES = 64
const APPLY_LINGER_MS = 2
const textDecoder = new TextDecoder()
const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1()

/** What the schema cannot say: a window starts on a minute, and partitions are numbered 0 … partitions − 1. */
const invariantViolation = (update: KpiUpdate): string | undefined => {
  if (update.partition >= update.partitions) return `partition ${update.partition} of ${update.partitions}`
  if (update.kind === "window" && update.minuteStartMs % WINDOW_MS !== 0) {
    return `minuteStartMs ${update.minuteStartMs} is not on a minute`
  }
  return undefined
}

/** The decoded updates of a batch; records that do not decode are reported and left out. */
const decodeBatch = Effect.fnUntraced(function* (batch: RecordBatch) {
  const updates: Array<KpiUpdate> = []
  for (const message of batch.messages) {
    const decoded = decodeKpiUpdate(textDecoder.decode(message.value))
    let path = ""
    let reason: string
    if (Result.isSuccess(decoded)) {
      const violation = invariantViolation(decoded.success)
      if (violation === undefined) {
        updates.push(decoded.success)
        continue
      }
      reason = violation
    } else {
      const [issue] = formatIssue(decoded.failure.issue).issues
      path = issue?.path?.map(String).join(".") ?? ""
      reason = issue?.message ?? "undecodable"
    }
    yield* Metric.update(WarehouseMetrics.badRecords, 1)
    yield* Effect.logWarning("skipped a malformed kpi_minute record").pipe(
      Effect.annotateLogs({
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset.toString(),
        path,
        reason
      })
    )
  }
  return updates
})

/** One retention pass now (the background pass runs every `retentionInterval`). */
export const runKpiRetention = Effect.fn("KpiMinuteSink.retention")(function* () {
  const settings = yield* Settings
  const now = yield* Clock.currentTimeMillis
  const deleted = yield* deleteMinutesBefore(now - settings.kpiRetentionDays * DAY_MS)
  yield* Metric.update(WarehouseMetrics.retentionDeleted, deleted)
  return deleted
})

const make = (options: KpiMinuteSinkOptions) =>
  Effect.gen(function* () {
    const settings = yield* Settings
    const consumer = yield* EventConsumer
    const queries = yield* KpiQueries
    const live = yield* LiveUpdates
    const sql = yield* SqlClient.SqlClient
    const group = consumer.group({
      groupId: WAREHOUSE_GROUP_ID,
      topics: [TopicNames.kpiMinute],
      fromBeginning: true,
      // Resume from the offsets stored with the data, not from the group's.
      onAssigned: (partitions) => Effect.provideService(storedOffsets(partitions), SqlClient.SqlClient, sql),
      maxWaitTimeMs: options.maxWaitTimeMs ?? 500,
      ...(options.sessionTimeoutMs === undefined
        ? {}
        : { sessionTimeoutMs: options.sessionTimeoutMs, heartbeatIntervalMs: options.sessionTimeoutMs / 6 })
    })

    const write = (updates: ReadonlyArray<KpiUpdate>, throughs: ReadonlyArray<ConsumedThrough>, nowMs: number) =>
      applyUpdates(updates, throughs, nowMs).pipe(
        Effect.tapError((error) =>
          Metric.update(WarehouseMetrics.writeRetries, 1).pipe(
            Effect.andThen(Effect.logWarning(`kpi_minute upsert failed, retrying: ${error.message}`))
          )
        ),
        Effect.retry({ schedule: Schedule.exponential("100 millis"), times: 4 })
      )

    const publish = (minutes: ReadonlyArray<number>) =>
      queries.minutes(minutes).pipe(
        Effect.flatMap(live.publish),
        Effect.catchCause((cause) => Effect.logWarning("could not read back updated minutes for /api/v1/live", cause))
      )

    /** The batches fetched while the previous apply ran, in one transaction (DuckDB pays per statement). */
    const applyBatches = Effect.fn("KpiMinuteSink.apply")(function* (batches: ReadonlyArray<RecordBatch>) {
      const started = yield* Clock.currentTimeMillis
      const updates: Array<KpiUpdate> = []
      for (const batch of batches) for (const update of yield* decodeBatch(batch)) updates.push(update)
      // Where each partition ends: its last batch here (batches of a partition come in offset order).
      const ends = new Map<string, ConsumedThrough>()
      for (const batch of batches) {
        const through = { topic: batch.topic, partition: batch.partition, nextOffset: batch.lastOffset + 1n }
        ends.set(`${batch.topic}:${batch.partition}`, through)
      }
      const throughs = [...ends.values()]
      const minutes = yield* write(updates, throughs, started)
      const finished = yield* Clock.currentTimeMillis
      yield* Metric.update(WarehouseMetrics.updatesApplied, updates.length)
      yield* Metric.update(WarehouseMetrics.applySeconds, (finished - started) / 1000)
      yield* Metric.update(WarehouseMetrics.lastApplied, finished / 1000)
      for (const batch of batches) {
        for (const message of batch.messages) {
          yield* Metric.update(WarehouseMetrics.recordAge, Math.max(0, finished - message.timestamp) / 1000)
        }
      }
      // Rows and offsets are durable: push them live, then tell the group (for lag monitoring only).
      yield* publish(minutes)
      for (const through of throughs) {
        yield* group
          .commit(through.topic, through.partition, through.nextOffset)
          .pipe(
            Effect.catchTag("CommitFailed", (error) =>
              Metric.update(WarehouseMetrics.commitFailures, 1).pipe(
                Effect.andThen(Effect.logWarning(`kpi_minute commit failed: ${error.message}`))
              )
            )
          )
      }
    })

    const consume = supervise(
      group.batchGroups(APPLY_LINGER_MS, APPLY_MAX_BATCHES).pipe(Stream.runForEach(applyBatches)),
      {
        name: "kpi_minute sink",
        initialDelay: options.restartDelay ?? "500 millis",
        onRestart: () => Metric.update(WarehouseMetrics.sinkRestarts, 1)
      }
    )

    const retention = runKpiRetention().pipe(
      Effect.provideService(Settings, settings),
      Effect.catchCause((cause) => Effect.logWarning("kpi_minute retention failed", cause))
    )

    yield* Effect.forkScoped(consume)
    yield* Effect.forkScoped(retention.pipe(Effect.repeat(Schedule.spaced(options.retentionInterval ?? "10 minutes"))))
  })

/** Runs the consumer and retention in the background for the layer's lifetime. */
export const KpiMinuteSink = {
  layerWith: (options: KpiMinuteSinkOptions) => Layer.effectDiscard(make(options)),
  layer: Layer.effectDiscard(make({}))
} as const
