/**
 * The checkpoint's changelog (ARCHITECTURE.md "Stream semantics: Checkpoint", made incremental as Flink's and Kafka Streams' are):
 * instead of the whole state, each micro-batch appends what it changed in a partition's state, one
 * NDJSON line per batch, to the changelog of the partition's latest snapshot. A line holds
 *
 *   - the batch's non-duplicate events (dedup entries; the non-late ones are also sessionization input),
 *     as short tuples: [id, time] when late, else [id, time, user, type, device, utm source, medium, campaign];
 *   - every window the batch touched that is still open, whole (its user set included);
 *   - W after the batch.
 *
 * Replaying a line (`applyChangelogLine`) redoes the batch's state changes: it records the dedup
 * entries, adds the events to their users' sessions and settles them at W, puts the windows in place,
 * closes the windows and evicts the dedup entries W passed. That gives the state the batch left, for
 * sessions too, because every event a batch adds is above the W the batch started from: folding and
 * emitting at the batch's last W only, as the replay does, folds the same events in the same order and
 * emits the same sessions as the live run's steps through intermediate watermarks. Session starts are
 * not counted again: they are in the windows the line carries. What expires is dropped by W, so a
 * replayed state is bounded by the horizon like the live one.
 */
import { Effect, Schema } from "effect"
import type { LakeRow, StreamRules } from "./Batch.ts"
import {
  decodeWindowOf,
  encodeWindow,
  SNAPSHOT_VERSION,
  type SnapshotFormat,
  WatermarkJson,
  watermarkFromJson,
  watermarkToJson
} from "./Checkpoint.ts"
import { evictDedup, recordDedup } from "./Dedup.ts"
import { addSessionEvents, type SessionEvent, settleSessions } from "./Sessions.ts"
import { assertCurrent, type StreamState, takeOwnership } from "./State.ts"
import type { StreamEvent } from "./StreamEvent.ts"
import { closeWindows, type WindowAccumulator } from "./Windows.ts"

const TimeMs = Schema.Int
const NullableString = Schema.NullOr(Schema.String)

const LateEventJson = Schema.Tuple([Schema.String, TimeMs])
const AcceptedEventJson = Schema.Tuple([
  Schema.String,
  TimeMs,
  Schema.String,
  Schema.String,
  Schema.String,
  NullableString,
  NullableString,
  NullableString
])

/** A line as written; its windows are in the format of the snapshot it follows (Checkpoint.ts). */
const ChangelogLineJson = Schema.Struct({
  /** The plan this line's batch finished: lines follow their snapshot's `seq` one by one. */
  seq: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  watermarkMs: WatermarkJson,
  events: Schema.Array(Schema.Union([LateEventJson, AcceptedEventJson])),
  windows: Schema.Array(Schema.Unknown)
})

export interface ChangelogLine extends Omit<typeof ChangelogLineJson.Type, "windows"> {
  readonly windows: ReadonlyArray<WindowAccumulator>
}

const decodeLineJson = Schema.decodeUnknownEffect(Schema.fromJsonString(ChangelogLineJson))

/** Decodes a line whose windows are in snapshot format `windowFormat` (today's by default). */
export const decodeChangelogLine = (text: string, windowFormat: SnapshotFormat = SNAPSHOT_VERSION) =>
  Effect.flatMap(decodeLineJson(text), (line) =>
    Effect.map(
      Effect.forEach(line.windows, decodeWindowOf(windowFormat)),
      (windows): ChangelogLine => ({ ...line, windows })
    )
  )

/** What one batch changed in a partition's state, as the processor sees it. */
export interface StateDelta {
  /** The batch's non-duplicate events in processing order (its lake rows). */
  readonly events: ReadonlyArray<LakeRow<StreamEvent>>
  /** Windows the batch touched or closed. */
  readonly windows: Iterable<{ readonly minuteStartMs: number; readonly partition: number }>
}

/** The line for a batch that left `state` (read now: its touched windows as they are after the batch). */
export const changelogLine = (seq: number, state: StreamState, delta: StateDelta): string => {
  assertCurrent(state)
  const events = delta.events.map(({ event: e, isLate }) =>
    isLate
      ? [e.eventId, e.eventTimeMs]
      : [e.eventId, e.eventTimeMs, e.userId, e.eventType, e.deviceType, e.utmSource, e.utmMedium, e.utmCampaign]
  )
  const windows: Array<ReturnType<typeof encodeWindow>> = []
  for (const key of delta.windows) {
    const acc = state.windows.byPartition.get(key.partition)?.get(key.minuteStartMs)
    if (acc !== undefined) windows.push(encodeWindow(acc))
  }
  return JSON.stringify({ seq, watermarkMs: watermarkToJson(state.watermarkMs), events, windows })
}

/** Redoes one line's batch on the state of `partition` (see the module comment); takes ownership of `given`. */
export const applyChangelogLine = (
  given: StreamState,
  line: ChangelogLine,
  partition: number,
  rules: StreamRules
): StreamState => {
  const state = takeOwnership(given)
  const accepted: Array<SessionEvent & { readonly userId: string }> = []
  for (const e of line.events) {
    recordDedup(state.dedup, { eventId: e[0], firstEventTimeMs: e[1], partition })
    if (e.length === 8) {
      accepted.push({
        eventId: e[0],
        eventTimeMs: e[1],
        userId: e[2],
        eventType: e[3],
        deviceType: e[4],
        utmSource: e[5],
        utmMedium: e[6],
        utmCampaign: e[7],
        partition
      })
    }
  }
  addSessionEvents(state.sessions, accepted, rules)
  const watermarkMs = Math.max(state.watermarkMs, watermarkFromJson(line.watermarkMs))
  settleSessions(state.sessions, watermarkMs, rules, () => {})
  for (const window of line.windows) {
    let minutes = state.windows.byPartition.get(window.partition)
    if (minutes === undefined) {
      minutes = new Map()
      state.windows.byPartition.set(window.partition, minutes)
    }
    minutes.set(window.minuteStartMs, window)
  }
  closeWindows(state.windows, watermarkMs)
  evictDedup(state.dedup, watermarkMs, rules.delayMs)
  return { ...state, watermarkMs }
}

/** Decodes and applies lines in order, checking that they continue `seq` one by one. */
export const replayChangelog = Effect.fnUntraced(function* (
  state: StreamState,
  lines: ReadonlyArray<string>,
  fromSeq: number,
  partition: number,
  rules: StreamRules,
  windowFormat: SnapshotFormat = SNAPSHOT_VERSION
) {
  let current = state
  let seq = fromSeq
  for (const text of lines) {
    const line = yield* decodeChangelogLine(text, windowFormat)
    if (line.seq !== seq + 1) return yield* Effect.fail(new Error(`changelog line of seq ${line.seq} after ${seq}`))
    for (const window of line.windows) {
      if (window.partition !== partition) {
        return yield* Effect.fail(new Error(`changelog window of partition ${window.partition}`))
      }
    }
    current = applyChangelogLine(current, line, partition, rules)
    seq = line.seq
  }
  return { state: current, seq }
})
