/**
 * The stream processor role: consumes `events_raw` in the consumer group "launchpad-stream" as
 * micro-batches, runs the core per partition (MicroBatch.ts) and makes each batch durable with the
 * checkpoint protocol (ARCHITECTURE.md "Stream semantics: Checkpoint"):
 *
 *   1. plan             write every participating partition's plan                      PlanPublisher.ts
 *   2. publish          dead letters to events_deadletter, window updates and progress
 *                       to kpi_minute (the plan is durable, so a re-run sends identical
 *                       records)                                                       PlanPublisher.ts
 *   3. lake             a commit set's events and closed sessions to Parquet, one file
 *                       set per (partition, offset range)                              LakeCommitter.ts
 *   4. commit           its changelog lines and commit record                          LakeCommitter.ts
 *   5. consumer group   commit offsets to the consumer group: for lag monitoring only  LakeCommitter.ts
 *
 * Steps 3-5 do not run for every micro-batch: a micro-batch plans and publishes (live KPIs every
 * trigger), and once per LAUNCHPAD_LAKE_INTERVAL_MS (or LAUNCHPAD_TRIGGER_EVENTS records) one marked
 * in its plan as committing writes and commits each partition's commit set: its batches since its last
 * commit, in one file set named by their whole offset range. Their plans stay in the plan file until
 * then, and a restart re-runs them all in order: the marks make the re-run write the same files.
 * Steps 3-5 run in the background while the next micro-batches are planned and published, one commit
 * set after the other (CommitQueue.ts).
 *
 * Where the rest lives: cutting the input into micro-batches, MicroBatchTrigger.ts; what is held per
 * partition (run, uncommitted plans, open commit set), PartitionTable.ts; the rebalance callbacks and
 * the re-run of unfinished plans, Assignment.ts; the state the parts share, ownership and the partition
 * count, ProcessorState.ts; what `status` reports, ProcessorStatus.ts. This file is the loop: each
 * micro-batch's records by partition, replays first, the core, whether it commits; and its supervision.
 *
 * Before its plan and its commit record a partition checks that this instance still owns it (an eager
 * rebalance can give it to another member while a batch runs). Any failure restarts the consumer from
 * the checkpoint with capped exponential backoff (the core's state is spent by a failed batch).
 */
import { Clock, Context, Duration, Effect, Layer, Metric, Semaphore, Stream } from "effect"
import { SESSION_GAP_MS, SESSION_MAX_MS } from "../domain/SessionRecord.ts"
import { Settings } from "../domain/Settings.ts"
import { EventConsumer } from "../kafka/EventConsumer.ts"
import { ConsumerGroupIds, TopicNames } from "../kafka/Topics.ts"
import type { LakeWriterError } from "../lake/EventFileWriter.ts"
import { supervise } from "../platform/Supervise.ts"
import { Assignment } from "./Assignment.ts"
import type { StreamRules } from "./Batch.ts"
import { Checkpointer } from "./Checkpointer.ts"
import { type CommitQueue, makeCommitQueue } from "./CommitQueue.ts"
import type { DecodedBatch, InputRecord } from "./Input.ts"
import { type GroupCommitter, LakeCommitter } from "./LakeCommitter.ts"
import {
  feedReplay,
  newOutput,
  type PartitionOutput,
  participates,
  type StepOptions,
  stepAdvance,
  stepRecords
} from "./MicroBatch.ts"
import { triggerMicroBatches } from "./MicroBatchTrigger.ts"
import { PlanPublisher, planOf } from "./PlanPublisher.ts"
import { ProcessorState } from "./ProcessorState.ts"
import type { StreamProcessorStatus } from "./ProcessorStatus.ts"
import { countBy, partitionLag, StreamMetrics } from "./StreamMetrics.ts"

export type { StreamProcessorStatus } from "./ProcessorStatus.ts"

export interface StreamProcessorOptions {
  /** Consumer group (default "launchpad-stream"); tests use their own. */
  readonly groupId?: string
  readonly sessionTimeoutMs?: number
  readonly heartbeatIntervalMs?: number
  readonly rebalanceTimeoutMs?: number
  /** Fetch long-poll of the consumer. */
  readonly maxWaitTimeMs?: number
  /** Bytes per partition and fetch (default 8 MiB): a backlog fills a micro-batch in a few round trips. */
  readonly maxBytesPerPartition?: number
}

export interface StreamProcessorShape {
  readonly status: Effect.Effect<StreamProcessorStatus>
}

const TOPIC = TopicNames.eventsRaw

