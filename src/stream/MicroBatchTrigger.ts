/**
 * The micro-batch trigger: the consumer's record batches, decoded as they are fetched, cut into
 * micro-batches of LAUNCHPAD_TRIGGER_EVENTS records or whatever LAUNCHPAD_TRIGGER_MS gathered, with an
 * empty input every trigger interval while a commit set is open, so that an idle processor commits it.
 */
import { Duration, Effect, Option, Schedule, Sink, Stream } from "effect"
import type { RecordBatch } from "../kafka/EventConsumer.ts"
import { type DecodedBatch, decodeBatch } from "./Input.ts"

export interface MicroBatchInput {
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

export interface TriggerOptions {
  readonly triggerInterval: Duration.Duration
  readonly triggerEvents: number
  readonly maxEventBytes: number
  /** Whether a commit set is open: only then do ticks go in. */
  readonly commitSetOpen: () => boolean
}

/** An empty input: a micro-batch of it plans nothing new, and commits the open commit sets when due. */
const tick = (): DecodedBatch => ({ topic: "", partition: -1, highWatermark: 0n, lag: 0n, records: [] })

export const triggerMicroBatches = <E, R>(
  batches: Stream.Stream<RecordBatch, E, R>,
  options: TriggerOptions
): Stream.Stream<MicroBatchInput, E, R> => {
  // Only while a commit set is open, so that ticks do not cut the records of one fetch into more micro-batches.
  const ticks = Stream.tick(options.triggerInterval).pipe(Stream.filter(options.commitSetOpen), Stream.map(tick))
  return batches.pipe(
    // Decoding needs no state: it runs here, upstream of the processor's buffer, so the next
    // micro-batch is decoded while this one is planned (a plain function: it is the hot path).
    Stream.map((batch) => decodeBatch(batch, options.maxEventBytes)),
    Stream.merge(ticks, { haltStrategy: "left" }),
    Stream.aggregateWithin(
      microBatches(options.triggerEvents),
      microBatchTrigger(options.triggerInterval, options.triggerEvents)
    )
  )
}
