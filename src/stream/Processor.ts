/**
 * The stream processor role: consumes `events_raw` in the consumer group "launchpad-stream" as
 * micro-batches (every LAUNCHPAD_TRIGGER_MS, or LAUNCHPAD_TRIGGER_EVENTS records), runs the core per
 * partition (MicroBatch.ts) and makes each batch durable with the checkpoint protocol:
 *
 *   1. plan      write every participating partition's plan (Checkpointer.ts)
 *   2. publish   dead letters to events_deadletter, window updates and progress to kpi_minute (the
 *                plan is durable, so a re-run sends identical records)
 *   3. lake      events and closed sessions to Parquet, one file set per (partition, offset range):
 *                temporary name, fsync, rename (EventFileWriter, SessionFileWriter)
 *   4. commit    every participating partition's changelog lines (what each batch changed in its state,
 *                serialised when it was planned) and commit record (offsets, W, where the state is)
 *   5. group     commit offsets to the consumer group: for lag monitoring only
 *
 * Steps 3-5 do not run for every micro-batch: a micro-batch plans and publishes (live KPIs every
 * trigger), and once per LAUNCHPAD_LAKE_INTERVAL_MS (or LAUNCHPAD_TRIGGER_EVENTS records) one marked
 * in its plan as committing writes the files of all the partition's batches since its last commit
 * (one file set named by their whole offset range) and commits them. Their plans stay in the plan file
 * until then, and a restart re-runs them all in order: the marks make the re-run write the same files.
 * Steps 3-5 run in the background while the next micro-batches are planned and published, one group
 * after the other. Records are decoded as they are fetched (Input.decodeBatch: decoding needs no
 * state), upstream of a one-batch buffer.
 *
 * Kpi updates go out before the commit record: a crash between the two re-runs the plan, which sends
 * the same records again (the warehouse upserts by (minute, partition), so that is harmless); the
 * other order would lose them for good. Dead letters are sent at least once for the same reason.
 *
 * Assignment resumes each partition from its commit record (seeking the consumer there), not from the
 * group's offsets; unfinished plans are re-run first, once their records are back. The processor's W
 * becomes the largest W among the restored partitions: each partition's state is settled to the W it
 * was committed under, and a lower W would let events re-open windows that were already sent closed.
 * Revocation drops the partition's state once the groups being written are committed; the plans of its
 * open group are left to its next owner, who re-runs them. Before its plan and its
 * commit record a partition checks that this instance still owns it (an eager rebalance can give it
 * to another member while a batch runs). Any failure restarts the consumer from the checkpoint with
 * capped exponential backoff (the core's state is spent by a failed batch).
 */
import {
  Clock,
  Context,
  Duration,
  Effect,
  Fiber,
  Layer,
  Metric,
  Option,
  Schedule,
  type Scope,
  Semaphore,
  Sink,
  Stream
} from "effect"
import { encodeDeadLetter, REASON_HEADER } from "../domain/DeadLetter.ts"
import { encodeKpiUpdate, type KpiUpdate, kpiKey } from "../domain/KpiMinute.ts"
import type { SessionRecord } from "../domain/SessionRecord.ts"
import { Settings } from "../domain/Settings.ts"
import { type ConsumerGroup, EventConsumer, partitionKey, type TopicPartition } from "../kafka/EventConsumer.ts"
import { EventProducer, type ProducerRecord } from "../kafka/EventProducer.ts"
import { BrokerUnavailable } from "../kafka/Kafka.ts"
import { ConsumerGroupIds, partitionCount, TopicNames } from "../kafka/Topics.ts"
import { EventFileWriter, type LakeWriterError } from "../lake/EventFileWriter.ts"
import type { EventLakeRow, SessionRow } from "../lake/LakeTable.ts"
import type { WrittenFile } from "../lake/ParquetFileWriter.ts"
import { SessionFileWriter } from "../lake/SessionFileWriter.ts"
import type { StreamRules } from "./Batch.ts"
import { Checkpointer, type PartitionPlan, type PreparedCommit } from "./Checkpointer.ts"
import { type DecodedBatch, decodeBatch, type InputRecord } from "./Input.ts"
import { windowRecord } from "./KpiRecords.ts"
import {
  feedReplay,
  newOutput,
  type PartitionOutput,
  type PartitionRun,
  type PendingReplay,
  participates,
  type StepOptions,
  stepAdvance,
  stepRecords
} from "./MicroBatch.ts"
import { emptyState } from "./State.ts"
import { countBy, StreamMetrics } from "./StreamMetrics.ts"

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

