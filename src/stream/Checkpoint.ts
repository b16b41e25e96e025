/**
 * The stream state as it goes into the checkpoint's commit record (DESIGN "Checkpoint"): plain JSON,
 * decoded through a Schema because a checkpoint file is untrusted input. The queues that index the
 * state by time are not stored; decoding rebuilds them.
 */
import { Effect, Schema } from "effect"
import { restoreDedup } from "./Dedup.ts"
import { LATENCY_BUCKET_BOUNDS_MS, measuresOf, type WindowAccumulator } from "./Measures.ts"
import { restoreSessions, type UserSessions } from "./Sessions.ts"
import { assertCurrent, restoreState, type StreamState } from "./State.ts"
import { restoreWindows } from "./Windows.ts"

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

const CountsJson = Schema.Record(Schema.String, Count)

const WindowJson = Schema.Struct({
  minuteStartMs: TimeMs,
  partition: Partition,
  events: Count,
  eventsByType: CountsJson,
  users: Schema.Array(Schema.String),
  sessionsStarted: Count,
  configuratorStarts: Count,
  configuratorCompletions: Count,
  funnelSteps: CountsJson,
  purchases: Count,
  revenueByCurrency: Schema.Record(Schema.String, Schema.Int),
  latencyBuckets: Schema.Array(Count).check(
    Schema.isBetweenLength(LATENCY_BUCKET_BOUNDS_MS.length + 1, LATENCY_BUCKET_BOUNDS_MS.length + 1)
  )
})

export const StreamCheckpoint = Schema.Struct({
  version: Schema.Literal(1),
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

export const encodeState = (state: StreamState): StreamCheckpoint => {
  assertCurrent(state)
  return {
    version: 1,
    watermarkMs: watermarkToJson(state.watermarkMs),
    dedup: Array.from(state.dedup.entries, ([eventId, e]) => [eventId, e.firstEventTimeMs, e.partition] as const),
    users: Array.from(state.sessions.users.values(), (user) => ({
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
    })),
    windows: Array.from(state.windows.byPartition.values()).flatMap((minutes) =>
      Array.from(minutes.values(), (acc) => {
        // The user set itself is kept (not its size) so that a restored window keeps counting distinct users.
        const { distinctUsers: _size, ...measures } = measuresOf(acc)
        return { minuteStartMs: acc.minuteStartMs, partition: acc.partition, ...measures, users: [...acc.users] }
      })
    )
  }
}

const stateFromCheckpoint = (checkpoint: StreamCheckpoint): StreamState =>
  restoreState({
    watermarkMs: watermarkFromJson(checkpoint.watermarkMs),
    dedup: restoreDedup(checkpoint.dedup),
    sessions: restoreSessions(
      checkpoint.users.map(
        (u): UserSessions => ({
          userId: u.userId,
          partition: u.partition,
          dueMs: u.dueMs,
          folded: u.folded.map((s) => ({ ...s })),
          pending: u.pending.map((e) => ({ ...e }))
        })
      )
    ),
    windows: restoreWindows(
      checkpoint.windows.map(
        (w): WindowAccumulator => ({
          ...w,
          eventsByType: new Map(Object.entries(w.eventsByType)),
          users: new Set(w.users),
          funnelSteps: new Map(Object.entries(w.funnelSteps)),
          revenueByCurrency: new Map(Object.entries(w.revenueByCurrency)),
          latencyBuckets: [...w.latencyBuckets]
        })
      )
    )
  })

const decodeCheckpoint = Schema.decodeUnknownEffect(StreamCheckpoint)

/** Decodes a checkpoint's state (e.g. `JSON.parse` of the commit record), failing with a `SchemaError`. */
export const decodeState = (json: unknown): Effect.Effect<StreamState, Schema.SchemaError> =>
  Effect.map(decodeCheckpoint(json), stateFromCheckpoint)
