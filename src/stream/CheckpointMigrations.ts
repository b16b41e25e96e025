/**
 * Earlier checkpoint formats, frozen as they were written, and how each becomes today's. A
 * processor upgraded in place restores from what the previous version committed; its next commit
 * writes a fresh snapshot in today's format (`Checkpointer.read`), so old lines are never appended to.
 *
 * - Snapshot format 1 / commit record 2 (up to the single measure definition): an open window kept
 *   each measure as a top-level field and the ids of its distinct users as `users`. Today's window
 *   keeps its measures under `measures`, keyed as `KPI_MEASURES`, the distinct ids under the measure's
 *   own name (`distinctUsers`).
 * - Snapshot format 2: the funnel measure (`funnelSteps`) counted events per step; today it keeps each
 *   user's furthest step. Event counts cannot say which user got how far, so an open window read from
 *   format 2 starts its funnel over: the minutes open at the upgrade undercount their funnel users.
 */
import { Effect, Schema } from "effect"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Counts = Schema.Record(Schema.String, Count)

/** An open window in snapshot format 1 (and in the changelog lines of commit record 2). */
export const WindowJsonV1 = Schema.Struct({
  minuteStartMs: Schema.Int,
  partition: Count,
  events: Count,
  eventsByType: Counts,
  users: Schema.Array(Schema.String),
  sessionsStarted: Count,
  configuratorStarts: Count,
  configuratorCompletions: Count,
  funnelSteps: Counts,
  purchases: Count,
  revenueByCurrency: Schema.Record(Schema.String, Schema.Int),
  latencyBuckets: Schema.Array(Count)
})

const decodeV1 = Schema.decodeUnknownEffect(WindowJsonV1)

/** A format-1 window as today's window JSON (still to be decoded: the measures are checked there). */
export const migrateWindowV1 = (json: unknown) =>
  Effect.map(decodeV1(json), ({ minuteStartMs, partition, users, ...measures }) => ({
    minuteStartMs,
    partition,
    measures: { ...measures, distinctUsers: users }
  }))

/** A format-2 window as format 3: the funnel's event counts are dropped (see above). */
export const migrateWindowV2 = (json: unknown): unknown => {
  if (typeof json !== "object" || json === null || !("measures" in json)) return json
  const { measures } = json
  if (typeof measures !== "object" || measures === null) return json
  return { ...json, measures: { ...measures, funnelSteps: {} } }
}