const make = (options: StreamProcessorOptions) =>
  Effect.gen(function* () {
    const settings = yield* Settings
    const consumer = yield* EventConsumer
    const state = yield* ProcessorState
    const assignment = yield* Assignment
    const publisher = yield* PlanPublisher
    const lake = yield* LakeCommitter
    const { table, counters } = state
    // One micro-batch or one rebalance callback at a time.
    const lock = yield* Semaphore.make(1)

    const rules: StreamRules = {
      delayMs: Duration.toMillis(settings.watermarkDelay),
      gapMs: SESSION_GAP_MS,
      capMs: SESSION_MAX_MS
    }
    const lakeIntervalMs = Duration.toMillis(settings.lakeInterval)
    const triggerIntervalMs = Duration.toMillis(settings.triggerInterval)

    const runMicroBatch = Effect.fn("StreamProcessor.runBatch")(function* (
      consumerGroup: GroupCommitter,
      commitQueue: CommitQueue<LakeWriterError>,
      batches: ReadonlyArray<DecodedBatch>
    ) {
      const started = yield* Clock.currentTimeMillis
      const byPartition = new Map<number, Array<InputRecord>>()
      const highWatermarks = new Map<number, bigint>()
      for (const batch of batches) {
        const run = table.run(batch.partition)
        // Fetched before a revocation (another member owns the partition now), or a tick.
        if (batch.topic !== TOPIC || run === undefined) continue
        let list = byPartition.get(batch.partition)
        if (list === undefined) {
          list = []
          byPartition.set(batch.partition, list)
        }
        // Never a record twice, nor one before the planned position (re-delivery around a rebalance).
        let lastTaken = list[list.length - 1]?.offset ?? run.nextOffset - 1n
        for (const record of batch.records) {
          if (record.offset <= lastTaken) continue
          list.push(record)
          lastTaken = record.offset
        }
        highWatermarks.set(batch.partition, batch.highWatermark)
      }
      if (byPartition.size === 0 && !table.anyOpenCommitSet()) return

      const step: StepOptions = { rules, processingTimeMs: started }
      // Unfinished plans first, in order: a partition's new records wait until its replays are done.
      for (const run of table.runs()) {
        for (let pending = run.replays[0]; pending !== undefined; pending = run.replays[0]) {
          const fed = feedReplay(pending, byPartition.get(run.partition) ?? [])
          byPartition.set(run.partition, [...fed.rest])
          if (!fed.complete) break
          run.replays.shift()
          yield* commitQueue.drain
          yield* assignment.replay(consumerGroup, run, pending, step)
        }
      }

      const watermarkStartMs = counters.watermarkMs
      const outputs: Array<PartitionOutput> = []
      let records = 0
      for (const run of table.runs()) {
        if (run.replays.length > 0) continue
        const out = newOutput(run)
        const input = byPartition.get(run.partition) ?? []
        records += input.length
        stepRecords(out, input, watermarkStartMs, step)
        outputs.push(out)
      }
      const watermarkEndMs = outputs.reduce((w, out) => Math.max(w, out.run.state.watermarkMs), watermarkStartMs)
      for (const out of outputs) stepAdvance(out, watermarkEndMs, rules)
      // Lake files and commit once per LAUNCHPAD_LAKE_INTERVAL_MS (or a full micro-batch of records);
      // the micro-batches in between only plan and publish. Every open commit set commits with it.
      const opened = table.openedAtMs ?? started
      const commits =
        started - opened >= lakeIntervalMs - triggerIntervalMs || table.openRecords + records >= settings.triggerEvents
      const candidates = outputs.filter(
        (out) => participates(out) || (commits && table.hasOpenCommitSet(out.run.partition))
      )
      const owned = yield* Effect.forEach(candidates, (out) => state.stillOwned(out.run), { concurrency: "unbounded" })
      const participating = candidates
        .filter((_, i) => owned[i] === true)
        .map((out) => ({ out, plan: planOf(out, watermarkStartMs, watermarkEndMs, started, commits) }))
      const computed = yield* Clock.currentTimeMillis
      if (participating.length > 0) {
        const planned = yield* publisher.planAndPublish(participating)
        const published = yield* Clock.currentTimeMillis
        let waitedMs = 0
        if (commits) {
          // Steps 3-5 in the background, one commit set after the other. The sets are taken once the
          // previous ones are written: a partition found taken over meanwhile has none to write.
          yield* commitQueue.drain
          waitedMs = (yield* Clock.currentTimeMillis) - published
          yield* commitQueue.submit(lake.writeAndCommit(consumerGroup, lake.takeCommitSets(planned)))
          table.closeOpen()
        } else {
          table.keepOpen(opened, records)
        }
        let oldestReceivedMs = published
        let newestReceivedMs = 0
        for (const { out } of planned) {
          for (const row of out.lakeRows) {
            oldestReceivedMs = Math.min(oldestReceivedMs, row.event.receivedAtMs)
            newestReceivedMs = Math.max(newestReceivedMs, row.event.receivedAtMs)
          }
        }
        yield* Effect.logDebug("stream: batch planned").pipe(
          Effect.annotateLogs({
            records,
            commits,
            decodeAndCoreMs: computed - started,
            planAndPublishMs: published - computed,
            waitForPreviousMs: waitedMs,
            oldestAgeAtPublishMs: published - oldestReceivedMs,
            newestAgeAtStartMs: started - newestReceivedMs
          })
        )
      }
      counters.watermarkMs = watermarkEndMs

      counters.batches++
      counters.records += records
      yield* countBy(StreamMetrics.events, {}, records)
      for (const [partition, high] of highWatermarks) {
        const run = table.run(partition)
        if (run !== undefined) yield* Metric.update(partitionLag(TOPIC, partition), Number(high - run.nextOffset))
      }
      const now = yield* Clock.currentTimeMillis
      if (Number.isFinite(watermarkEndMs)) {
        yield* Metric.update(StreamMetrics.watermarkDelay, (now - watermarkEndMs) / 1000)
      }
      yield* Metric.update(StreamMetrics.batchDuration, (now - started) / 1000)
    })

    /** One run of the consumer: from the checkpoint, until it fails (or the layer closes). */
    const consume = Effect.gen(function* () {
      table.clear()
      const commitQueue = yield* makeCommitQueue<LakeWriterError>()
      const consumerGroup = consumer.group({
        groupId: options.groupId ?? ConsumerGroupIds.stream,
        topics: [TOPIC],
        fromBeginning: true,
        onAssigned: (partitions) => lock.withPermits(1)(assignment.onAssigned(partitions, commitQueue)),
        onRevoked: (partitions) => lock.withPermits(1)(assignment.onRevoked(partitions, commitQueue)),
        ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
        ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
        ...(options.rebalanceTimeoutMs === undefined ? {} : { rebalanceTimeoutMs: options.rebalanceTimeoutMs }),
        ...(options.maxWaitTimeMs === undefined ? {} : { maxWaitTimeMs: options.maxWaitTimeMs }),
        maxBytesPerPartition: options.maxBytesPerPartition ?? 8 * 1024 * 1024
      })
      yield* triggerMicroBatches(consumerGroup.batches, {
        triggerInterval: settings.triggerInterval,
        triggerEvents: settings.triggerEvents,
        maxEventBytes: settings.maxEventBytes,
        commitSetOpen: () => table.anyOpenCommitSet()
      }).pipe(
        // The next micro-batch is fetched while this one is processed (rebalance callbacks take the lock).
        Stream.buffer({ capacity: 1 }),
        Stream.mapEffect((input) => lock.withPermits(1)(runMicroBatch(consumerGroup, commitQueue, input.batches))),
        Stream.runDrain
      )
      yield* commitQueue.drain
    })

    yield* Effect.forkScoped(
      supervise(Effect.scoped(consume), {
        // Logs "stream: consumer stopped; restarting"; it resumes from the checkpoint.
        name: "stream: consumer",
        initialDelay: "200 millis",
        onRestart: () =>
          Effect.andThen(
            Effect.sync(() => {
              counters.restarts++
            }),
            Metric.update(StreamMetrics.restarts, 1)
          )
      })
    )

    return StreamProcessor.of({ status: state.status })
  })

export class StreamProcessor extends Context.Service<StreamProcessor, StreamProcessorShape>()(
  "launchpad/stream/StreamProcessor"
) {
  /** The processor running in the background for the layer's lifetime; needs Kafka, the lake writers and Settings. */
  static readonly layerWith = (options: StreamProcessorOptions) =>
    Layer.effect(StreamProcessor, make(options)).pipe(
      Layer.provide(Assignment.layer),
      Layer.provide(Layer.mergeAll(PlanPublisher.layer, LakeCommitter.layer)),
      // Fresh: the parts of one processor share its state, and no other processor does.
      Layer.provide(Layer.fresh(ProcessorState.layer)),
      Layer.provide(Checkpointer.layer)
    )

  static readonly layer = StreamProcessor.layerWith({})
}
