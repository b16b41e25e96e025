/**
 * The partitions the consumer group gives and takes (the consumer's rebalance callbacks), and the
 * re-run of the plans a partition's previous owner left unfinished.
 *
 * Assignment resumes each partition from its commit record (seeking the consumer there), not from the
 * consumer group's offsets; its unfinished plans are re-run first, once their records are back. The
 * processor's W becomes the largest W among the restored partitions: each partition's state is settled
 * to the W it was committed under, and a lower W would let events re-open windows that were already
 * sent closed. Revocation drops the partition once the commit sets being written are committed; the
 * plans of its open commit set are left to its next owner, who re-runs them.
 */
import { Context, Effect, Layer, Metric } from "effect"
import { partitionKey, type TopicPartition } from "../kafka/EventConsumer.ts"
import type { PublishError } from "../kafka/EventProducer.ts"
import { TopicNames } from "../kafka/Topics.ts"
import type { LakeWriterError } from "../lake/EventFileWriter.ts"
import type { FileIoError } from "../platform/DurableFiles.ts"
import { type CheckpointError, Checkpointer } from "./Checkpointer.ts"
import type { CommitQueue } from "./CommitQueue.ts"
import { type GroupCommitter, LakeCommitter } from "./LakeCommitter.ts"
import {
  newOutput,
  type PartitionRun,
  type PendingReplay,
  type StepOptions,
  stepAdvance,
  stepRecords
} from "./MicroBatch.ts"
import { PlanPublisher } from "./PlanPublisher.ts"
import { ProcessorState } from "./ProcessorState.ts"
import { emptyState } from "./State.ts"
import { partitionLag, StreamMetrics } from "./StreamMetrics.ts"

const TOPIC = TopicNames.eventsRaw

export interface AssignmentShape {
  /**
   * Claims and restores newly assigned partitions once the commit sets being written are committed;
   * returns where the consumer resumes each of them (by `partitionKey`).
   */
  readonly onAssigned: (
    partitions: ReadonlyArray<TopicPartition>,
    commitQueue: CommitQueue<LakeWriterError>
  ) => Effect.Effect<ReadonlyMap<string, bigint>, LakeWriterError | CheckpointError>
  /** Drops revoked partitions once the commit sets being written are committed. */
  readonly onRevoked: (
    partitions: ReadonlyArray<TopicPartition>,
    commitQueue: CommitQueue<LakeWriterError>
  ) => Effect.Effect<void, LakeWriterError>
  /** Re-runs an unfinished plan exactly: same records, same W before and after, same processing time. */
  readonly replay: (
    consumerGroup: GroupCommitter,
    run: PartitionRun,
    pending: PendingReplay,
    step: StepOptions
  ) => Effect.Effect<void, LakeWriterError | FileIoError | PublishError>
}

export class Assignment extends Context.Service<Assignment, AssignmentShape>()("launchpad/stream/Assignment") {
  /** Needs the Checkpointer, the plan publisher, the lake committer and the processor's state. */
  static readonly layer = Layer.effect(
    Assignment,
    Effect.gen(function* () {
      const checkpointer = yield* Checkpointer
      const publisher = yield* PlanPublisher
      const lake = yield* LakeCommitter
      const { table, counters, claim, stillOwned, refreshPartitionCount } = yield* ProcessorState

      const onAssigned = Effect.fn("StreamProcessor.onAssigned")(function* (
        partitions: ReadonlyArray<TopicPartition>,
        commitQueue: CommitQueue<LakeWriterError>
      ) {
        yield* commitQueue.drain
        yield* refreshPartitionCount
        const seeks = new Map<string, bigint>()
        for (const tp of partitions) {
          if (tp.topic !== TOPIC) continue
          yield* claim(tp.partition)
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
          table.add(run, checkpoint.pendingPlans)
          counters.committed.set(tp.partition, run.nextOffset)
          // W never decreases, and the partition's state is already settled to the W it was committed at.
          counters.watermarkMs = Math.max(counters.watermarkMs, run.state.watermarkMs)
          // No checkpoint: the lake is built from the start of the log, whatever the consumer group committed.
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

      const onRevoked = Effect.fn("StreamProcessor.onRevoked")(function* (
        partitions: ReadonlyArray<TopicPartition>,
        commitQueue: CommitQueue<LakeWriterError>
      ) {
        // Its batches are committed first: every batch writes the commit record of each partition it touched.
        yield* commitQueue.drain
        for (const tp of partitions) {
          if (tp.topic !== TOPIC) continue
          // Its open commit set's plans stay pending: its next owner re-runs them.
          table.remove(tp.partition)
          yield* Metric.update(partitionLag(TOPIC, tp.partition), 0)
          yield* Effect.logInfo("stream: partition revoked").pipe(Effect.annotateLogs({ partition: tp.partition }))
        }
      })

      const replay = Effect.fn("StreamProcessor.replay")(function* (
        consumerGroup: GroupCommitter,
        run: PartitionRun,
        pending: PendingReplay,
        step: StepOptions
      ) {
        const plan = pending.plan
        const out = newOutput(run)
        const options = { ...step, processingTimeMs: plan.processingTimeMs }
        stepRecords(out, pending.messages, plan.watermarkStartMs, options)
        stepAdvance(out, plan.watermarkEndMs, step.rules)
        // The records a replay was given may end short of the plan's range only at a gap in the offsets.
        out.range = plan.range
        if (!(yield* stillOwned(run))) return
        const planned = yield* publisher.planAndPublish([{ out, plan }])
        // A plan that did not commit joins the live batches' open commit set, as it did before the restart.
        if (plan.commits) yield* lake.writeAndCommit(consumerGroup, lake.takeCommitSets(planned))
        else if (table.openedAtMs === null) table.keepOpen(step.processingTimeMs, 0)
        counters.watermarkMs = Math.max(counters.watermarkMs, plan.watermarkEndMs)
        yield* Metric.update(StreamMetrics.replays, 1)
        yield* Effect.logInfo("stream: re-ran an unfinished batch").pipe(
          Effect.annotateLogs({ partition: run.partition, seq: plan.seq })
        )
      })

      return Assignment.of({ onAssigned, onRevoked, replay })
    })
  )
}
