/**
 * Steps 3-5 of a micro-batch that commits (Processor.ts), for each partition's commit set (the batches
 * planned since its last commit, PartitionTable.ts):
 *
 *   3. lake             the set's events and the sessions closed since its last file to Parquet, one
 *                       file set named by the set's whole offset range (EventFileWriter,
 *                       SessionFileWriter: temporary name, fsync, rename)
 *   4. commit           the set's changelog lines (serialised when each batch was planned) and the
 *                       commit record of its last batch (Checkpointer.writeCommit)
 *   5. consumer group   the next offset, committed to the consumer group: for lag monitoring only
 *
 * The processor runs them in the background (CommitQueue.ts), or inline for a re-run plan.
 */
import { Clock, Context, Effect, Layer, Metric } from "effect"
import type { SessionRecord } from "../domain/SessionRecord.ts"
import type { ConsumerGroup } from "../kafka/EventConsumer.ts"
import { TopicNames } from "../kafka/Topics.ts"
import { EventFileWriter, type LakeWriterError } from "../lake/EventFileWriter.ts"
import type { EventLakeRow, SessionRow } from "../lake/LakeTable.ts"
import type { WrittenFile } from "../lake/ParquetFileWriter.ts"
import { SessionFileWriter } from "../lake/SessionFileWriter.ts"
import { Checkpointer } from "./Checkpointer.ts"
import type { PlannedBatch } from "./PartitionTable.ts"
import { ProcessorState } from "./ProcessorState.ts"
import { countBy, StreamMetrics } from "./StreamMetrics.ts"

const TOPIC = TopicNames.eventsRaw

/** What step 5 needs of the consumer group. */
export type GroupCommitter = Pick<ConsumerGroup, "commit">

export type CommitSet = ReadonlyArray<PlannedBatch>

export interface LakeCommitterShape {
  /** Takes the open commit sets of the partitions whose batch just committed (steps 3-5 write them). */
  readonly takeCommitSets: (planned: ReadonlyArray<PlannedBatch>) => Array<CommitSet>
  /** Steps 3-5 for the commit sets. */
  readonly writeAndCommit: (
    consumerGroup: GroupCommitter,
    commitSets: ReadonlyArray<CommitSet>
  ) => Effect.Effect<void, LakeWriterError>
}

const sessionRow = ({ partition, ...session }: SessionRecord, processedAtMs: number): SessionRow => ({
  ...session,
  kafkaPartition: partition,
  processedAtMs
})

const recordFiles = (table: string, files: ReadonlyArray<WrittenFile>) =>
  Effect.andThen(
    countBy(StreamMetrics.filesWritten, { table }, files.length),
    countBy(
      StreamMetrics.bytesWritten,
      { table },
      files.reduce((n, f) => n + f.bytes, 0)
    )
  )

export class LakeCommitter extends Context.Service<LakeCommitter, LakeCommitterShape>()(
  "launchpad/stream/LakeCommitter"
) {
  /** Needs the lake writers, the Checkpointer and the processor's state. */
  static readonly layer = Layer.effect(
    LakeCommitter,
    Effect.gen(function* () {
      const eventWriter = yield* EventFileWriter
      const sessionWriter = yield* SessionFileWriter
      const checkpointer = yield* Checkpointer
      const { table, counters, stillOwned } = yield* ProcessorState

      const takeCommitSets = (planned: ReadonlyArray<PlannedBatch>): Array<CommitSet> => {
        const sets: Array<CommitSet> = []
        for (const { plan } of planned) if (plan.commits) sets.push(table.takeCommitSet(plan.partition))
        return sets
      }

      /** Step 3 for one partition's commit set: its events, and the sessions closed since its last file. */
      const writeLake = Effect.fn("StreamProcessor.writeLake")(function* (commitSet: CommitSet) {
        const withRecords = commitSet.filter((p) => p.out.range !== null)
        const firstOffset = withRecords[0]?.out.range?.first
        const lastOffset = withRecords[withRecords.length - 1]?.out.range?.last
        const last = commitSet[commitSet.length - 1]
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

      const writeAndCommit = Effect.fn("StreamProcessor.writeAndCommit")(function* (
        consumerGroup: GroupCommitter,
        commitSets: ReadonlyArray<CommitSet>
      ) {
        const started = yield* Clock.currentTimeMillis
        // Partitions' files in parallel: while one appends rows in JS, DuckDB encodes another's Parquet.
        yield* Effect.forEach(commitSets, writeLake, { concurrency: "unbounded", discard: true })
        const checkpointStarted = yield* Clock.currentTimeMillis
        yield* Effect.forEach(
          commitSets,
          Effect.fnUntraced(function* (commitSet) {
            const last = commitSet[commitSet.length - 1]
            if (last === undefined || !(yield* stillOwned(last.out.run))) return
            yield* checkpointer.writeCommit(commitSet.map((p) => p.commit))
          }),
          { concurrency: 4, discard: true }
        )
        const checkpointDone = yield* Clock.currentTimeMillis
        counters.committedAt(
          checkpointDone,
          commitSets.reduce((n, set) => set.reduce((m, { out }) => m + out.metrics.records, n), 0)
        )
        yield* Metric.update(StreamMetrics.checkpointDuration, (checkpointDone - checkpointStarted) / 1000)
        for (const commitSet of commitSets) {
          const last = commitSet[commitSet.length - 1]
          if (last === undefined) continue
          const { commit, out } = last
          table.dropCommitted(commit.partition, commit.seq)
          if (!table.holds(out.run)) continue
          counters.committed.set(commit.partition, commit.nextOffset)
          if (!commitSet.some((p) => p.out.range !== null)) continue
          // Monitoring only (lag dashboards): the checkpoint is what resumes. A revoked partition refuses it.
          yield* consumerGroup
            .commit(TOPIC, commit.partition, commit.nextOffset)
            .pipe(Effect.catch((e) => Effect.logDebug(`stream: consumer group commit skipped: ${e.message}`)))
        }
        yield* Effect.logDebug("stream: batches written").pipe(
          Effect.annotateLogs({
            batches: commitSets.reduce((n, set) => Math.max(n, set.length), 0),
            lakeMs: checkpointStarted - started,
            commitMs: checkpointDone - checkpointStarted
          })
        )
      })

      return LakeCommitter.of({ takeCommitSets, writeAndCommit })
    })
  )
}
