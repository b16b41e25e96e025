/**
 * The stream state as it goes into a checkpoint snapshot (ARCHITECTURE.md "Stream semantics: Checkpoint"): plain JSON, decoded
 * through a Schema because a checkpoint file is untrusted input. The queues that index the state by
 * time are not stored; decoding rebuilds them. A snapshot file is NDJSON (a header, then parts of at
 * most PART_ITEMS entries), so that neither writing nor reading holds the whole state as one string:
 * at 5k events/s the horizon's state is hundreds of MB of JSON, past V8's longest string.
 */
import { Effect, Schema } from "effect"
import { AccumulatorsJsonSchema, decodeAccumulators, encodeAccumulators } from "../domain/KpiMeasures.ts"
import { migrateWindowV1, migrateWindowV2 } from "./CheckpointMigrations.ts"
import { restoreDedup } from "./Dedup.ts"
import { restoreSessions, type UserSessions } from "./Sessions.ts"
import { assertCurrent, restoreState, type StreamState } from "./State.ts"
import { restoreWindows, type WindowAccumulator } from "./Windows.ts"

const TimeMs = Schema.Int
const Partition = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const NullableString = Schema.NullOr(Schema.String)

/** JSON has no infinities: W is −∞ before the first event and +∞ after `closeAll`. */
export const WatermarkJson = Schema.Union([Schema.Int, Schema.Literals(["-Infinity", "Infinity"])])

const SessionEventJson = Schema.Struct({
  eventId: Schema.String,
  eventTimeMs: TimeMs,
  eventType: Schema.String,
  deviceType: Schema.String,
  utmSource: NullableString,
  utmMedium: NullableString,
  utmCampaign: NullableString,
  partition: Partition
})

/** A session folded out of raw events; the closed-session record in commit files extends it. */
export const SessionAggregateJson = Schema.Struct({
  startMs: TimeMs,
  endMs: TimeMs,
  eventCount: Count,
  firstEventType: Schema.String,
  lastEventType: Schema.String,
  deviceType: Schema.String,
  utmSource: NullableString,
  utmMedium: NullableString,
  utmCampaign: NullableString,
  isConverted: Schema.Boolean,
  partition: Partition
})

const UserSessionsJson = Schema.Struct({
  userId: Schema.String,
  partition: Partition,
  dueMs: TimeMs,
  folded: Schema.Array(SessionAggregateJson),
  pending: Schema.Array(SessionEventJson)
})

/**
 * An open window: its measures' accumulators (domain/KpiMeasures.ts), distinct measures with their
 * ids (not their size), so that a restored window keeps counting distinct users.
 */
export const WindowJson = Schema.Struct({
  minuteStartMs: TimeMs,
  partition: Partition,
  measures: AccumulatorsJsonSchema
})

export const encodeWindow = (acc: WindowAccumulator): typeof WindowJson.Type => ({
  minuteStartMs: acc.minuteStartMs,
  partition: acc.partition,
  measures: encodeAccumulators(acc.measures)
})

export const decodeWindow = (w: typeof WindowJson.Type): WindowAccumulator => ({
  minuteStartMs: w.minuteStartMs,
  partition: w.partition,
  measures: decodeAccumulators(w.measures)
})

/**
 * Snapshot format 3: windows carry their measures under `measures` (derived from KPI_MEASURES), the
 * funnel's as each user's furthest step. Formats 1 and 2 are read through `CheckpointMigrations.ts`.
 */
export const SNAPSHOT_VERSION = 3

/** Every snapshot format this version reads. */
export type SnapshotFormat = 1 | 2 | typeof SNAPSHOT_VERSION

export const StreamCheckpoint = Schema.Struct({
  version: Schema.Literal(SNAPSHOT_VERSION),
  watermarkMs: WatermarkJson,
  /** [eventId, first event time, partition] */
  dedup: Schema.Array(Schema.Tuple([Schema.String, TimeMs, Partition])),
  users: Schema.Array(UserSessionsJson),
  windows: Schema.Array(WindowJson)
})

export type StreamCheckpoint = typeof StreamCheckpoint.Type

export const watermarkToJson = (watermarkMs: number): typeof WatermarkJson.Type =>
  watermarkMs === Number.NEGATIVE_INFINITY
    ? "-Infinity"
    : watermarkMs === Number.POSITIVE_INFINITY
      ? "Infinity"
      : watermarkMs

export const watermarkFromJson = (json: typeof WatermarkJson.Type): number =>
  json === "-Infinity" ? Number.NEGATIVE_INFINITY : json === "Infinity" ? Number.POSITIVE_INFINITY : json