export interface StreamProcessorStatus {
  /** Partitions held now. */
  readonly assigned: ReadonlyArray<number>
  /** Next offset of every partition this instance held, as of its checkpoint (last commit or assignment). */
  readonly committed: ReadonlyMap<number, bigint>
  readonly watermarkMs: number
  readonly batches: number
  readonly records: number
  readonly restarts: number
  /** Clock time of the first and the latest micro-batch commit (null before any). */
  readonly firstCommitAtMs: number | null
  readonly lastCommitAtMs: number | null
  /** Records of the first committed micro-batch (a rate from first to last commit leaves them out). */
  readonly firstCommitRecords: number
}

export interface StreamProcessorShape {
  readonly status: Effect.Effect<StreamProcessorStatus>
}

const TOPIC = TopicNames.eventsRaw

type Committer = Pick<ConsumerGroup, "commit">

interface Counters {
  batches: number
  records: number
  restarts: number
  watermarkMs: number
  firstCommitAtMs: number | null
  lastCommitAtMs: number | null
  firstCommitRecords: number
  readonly committed: Map<number, bigint>
  readonly runs: Map<number, PartitionRun>
}

interface MicroBatchInput {
  readonly batches: Array<DecodedBatch>
  records: number
  /** Each partition's lag after its latest batch here. */
  readonly lag: Map<number, bigint>
}

const microBatches = (triggerEvents: number) =>
  Sink.fold(
    (): MicroBatchInput => ({ batches: [], records: 0, lag: new Map() }),
    (acc) => acc.records < triggerEvents,
    (acc, batch: DecodedBatch) =>
      Effect.sync(() => {
        acc.batches.push(batch)
        acc.records += batch.records.length
        acc.lag.set(batch.partition, batch.lag)
        return acc
      })
  )

/**
 * When a micro-batch is cut short of `triggerEvents`: after `interval` of aggregating, as the trigger
 * says, except during catch-up. If the previous micro-batch left at least a whole micro-batch behind in
 * the log, records are there to fill the next one to `triggerEvents`, and cutting it by time (fetching
 * and decoding share the thread with the batch being written, so filling one takes longer than an
 * idle trigger interval) would only make more, smaller batches, each paying a full commit record.
 * The interval still applies, ten times over, as a bound.
 */
const microBatchTrigger = (interval: Duration.Duration, triggerEvents: number) =>
  Schedule.spaced(interval).pipe(
    Schedule.modifyDelay(({ input, duration }: Schedule.Metadata<number, Option.Option<MicroBatchInput>>) => {
      if (Option.isNone(input)) return Effect.succeed(duration)
      let behind = 0n
      for (const lag of input.value.lag.values()) behind += lag
      return Effect.succeed(behind >= BigInt(triggerEvents) ? Duration.times(duration, 10) : duration)
    })
  )

/**
 * Groups of micro-batches whose lake files and commit may be under way while the next ones are planned.
 * One: a deeper queue held more batches in memory (catch-up: ~75 MB per 50k events) without writing faster.
 */
const MAX_IN_FLIGHT = 1

const sessionRow = ({ partition, ...session }: SessionRecord, processedAtMs: number): SessionRow => ({
  ...session,
  kafkaPartition: partition,
  processedAtMs
})

