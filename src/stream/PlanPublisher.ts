/**
 * Steps 1-2 of a micro-batch (Processor.ts): the plan of each participating partition, then its
 * records for Kafka: dead letters to events_deadletter, window updates and progress to kpi_minute.
 *
 * Live KPIs and dead letters go out before the lake files and the commit record: the plans are
 * durable, so a crash anywhere re-runs them and re-sends identical records (the warehouse upserts by
 * (minute, partition), so that is harmless; dead letters are sent at least once), where the other order
 * would lose them for good; and waiting for DuckDB and fsync would only delay the dashboard.
 */
import { Context, Effect, Layer } from "effect"
import { encodeDeadLetter, REASON_HEADER } from "../domain/DeadLetter.ts"
import { encodeKpiUpdate, type KpiUpdate, kpiKey } from "../domain/KpiMinute.ts"
import type { SessionRecord } from "../domain/SessionRecord.ts"
import { EventProducer, type ProducerRecord, type PublishError } from "../kafka/EventProducer.ts"
import { TopicNames } from "../kafka/Topics.ts"
import type { FileIoError } from "../platform/DurableFiles.ts"
import { Checkpointer, type PartitionPlan } from "./Checkpointer.ts"
import { windowRecord } from "./KpiRecords.ts"
import type { PartitionOutput } from "./MicroBatch.ts"
import type { PlannedBatch } from "./PartitionTable.ts"
import { ProcessorState } from "./ProcessorState.ts"
import { countBy, StreamMetrics } from "./StreamMetrics.ts"

const TOPIC = TopicNames.eventsRaw

/** A partition's output with the plan it is to run under. */
export interface PlanInput {
  readonly out: PartitionOutput
  readonly plan: PartitionPlan
}

export interface PlanPublisherShape {
  /**
   * Moves each run past its batch (offsets, `seq`, sessions waiting for a file), serialises its state,
   * writes the plans and publishes; the planned batches join their partitions' open commit sets.
   */
  readonly planAndPublish: (
    outputs: ReadonlyArray<PlanInput>
  ) => Effect.Effect<ReadonlyArray<PlannedBatch>, FileIoError | PublishError>
}

/** The plan of a partition's part of a micro-batch: everything its re-run needs to be identical. */
export const planOf = (
  out: PartitionOutput,
  watermarkStartMs: number,
  watermarkEndMs: number,
  processingTimeMs: number,
  commits: boolean
): PartitionPlan => ({
  topic: TOPIC,
  partition: out.run.partition,
  seq: out.run.seq + 1,
  range: out.range,
  watermarkStartMs,
  watermarkEndMs,
  processingTimeMs,
  commits
})

const kpiRecord = (update: KpiUpdate): ProducerRecord => ({ key: kpiKey(update), value: encodeKpiUpdate(update) })

export class PlanPublisher extends Context.Service<PlanPublisher, PlanPublisherShape>()(
  "launchpad/stream/PlanPublisher"
) {
  /** Needs the Checkpointer, the EventProducer and the processor's state. */
  static readonly layer = Layer.effect(
    PlanPublisher,
    Effect.gen(function* () {
      const checkpointer = yield* Checkpointer
      const producer = yield* EventProducer
      const { table, partitionCount } = yield* ProcessorState

      const planAndPublish = Effect.fn("StreamProcessor.planAndPublish")(function* (outputs: ReadonlyArray<PlanInput>) {
        const planned: Array<PlannedBatch> = []
        const kpi: Array<ProducerRecord> = []
        const deadLetters: Array<ProducerRecord> = []
        const plansToWrite: Array<ReadonlyArray<PartitionPlan>> = []
        const partitions = partitionCount()
        for (const { out, plan } of outputs) {
          const run = out.run
          for (const session of out.closedSessions) run.unwritten.push(session)
          if (out.range !== null) run.nextOffset = out.range.last + 1n
          run.seq = plan.seq
          let sessions: ReadonlyArray<SessionRecord> = []
          // Sessions wait for a file named by an offset range: a commit set with records.
          if (plan.commits && (out.range !== null || table.commitSetHasRecords(run.partition))) {
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
          // A re-run plan is in the file already, with the batches that follow it.
          const planFile = table.addPlan(plan)
          if (planFile !== undefined) plansToWrite.push(planFile)

          const watermarkMs = run.state.watermarkMs
          const finite = Number.isFinite(watermarkMs)
          let closed = 0
          for (const update of out.windowUpdates.values()) {
            if (update.closed) closed++
            if (finite) kpi.push(kpiRecord(windowRecord(update, partitions, watermarkMs)))
          }
          if (finite) {
            kpi.push(kpiRecord({ kind: "progress", partition: run.partition, partitions, watermarkMs }))
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
        yield* producer.publish(TopicNames.eventsDeadletter, deadLetters)
        yield* producer.publish(TopicNames.kpiMinute, kpi)
        for (const p of planned) table.addToCommitSet(p)
        return planned
      })

      return PlanPublisher.of({ planAndPublish })
    })
  )
}
