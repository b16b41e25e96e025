/**
 * The client session: the same rule as the stream's sessionization (ARCHITECTURE.md "Sessions"), so the session id
 * the SDK sends and the sessions the pipeline computes agree. A new session starts after more than 30
 * minutes without an event, or when the session would span more than 24 hours.
 */
import { SESSION_GAP_MS, SESSION_MAX_MS } from "../domain/SessionRecord.ts"

/** What is stored (shared by every tab of the site): id, start and last activity, in epoch ms. */
export interface SessionState {
  readonly id: string
  readonly start: number
  readonly last: number
}

/** The session an event at `nowMs` belongs to, given the stored one; `newId` is called only when a new one starts. */
export const nextSession = (previous: SessionState | undefined, nowMs: number, newId: () => string): SessionState =>
  previous === undefined || nowMs - previous.last > SESSION_GAP_MS || nowMs - previous.start > SESSION_MAX_MS
    ? { id: newId(), start: nowMs, last: nowMs }
    : { id: previous.id, start: previous.start, last: Math.max(previous.last, nowMs) }

/** A stored session, or undefined when missing or not one (another script's value, a truncated cookie). */
export const parseSession = (text: string | undefined): SessionState | undefined => {
  try {
    const value: unknown = JSON.parse(text ?? "")
    if (typeof value !== "object" || value === null) return undefined
    const { id, start, last } = value as Record<string, unknown>
    return typeof id === "string" && typeof start === "number" && typeof last === "number"
      ? { id, start, last }
      : undefined
  } catch {
    return undefined
  }
}