const make = (options: StreamProcessorOptions) =>
  Effect.gen(function* () {
    const settings = yield* Settings
    const consumer = yield* EventConsumer
    const producer = yield* EventProducer
    const eventWriter = yield* EventFileWriter
    const sessionWriter = yield* SessionFileWriter
    const checkpointer = yield* Checkpointer
    const lock = yield* Semaphore.make(1)
    /** Names this process in the partitions' owner files. */
    const instance = `${process.pid}-${crypto.randomUUID()}`

    const rules: StreamRules = {
      delayMs: Duration.toMillis(settings.watermarkDelay),
      gapMs: Duration.toMillis(settings.sessionGap),
      capMs: Duration.toMillis(settings.sessionMax)
    }
    /**
     * Partitions of events_raw as the cluster has them (LAUNCHPAD_PARTITIONS only sizes a topic we
     * create): every KPI record carries it, and the warehouse closes a minute once that many partitions
     * have passed it. Read at start and again on every assignment; the setting only stands in while
     * the metadata cannot be read.
     */
    const readPartitions = (fallback: number) =>
      partitionCount(TOPIC).pipe(
        // Bounded: it runs inside a rebalance, which must not wait on kafkajs's own retries.
        Effect.timeoutOrElse({
          duration: "5 seconds",
          orElse: () => Effect.fail(new BrokerUnavailable({ message: "topic metadata: no answer within 5 s" }))
        }),
        Effect.catch((error) =>
          Effect.logWarning(`stream: ${error.message}; assuming ${fallback} partitions of ${TOPIC}`).pipe(
            Effect.as(fallback)
          )
        )
      )
    let partitionsTotal = yield* readPartitions(settings.partitions)
    const counters: Counters = {
      batches: 0,
      records: 0,
      restarts: 0,
      watermarkMs: Number.NEGATIVE_INFINITY,
      firstCommitAtMs: null,
      lastCommitAtMs: null,
      firstCommitRecords: 0,
      committed: new Map(),
      runs: new Map()
    }

    const lagGauge = (partition: number) =>
      Metric.withAttributes(StreamMetrics.consumerLag, { topic: TOPIC, partition: String(partition) })

    /** A partition's micro-batch once planned: what steps 3-5 need, fixed when it was planned. */
    interface Planned {
      readonly out: PartitionOutput
      readonly plan: PartitionPlan
      /** On the batch that commits: the sessions to write with the events (closed since the last file). */
      readonly sessions: ReadonlyArray<SessionRecord>
      readonly commit: PreparedCommit
    }

    /**
     * Planned batches of each partition since its last commit: the next batch that commits writes
     * their events into one file set, named by their offset range, and commits their state.
     */
    const openGroups = new Map<number, Array<Planned>>()
    /** When the oldest open group's first batch started (null when none is open). */
    let groupStartedAtMs: number | null = null
    let groupRecords = 0
    const lakeIntervalMs = Duration.toMillis(settings.lakeInterval)
    const triggerIntervalMs = Duration.toMillis(settings.triggerInterval)

    /**
     * Steps 3-5 of the committing groups still being written, oldest first (see the module comment):
     * each waits for the one before it. At most MAX_IN_FLIGHT, so that a lake slower than the input
     * holds back planning instead of piling up batches in memory. And the plans of each partition that
     * are not committed yet (listed again in its next plan file).
     */
    const inFlight: Array<Fiber.Fiber<void, LakeWriterError>> = []
    const uncommitted = new Map<number, Array<PartitionPlan>>()

    /** Waits until at most `keep` groups are being written; a failure of theirs fails the caller. */
    const drainTo = (keep: number): Effect.Effect<void, LakeWriterError> =>
      Effect.suspend(() => {
        const oldest = inFlight[0]
        if (oldest === undefined || inFlight.length <= keep) return Effect.void
        return Fiber.join(oldest).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              if (inFlight[0] === oldest) inFlight.shift()
            })
          ),
          Effect.andThen(drainTo(keep))
        )
      })
    const drain = drainTo(0)

    const onAssigned = (partitions: ReadonlyArray<TopicPartition>) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          yield* drain
          partitionsTotal = yield* readPartitions(partitionsTotal)
          const seeks = new Map<string, bigint>()
          for (const tp of partitions) {
            if (tp.topic !== TOPIC) continue
            yield* checkpointer.claim(TOPIC, tp.partition, instance)
            const checkpoint = yield* checkpointer.read(TOPIC, tp.partition)
            const commit = checkpoint.commit
            const run: PartitionRun = {
              topic: TOPIC,
              partition: tp.partition,
              state: commit?.state ?? emptyState(),
              nextOffset: commit?.nextOffset ?? 0n,
              seq: commit?.seq ?? 0,
              maxEventTimeMs: commit?.maxEventTimeMs ?? null,
              unwritten: [...(commit?.unwrittenSessions ?? [])],
              replays: checkpoint.pendingPlans.map((plan) => ({ plan, messages: [] }))
            }
            counters.runs.set(tp.partition, run)
            // The plan file keeps listing them until they are committed again.
            uncommitted.set(tp.partition, [...checkpoint.pendingPlans])
            counters.committed.set(tp.partition, run.nextOffset)
            // W never decreases, and the partition's state is already settled to the W it was committed at.
            counters.watermarkMs = Math.max(counters.watermarkMs, run.state.watermarkMs)
            // No checkpoint: the lake is built from the start of the log, whatever the group committed.
            seeks.set(partitionKey(tp), run.nextOffset)
            yield* Effect.logInfo("stream: partition assigned").pipe(
              Effect.annotateLogs({
                partition: tp.partition,
                nextOffset: run.nextOffset.toString(),
                replay: run.replays.map((r) => r.plan.seq).join(",") || "none"
              })
            )
          }
          return seeks
        })
      )

    const onRevoked = (partitions: ReadonlyArray<TopicPartition>) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          // Its batches are committed first: every batch writes the commit record of each partition it touched.
          yield* drain
          for (const tp of partitions) {
            if (tp.topic !== TOPIC) continue
            // Its open group's plans stay pending: its next owner re-runs them.
            counters.runs.delete(tp.partition)
            uncommitted.delete(tp.partition)
            openGroups.delete(tp.partition)
            yield* Metric.update(lagGauge(tp.partition), 0)
            yield* Effect.logInfo("stream: partition revoked").pipe(Effect.annotateLogs({ partition: tp.partition }))
          }
        })
      )

    /** False (and the partition dropped) when another instance took it over while this batch ran. */
    const stillOwned = Effect.fn("StreamProcessor.stillOwned")(function* (run: PartitionRun) {
      if (yield* checkpointer.isOwner(TOPIC, run.partition, instance)) return true
      counters.runs.delete(run.partition)
      openGroups.delete(run.partition)
      uncommitted.delete(run.partition)
      yield* Effect.logWarning(
        "stream: partition taken over by another instance; its batch is left to the new owner"
      ).pipe(Effect.annotateLogs({ partition: run.partition }))
      return false
    })

    const planOf = (
      out: PartitionOutput,
      watermarkStartMs: number,
      watermarkEndMs: number,
      processingTimeMs: number,
      commits: boolean
    ) =>
      ({
        topic: TOPIC,
        partition: out.run.partition,
        seq: out.run.seq + 1,
        range: out.range,
        watermarkStartMs,
        watermarkEndMs,
        processingTimeMs,
        commits
      }) satisfies PartitionPlan

    const recordFiles = (table: string, files: ReadonlyArray<WrittenFile>) =>
      Effect.andThen(
        countBy(StreamMetrics.filesWritten, { table }, files.length),
        countBy(
          StreamMetrics.bytesWritten,
          { table },
          files.reduce((n, f) => n + f.bytes, 0)
        )
      )

    /** Step 3 for one partition's group: its events, and the sessions closed since its last file. */
    const writeLake = Effect.fn("StreamProcessor.writeLake")(function* (group: ReadonlyArray<Planned>) {
      const withRecords = group.filter((p) => p.out.range !== null)
      const firstOffset = withRecords[0]?.out.range?.first
      const lastOffset = withRecords[withRecords.length - 1]?.out.range?.last
      const last = group[group.length - 1]
      if (firstOffset === undefined || lastOffset === undefined || last === undefined) return
      const batchId = { topic: TOPIC, partition: last.plan.partition, firstOffset, lastOffset }
      const rows: Array<EventLakeRow> = []
      for (const { out, plan } of withRecords) {
        for (const row of out.lakeRows) {
          rows.push({
            ...row.event.lake,
            kafkaPartition: plan.partition,
            kafkaOffset: row.event.offset,
            isLate: row.isLate,
            processedAtMs: plan.processingTimeMs
          })
        }
      }
      yield* recordFiles("events", yield* eventWriter.write({ ...batchId, rows }))
      if (last.sessions.length > 0) {
        const processedAtMs = last.plan.processingTimeMs
        const written = yield* sessionWriter.write({
          ...batchId,
          rows: last.sessions.map((session) => sessionRow(session, processedAtMs))
        })
        yield* recordFiles("sessions", written)
      }
      yield* countBy(StreamMetrics.sessionsClosed, {}, last.sessions.length)
    })

    /**
     * Steps 1-2 for the participating partitions' outputs: moves each run past its batch (offsets,
     * `seq`, sessions waiting for a file), serialises its state, writes the plans and publishes.
     */
    const planAndPublish = Effect.fn("StreamProcessor.planAndPublish")(function* (
      outputs: ReadonlyArray<{ readonly out: PartitionOutput; readonly plan: PartitionPlan }>
    ) {
      const planned: Array<Planned> = []
      const kpi: Array<ProducerRecord> = []
      const deadLetters: Array<ProducerRecord> = []
      const plansToWrite: Array<ReadonlyArray<PartitionPlan>> = []
      for (const { out, plan } of outputs) {
        const run = out.run
        for (const session of out.closedSessions) run.unwritten.push(session)
        if (out.range !== null) run.nextOffset = out.range.last + 1n
        run.seq = plan.seq
        let sessions: ReadonlyArray<SessionRecord> = []
        // Sessions wait for a file named by an offset range: a group with records.
        const hasRecords = out.range !== null || (openGroups.get(run.partition) ?? []).some((p) => p.out.range !== null)
        if (plan.commits && hasRecords) {
          sessions = run.unwritten
          run.unwritten = []
        }
        const commit = checkpointer.prepareCommit(
          {
            topic: TOPIC,
            partition: run.partition,
            seq: run.seq,
            nextOffset: run.nextOffset,
            maxEventTimeMs: run.maxEventTimeMs,
            state: run.state,
            unwrittenSessions: run.unwritten
          },
          { events: out.lakeRows, windows: out.windowUpdates.values() }
        )
        planned.push({ out, plan, sessions, commit })
        const pending = uncommitted.get(plan.partition) ?? []
        // A re-run plan is in the file already, with the batches that follow it.
        if (!pending.some((p) => p.seq === plan.seq)) {
          pending.push(plan)
          uncommitted.set(plan.partition, pending)
          plansToWrite.push([...pending])
        }

        const watermarkMs = run.state.watermarkMs
        const finite = Number.isFinite(watermarkMs)
        let closed = 0
        for (const update of out.windowUpdates.values()) {
          if (update.closed) closed++
          if (finite) kpi.push(kpiRecord(windowRecord(update, partitionsTotal, watermarkMs)))
        }
        if (finite) {
          kpi.push(kpiRecord({ kind: "progress", partition: run.partition, partitions: partitionsTotal, watermarkMs }))
        }
        for (const record of out.deadLetters) {
          deadLetters.push({
            key: record.event_id,
            value: encodeDeadLetter(record),
            headers: { [REASON_HEADER]: record.reason }
          })
          yield* countBy(StreamMetrics.deadLettered, { reason: record.reason }, 1)
        }
        yield* countBy(StreamMetrics.windowsClosed, {}, closed)
        yield* countBy(StreamMetrics.lateEvents, {}, out.metrics.late)
        yield* countBy(StreamMetrics.lateWindowEvents, {}, out.metrics.lateWindowEvents)
        yield* countBy(StreamMetrics.duplicates, {}, out.metrics.duplicates)
      }
      yield* Effect.forEach(plansToWrite, checkpointer.writePlans, { concurrency: 4, discard: true })
      // Live KPIs and dead letters go out before the lake files are written: the plans are durable, so a
      // crash anywhere re-runs them and re-sends identical records (the warehouse upserts by
      // (minute, partition)); waiting for DuckDB and fsync would only delay the dashboard.
      yield* producer.publish(TopicNames.eventsDeadletter, deadLetters)
      yield* producer.publish(TopicNames.kpiMinute, kpi)
      for (const p of planned) {
        const group = openGroups.get(p.plan.partition) ?? []
        group.push(p)
        openGroups.set(p.plan.partition, group)
      }
      return planned
    })

    /** Takes the open groups of the partitions whose batch just committed (steps 3-5 write them). */
    const takeGroups = (planned: ReadonlyArray<Planned>): Array<ReadonlyArray<Planned>> => {
      const groups: Array<ReadonlyArray<Planned>> = []
      for (const { plan } of planned) {
        if (!plan.commits) continue
        groups.push(openGroups.get(plan.partition) ?? [])
        openGroups.delete(plan.partition)
      }
      return groups
    }

    /** Steps 3-5 for committing groups, in the background of the next micro-batches. */
    const writeAndCommit = Effect.fn("StreamProcessor.writeAndCommit")(function* (
      group: Committer,
      groups: ReadonlyArray<ReadonlyArray<Planned>>
    ) {
      const started = yield* Clock.currentTimeMillis
      // Partitions' files in parallel: while one appends rows in JS, DuckDB encodes another's Parquet.
      yield* Effect.forEach(groups, writeLake, { concurrency: "unbounded", discard: true })
      const checkpointStarted = yield* Clock.currentTimeMillis
      yield* Effect.forEach(
        groups,
        Effect.fnUntraced(function* (planned) {
          const last = planned[planned.length - 1]
          if (last === undefined || !(yield* stillOwned(last.out.run))) return
          yield* checkpointer.writeCommit(planned.map((p) => p.commit))
        }),
        { concurrency: 4, discard: true }
      )
      const checkpointDone = yield* Clock.currentTimeMillis
      if (counters.firstCommitAtMs === null) {
        counters.firstCommitAtMs = checkpointDone
        counters.firstCommitRecords = groups.flat().reduce((n, { out }) => n + out.metrics.records, 0)
      }
      counters.lastCommitAtMs = checkpointDone
      yield* Metric.update(StreamMetrics.checkpointDuration, (checkpointDone - checkpointStarted) / 1000)
      for (const planned of groups) {
        const last = planned[planned.length - 1]
        if (last === undefined) continue
        const { commit, out } = last
        const pending = uncommitted.get(commit.partition)
        if (pending !== undefined) {
          uncommitted.set(
            commit.partition,
            pending.filter((p) => p.seq > commit.seq)
          )
        }
        if (counters.runs.get(out.run.partition) !== out.run) continue
        counters.committed.set(commit.partition, commit.nextOffset)
        if (!planned.some((p) => p.out.range !== null)) continue
        // Monitoring only (lag dashboards): the checkpoint is what resumes. A revoked partition refuses it.
        yield* group
          .commit(TOPIC, commit.partition, commit.nextOffset)
          .pipe(Effect.catch((e) => Effect.logDebug(`stream: group commit skipped: ${e.message}`)))
      }
      yield* Effect.logDebug("stream: batches written").pipe(
        Effect.annotateLogs({
          batches: groups.reduce((n, g) => Math.max(n, g.length), 0),
          lakeMs: checkpointStarted - started,
          commitMs: checkpointDone - checkpointStarted
        })
      )
    })

    const kpiRecord = (update: KpiUpdate): ProducerRecord => ({ key: kpiKey(update), value: encodeKpiUpdate(update) })

    /** Re-runs an unfinished plan exactly: same records, same W before and after, same processing time. */
    const replay = Effect.fn("StreamProcessor.replay")(function* (
      group: Committer,
      run: PartitionRun,
      pending: PendingReplay,
      step: StepOptions
    ) {
      const plan = pending.plan
      const out = newOutput(run)
      const options = { ...step, processingTimeMs: plan.processingTimeMs }
      stepRecords(out, pending.messages, plan.watermarkStartMs, options)
      stepAdvance(out, plan.watermarkEndMs, rules)
      // The records a replay was given may end short of the plan's range only at a gap in the offsets.
      out.range = plan.range
      if (!(yield* stillOwned(run))) return
      const planned = yield* planAndPublish([{ out, plan }])
      // A plan that did not commit joins the live batches' open group, as it did before the restart.
      if (plan.commits) yield* writeAndCommit(group, takeGroups(planned))
      else if (groupStartedAtMs === null) groupStartedAtMs = step.processingTimeMs
      counters.watermarkMs = Math.max(counters.watermarkMs, plan.watermarkEndMs)
      yield* Metric.update(StreamMetrics.replays, 1)
      yield* Effect.logInfo("stream: re-ran an unfinished batch").pipe(
        Effect.annotateLogs({ partition: run.partition, seq: plan.seq })
      )
    })

    const runMicroBatch = Effect.fn("StreamProcessor.runBatch")(function* (
      group: Committer,
      batches: ReadonlyArray<DecodedBatch>,
      scope: Scope.Scope
    ) {
      const started = yield* Clock.currentTimeMillis
      const byPartition = new Map<number, Array<InputRecord>>()
      const highWatermarks = new Map<number, bigint>()
      for (const batch of batches) {
        const run = counters.runs.get(batch.partition)
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
      if (byPartition.size === 0 && openGroups.size === 0) return

      const step: StepOptions = { rules, processingTimeMs: started }
      // Unfinished plans first, in order: a partition's new records wait until its replays are done.
      for (const run of counters.runs.values()) {
        for (let pending = run.replays[0]; pending !== undefined; pending = run.replays[0]) {
          const fed = feedReplay(pending, byPartition.get(run.partition) ?? [])
          byPartition.set(run.partition, [...fed.rest])
          if (!fed.complete) break
          run.replays.shift()
          yield* drain
          yield* replay(group, run, pending, step)
        }
      }

      const watermarkStartMs = counters.watermarkMs
      const outputs: Array<PartitionOutput> = []
      let records = 0
      for (const run of counters.runs.values()) {
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
      // the micro-batches in between only plan and publish. Every open group commits with it.
      const opened = groupStartedAtMs ?? started
      const commits =
        started - opened >= lakeIntervalMs - triggerIntervalMs || groupRecords + records >= settings.triggerEvents
      const candidates = outputs.filter((out) => participates(out) || (commits && openGroups.has(out.run.partition)))
      const owned = yield* Effect.forEach(candidates, (out) => stillOwned(out.run), { concurrency: "unbounded" })
      const participating = candidates
        .filter((_, i) => owned[i] === true)
        .map((out) => ({ out, plan: planOf(out, watermarkStartMs, watermarkEndMs, started, commits) }))
      const computed = yield* Clock.currentTimeMillis
      if (participating.length > 0) {
        const planned = yield* planAndPublish(participating)
        const published = yield* Clock.currentTimeMillis
        let waitedMs = 0
        if (commits) {
          // Steps 3-5 in the background, one group after the other.
          yield* drainTo(MAX_IN_FLIGHT - 1)
          waitedMs = (yield* Clock.currentTimeMillis) - published
          const previous = inFlight[inFlight.length - 1]
          const write = writeAndCommit(group, takeGroups(planned))
          inFlight.push(
            yield* Effect.forkIn(previous === undefined ? write : Effect.andThen(Fiber.join(previous), write), scope)
          )
          groupStartedAtMs = null
          groupRecords = 0
        } else {
          groupStartedAtMs = opened
          groupRecords += records
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
        const run = counters.runs.get(partition)
        if (run !== undefined) yield* Metric.update(lagGauge(partition), Number(high - run.nextOffset))
      }
      const now = yield* Clock.currentTimeMillis
      if (Number.isFinite(watermarkEndMs)) {
        yield* Metric.update(StreamMetrics.watermarkDelay, (now - watermarkEndMs) / 1000)
      }
      yield* Metric.update(StreamMetrics.batchDuration, (now - started) / 1000)
    })

    /**
     * Lets an idle processor commit its open groups: an empty input every trigger interval while a group
     * is open (only then, so that ticks do not cut the records of one fetch into more micro-batches).
     */
    const ticks = Stream.tick(settings.triggerInterval).pipe(
      Stream.filter(() => openGroups.size > 0),
      Stream.map((): DecodedBatch => ({ topic: "", partition: -1, highWatermark: 0n, lag: 0n, records: [] }))
    )

    const consume = Effect.scoped(
      Effect.gen(function* () {
        const scope = yield* Effect.scope
        counters.runs.clear()
        uncommitted.clear()
        openGroups.clear()
        groupStartedAtMs = null
        groupRecords = 0
        inFlight.length = 0
        const group = consumer.group({
          groupId: options.groupId ?? ConsumerGroupIds.stream,
          topics: [TOPIC],
          fromBeginning: true,
          onAssigned,
          onRevoked,
          ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
          ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
          ...(options.rebalanceTimeoutMs === undefined ? {} : { rebalanceTimeoutMs: options.rebalanceTimeoutMs }),
          ...(options.maxWaitTimeMs === undefined ? {} : { maxWaitTimeMs: options.maxWaitTimeMs }),
          maxBytesPerPartition: options.maxBytesPerPartition ?? 8 * 1024 * 1024
        })
        yield* group.batches.pipe(
          // Decoding needs no state: it runs here, upstream of the buffer, so the next micro-batch is
          // decoded while this one is planned (a plain function: it is the hot path).
          Stream.map((batch) => decodeBatch(batch, settings.maxEventBytes)),
          Stream.merge(ticks, { haltStrategy: "left" }),
          Stream.aggregateWithin(
            microBatches(settings.triggerEvents),
            microBatchTrigger(settings.triggerInterval, settings.triggerEvents)
          ),
          // The next micro-batch is fetched while this one is processed (rebalance callbacks take the lock).
          Stream.buffer({ capacity: 1 }),
          Stream.mapEffect((acc) => lock.withPermits(1)(runMicroBatch(group, acc.batches, scope))),
          Stream.runDrain
        )
        yield* drain
      })
    )

    const supervised = consume.pipe(
      Effect.tapCause((cause) =>
        Effect.gen(function* () {
          counters.restarts++
          yield* Metric.update(StreamMetrics.restarts, 1)
          yield* Effect.logError("stream: consumer failed; restarting from the checkpoint", cause)
        })
      ),
      Effect.retry(Schedule.min([Schedule.exponential("200 millis"), Schedule.spaced("30 seconds")]))
    )
    yield* Effect.forkScoped(supervised)

    const status = Effect.sync(
      (): StreamProcessorStatus => ({
        assigned: [...counters.runs.keys()].sort((a, b) => a - b),
        committed: new Map(counters.committed),
        watermarkMs: counters.watermarkMs,
        batches: counters.batches,
        records: counters.records,
        restarts: counters.restarts,
        firstCommitAtMs: counters.firstCommitAtMs,
        lastCommitAtMs: counters.lastCommitAtMs,
        firstCommitRecords: counters.firstCommitRecords
      })
    )
    return StreamProcessor.of({ status })
  })

export class StreamProcessor extends Context.Service<StreamProcessor, StreamProcessorShape>()(
  "launchpad/stream/StreamProcessor"
) {
  /** The processor running in the background for the layer's lifetime; needs Kafka, the lake writers and Settings. */
  static readonly layerWith = (options: StreamProcessorOptions) =>
    Layer.effect(StreamProcessor, make(options)).pipe(Layer.provide(Checkpointer.layer))

  static readonly layer = StreamProcessor.layerWith({})
}
