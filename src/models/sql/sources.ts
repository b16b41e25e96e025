/** The lake tables the staging models read, with their freshness rules. */
import { eventsTable, sessionsTable } from "../../lake/LakeTable.ts"
import type { SourceDeclaration } from "../runner/Source.ts"

const HOUR_MS = 3_600_000

export const lakeEvents: SourceDeclaration = {
  source: "lake",
  name: "events",
  table: eventsTable,
  description:
    "Every event the stream processor wrote to lake/events (exactly once per Kafka offset; an event_id may " +
    "appear more than once when a client or producer retried), partitioned by occurred_at_corrected.",
  loadedAtField: "occurred_at_corrected",
  // Event time lags wall time by the stream's batch interval; an hour without events means traffic stopped.
  freshness: { warnAfterMs: HOUR_MS, errorAfterMs: 24 * HOUR_MS }
}

export const lakeSessions: SourceDeclaration = {
  source: "lake",
  name: "sessions",
  table: sessionsTable,
  description:
    "Sessions the stream closed (30-minute gap, 24-hour cap) and wrote to lake/sessions, partitioned by session_start.",
  loadedAtField: "session_end",
  // A session is written only after the gap and the watermark delay pass its last event.
  freshness: { warnAfterMs: 6 * HOUR_MS, errorAfterMs: 48 * HOUR_MS }
}

export const sources: ReadonlyArray<SourceDeclaration> = [lakeEvents, lakeSessions]
