/**
 * The state one stream processor's parts share: the partition table (PartitionTable.ts), the counters
 * and W that `status` reports (ProcessorStatus.ts), the partition count of events_raw that every KPI
 * record carries, and ownership: the name of this instance in the partitions' owner files and the
 * check, before a plan and before a commit record, that no other instance took the partition over.
 */
import { Context, Effect, Layer } from "effect"
import { Settings } from "../domain/Settings.ts"
import { BrokerUnavailable, type Kafka } from "../kafka/Kafka.ts"
import { partitionCount, TopicNames } from "../kafka/Topics.ts"
import type { FileIoError } from "../platform/DurableFiles.ts"
import { Checkpointer } from "./Checkpointer.ts"
import type { PartitionRun } from "./MicroBatch.ts"
import { PartitionTable } from "./PartitionTable.ts"
import { ProcessorCounters, type StreamProcessorStatus } from "./ProcessorStatus.ts"

const TOPIC = TopicNames.eventsRaw

export interface ProcessorStateShape {
  readonly table: PartitionTable
  readonly counters: ProcessorCounters
  /**
   * Partitions of events_raw as the cluster has them (LAUNCHPAD_PARTITIONS only sizes a topic we
   * create): every KPI record carries it, and the warehouse closes a minute once that many partitions
   * have passed it.
   */
  readonly partitionCount: () => number
  /** Reads the partition count again (on every assignment); the last one known stands in on failure. */
  readonly refreshPartitionCount: Effect.Effect<void>
  /** Records in the partition's owner file that this instance holds it from now on. */
  readonly claim: (partition: number) => Effect.Effect<void, FileIoError>
  /** False (and the partition dropped from the table) when another instance took it over. */
  readonly stillOwned: (run: PartitionRun) => Effect.Effect<boolean, FileIoError>
  readonly status: Effect.Effect<StreamProcessorStatus>
}

/** The partition count, or `fallback` (with a warning) while the metadata cannot be read. */
const readPartitions = (fallback: number): Effect.Effect<number, never, Kafka> =>
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

export class ProcessorState extends Context.Service<ProcessorState, ProcessorStateShape>()(
  "launchpad/stream/ProcessorState"
) {
  /** Needs Kafka (the topic's metadata, read at start), Settings and the Checkpointer. */
  static readonly layer = Layer.effect(
    ProcessorState,
    Effect.gen(function* () {
      const settings = yield* Settings
      const checkpointer = yield* Checkpointer
      const context = yield* Effect.context<Kafka>()
      const table = new PartitionTable()
      const counters = new ProcessorCounters()
      /** Names this process in the partitions' owner files. */
      const instance = `${process.pid}-${crypto.randomUUID()}`
      let partitions = yield* readPartitions(settings.partitions)

      const refreshPartitionCount = Effect.suspend(() => readPartitions(partitions)).pipe(
        Effect.flatMap((count) =>
          Effect.sync(() => {
            partitions = count
          })
        ),
        Effect.provideContext(context)
      )

      const stillOwned = Effect.fn("StreamProcessor.stillOwned")(function* (run: PartitionRun) {
        if (yield* checkpointer.isOwner(TOPIC, run.partition, instance)) return true
        table.remove(run.partition)
        yield* Effect.logWarning(
          "stream: partition taken over by another instance; its batch is left to the new owner"
        ).pipe(Effect.annotateLogs({ partition: run.partition }))
        return false
      })

      return ProcessorState.of({
        table,
        counters,
        partitionCount: () => partitions,
        refreshPartitionCount,
        claim: (partition) => checkpointer.claim(TOPIC, partition, instance),
        stillOwned,
        status: Effect.sync(() => counters.snapshot(table.partitions()))
      })
    })
  )
}
