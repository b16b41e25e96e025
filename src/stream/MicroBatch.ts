/**
 * One micro-batch as the processor runs it, per Kafka partition. Each partition the processor holds
 * has its own core state (dedup and windows are per partition, sessions per user and users are
 * partition-local), so a partition can be checkpointed and handed to another instance on its own.
 * What ties them together is the processor's watermark W: a batch
 *
 *   A. brings every partition with records to the batch's start W (`advance`) and runs the core on its
 *      records (`processBatch`), which moves that partition's W by its own event times;
 *   B. takes the processor's new W as the largest of those, and brings every partition to it.
 *
 * A partition's part of the batch is therefore a function of its committed state, its records, the
 * start and end W and the processing time; the plan stores exactly these, so a re-run is identical.
 */
import type { DeadLetterRecord } from "../domain/DeadLetter.ts"
import type { SessionRecord } from "../domain/SessionRecord.ts"
import { advance, type FlushResult, type LakeRow, processBatch, type StreamRules } from "./Batch.ts"
import type { PartitionPlan } from "./Checkpointer.ts"
import type { InputRecord, ProcessorEvent } from "./Input.ts"
import type { StreamState } from "./State.ts"
import type { StreamEvent } from "./StreamEvent.ts"
import type { WindowUpdate } from "./Windows.ts"

/** A partition the processor holds, as of its last commit plus the batch being run. */
export interface PartitionRun {
  readonly topic: string
  readonly partition: number
  state: StreamState
  /** The next offset to read: one past the last committed record. */
  nextOffset: bigint
  /** `seq` of the last committed plan. */
  seq: number
  maxEventTimeMs: number | null
  /** Sessions closed while the partition had no records, waiting for a batch whose offsets can name their file. */
  unwritten: Array<SessionRecord>
  /** Unfinished plans found at assignment, in order: each is re-run once all its records are here. */
  readonly replays: Array<PendingReplay>
}

/** Anything with a Kafka offset: the processor feeds decoded records (`InputRecord`). */
export interface Positioned {
  readonly offset: bigint
}

export interface PendingReplay<M extends Positioned = InputRecord> {
  readonly plan: PartitionPlan
  readonly messages: Array<M>
}

export interface PartitionMetrics {
  records: number
  late: number
  lateWindowEvents: number
  duplicates: number
}

/** A partition's part of one micro-batch: what to write, publish and commit. */
export interface PartitionOutput<E extends StreamEvent = ProcessorEvent> {
  readonly run: PartitionRun
  readonly watermarkBeforeMs: number
  range: { readonly first: bigint; readonly last: bigint } | null
  readonly lakeRows: Array<LakeRow<E>>
  readonly closedSessions: Array<SessionRecord>
  /** By `minute:partition`; a later update of a window replaces an earlier one of the same batch. */
  readonly windowUpdates: Map<string, WindowUpdate>
  readonly deadLetters: Array<DeadLetterRecord>
  readonly metrics: PartitionMetrics
}

export const newOutput = <E extends StreamEvent = ProcessorEvent>(run: PartitionRun): PartitionOutput<E> => ({
  run,
  watermarkBeforeMs: run.state.watermarkMs,
  range: null,
  lakeRows: [],
  closedSessions: [],
  windowUpdates: new Map(),
  deadLetters: [],
  metrics: { records: 0, late: 0, lateWindowEvents: 0, duplicates: 0 }
})

const collect = <E extends StreamEvent>(
  out: PartitionOutput<E>,
  result: Pick<FlushResult, "closedSessions" | "windowUpdates">
): void => {
  for (const session of result.closedSessions) out.closedSessions.push(session)
  for (const update of result.windowUpdates)
    out.windowUpdates.set(`${update.minuteStartMs}:${update.partition}`, update)
}

/** Whether the partition takes part in the batch: it has records or its W moved. */
export const participates = <E extends StreamEvent>(out: PartitionOutput<E>): boolean =>
  out.range !== null || out.run.state.watermarkMs !== out.watermarkBeforeMs

export interface StepOptions {
  readonly rules: StreamRules
  readonly processingTimeMs: number
}

/** Phase A: to the batch's start W, then the events (if any) through the core. */
export const stepEvents = <E extends StreamEvent>(
  out: PartitionOutput<E>,
  events: ReadonlyArray<E>,
  watermarkStartMs: number,
  options: Pick<StepOptions, "rules" | "processingTimeMs">
): void => {
  const run = out.run
  if (run.state.watermarkMs < watermarkStartMs) {
    const moved = advance(run.state, watermarkStartMs, options.rules)
    run.state = moved.state
    collect(out, moved)
  }
  if (events.length === 0 && out.range === null) return
  for (const event of events) {
    if (run.maxEventTimeMs === null || event.eventTimeMs > run.maxEventTimeMs) run.maxEventTimeMs = event.eventTimeMs
  }
  const result = processBatch(run.state, events, { ...options.rules, processingTimeMs: options.processingTimeMs })
  run.state = result.state
  for (const row of result.lakeRows) out.lakeRows.push(row)
  collect(out, result)
  out.metrics.late += result.metrics.late
  out.metrics.lateWindowEvents += result.metrics.lateWindowEvents
  out.metrics.duplicates += result.metrics.duplicates
}

/** Phase A for decoded Kafka records (`Input.decodeBatch`; failures are dead letters), then `stepEvents`. */
export const stepRecords = (
  out: PartitionOutput,
  records: ReadonlyArray<InputRecord>,
  watermarkStartMs: number,
  options: StepOptions
): void => {
  const first = records[0]
  const last = records[records.length - 1]
  const events: Array<ProcessorEvent> = []
  if (first !== undefined && last !== undefined) {
    out.range = { first: first.offset, last: last.offset }
    out.metrics.records += records.length
    for (const { decoded } of records) {
      if (decoded._tag === "Event") events.push(decoded.event)
      else out.deadLetters.push(decoded.record)
    }
  }
  stepEvents(out, events, watermarkStartMs, options)
}

/** Phase B: to the batch's end W (the processor's W after the batch). */
export const stepAdvance = <E extends StreamEvent>(
  out: PartitionOutput<E>,
  watermarkEndMs: number,
  rules: StreamRules
): void => {
  const run = out.run
  if (run.state.watermarkMs >= watermarkEndMs) return
  const moved = advance(run.state, watermarkEndMs, rules)
  run.state = moved.state
  collect(out, moved)
}

/**
 * Feeds a partition's records to its pending replay. Returns the records after the plan's range (to run
 * normally once the replay is done) and whether the replay has all its records now.
 */
export const feedReplay = <M extends Positioned>(
  replay: PendingReplay<M>,
  messages: ReadonlyArray<M>
): { readonly complete: boolean; readonly rest: ReadonlyArray<M> } => {
  const range = replay.plan.range
  if (range === null) return { complete: true, rest: messages }
  const rest: Array<M> = []
  for (const message of messages) {
    const previous = replay.messages[replay.messages.length - 1]
    if (message.offset > range.last) rest.push(message)
    else if (message.offset >= range.first && (previous === undefined || message.offset > previous.offset)) {
      replay.messages.push(message)
    }
  }
  const last = replay.messages[replay.messages.length - 1]
  // Offsets may have gaps (compacted or transactional topics): a record past the range also ends it.
  return { complete: (last !== undefined && last.offset >= range.last) || rest.length > 0, rest }
}