const encodeUser = (user: UserSessions): typeof UserSessionsJson.Type => ({
  userId: user.userId,
  partition: user.partition,
  dueMs: user.dueMs,
  folded: user.folded.map((s) => ({ ...s })),
  pending: user.pending.map((e) => ({
    eventId: e.eventId,
    eventTimeMs: e.eventTimeMs,
    eventType: e.eventType,
    deviceType: e.deviceType,
    utmSource: e.utmSource,
    utmMedium: e.utmMedium,
    utmCampaign: e.utmCampaign,
    partition: e.partition
  }))
})

const decodeUser = (u: typeof UserSessionsJson.Type): UserSessions => ({
  userId: u.userId,
  partition: u.partition,
  dueMs: u.dueMs,
  folded: u.folded.map((s) => ({ ...s })),
  pending: u.pending.map((e) => ({ ...e }))
})

/** The whole state as one JSON value (tests compare states through it). */
export const encodeState = (state: StreamState): StreamCheckpoint => {
  assertCurrent(state)
  return {
    version: SNAPSHOT_VERSION,
    watermarkMs: watermarkToJson(state.watermarkMs),
    dedup: Array.from(state.dedup.entries, ([eventId, e]) => [eventId, e.firstEventTimeMs, e.partition] as const),
    users: Array.from(state.sessions.users.values(), encodeUser),
    windows: Array.from(state.windows.byPartition.values()).flatMap((minutes) =>
      Array.from(minutes.values(), encodeWindow)
    )
  }
}

const SnapshotHeader = Schema.Struct({ version: Schema.Literals([1, 2, SNAPSHOT_VERSION]), watermarkMs: WatermarkJson })
const SnapshotPart = Schema.Union([
  Schema.Struct({ dedup: StreamCheckpoint.fields.dedup }),
  Schema.Struct({ users: StreamCheckpoint.fields.users }),
  Schema.Struct({ windows: Schema.Array(Schema.Unknown) })
])
const decodeHeader = Schema.decodeUnknownEffect(Schema.fromJsonString(SnapshotHeader))
const decodePart = Schema.decodeUnknownEffect(Schema.fromJsonString(SnapshotPart))
const decodeWindowJson = Schema.decodeUnknownEffect(WindowJson)

/** A window of a snapshot or changelog line written in format `version`, as today's accumulator. */
export const decodeWindowOf = (version: SnapshotFormat) => (json: unknown) =>
  (version === SNAPSHOT_VERSION
    ? decodeWindowJson(json)
    : Effect.flatMap(version === 1 ? migrateWindowV1(json) : Effect.succeed(json), (v2) =>
        decodeWindowJson(migrateWindowV2(v2))
      )
  ).pipe(Effect.map(decodeWindow))

const PART_ITEMS = 4096

function* chunks<A, B>(items: Iterable<A>, f: (a: A) => B): Generator<Array<B>> {
  let chunk: Array<B> = []
  for (const item of items) {
    chunk.push(f(item))
    if (chunk.length === PART_ITEMS) {
      yield chunk
      chunk = []
    }
  }
  if (chunk.length > 0) yield chunk
}

/** The snapshot's lines (without line ends): read lazily from `state`, which must not change meanwhile. */
export function* snapshotLines(state: StreamState): Generator<string> {
  assertCurrent(state)
  yield JSON.stringify({ version: SNAPSHOT_VERSION, watermarkMs: watermarkToJson(state.watermarkMs) })
  for (const dedup of chunks(state.dedup.entries.values(), (e) => [e.eventId, e.firstEventTimeMs, e.partition])) {
    yield JSON.stringify({ dedup })
  }
  for (const users of chunks(state.sessions.users.values(), encodeUser)) yield JSON.stringify({ users })
  for (const minutes of state.windows.byPartition.values()) {
    for (const windows of chunks(minutes.values(), encodeWindow)) yield JSON.stringify({ windows })
  }
}

/**
 * Decodes a snapshot's lines, failing with a `SchemaError`; with the snapshot's format, which is also
 * the format of the windows in the changelog lines that follow it.
 */
export const decodeSnapshot = Effect.fnUntraced(function* (lines: ReadonlyArray<string>) {
  const header = yield* decodeHeader(lines[0] ?? "")
  const dedup: Array<readonly [string, number, number]> = []
  const users: Array<UserSessions> = []
  const windows: Array<WindowAccumulator> = []
  for (let i = 1; i < lines.length; i++) {
    const part = yield* decodePart(lines[i] ?? "")
    if ("dedup" in part) for (const entry of part.dedup) dedup.push(entry)
    else if ("users" in part) for (const user of part.users) users.push(decodeUser(user))
    else for (const window of part.windows) windows.push(yield* decodeWindowOf(header.version)(window))
  }
  const state = restoreState({
    watermarkMs: watermarkFromJson(header.watermarkMs),
    dedup: restoreDedup(dedup),
    sessions: restoreSessions(users),
    windows: restoreWindows(windows)
  })
  return { state, format: header.version }
})
