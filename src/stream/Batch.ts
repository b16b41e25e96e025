/**
 * One micro-batch of the stream processor as a pure step over plain state (ARCHITECTURE.md "Stream
 * semantics"): late flags against W at the batch start → dedup → sessions and windows (accepted
 * events only) → advance W from the batch's largest event time → settle sessions, close windows and
 * evict dedup entries under the new W. `processBatch`, `closeAll` and `dropPartitions` take ownership
 * of the state they are given (see `State.ts`).
 */

import { SESSION_GAP_MS, SESSION_MAX_MS, type SessionRecord } from "../domain/SessionRecord.ts"
import { dropDedupPartitions, evictDedup, isDuplicate } from "./Dedup.ts"
import { addSessionEvents, dropSessionPartitions, type SessionRules, settleSessions } from "./Sessions.ts"
import { type StreamState, takeOwnership } from "./State.ts"
import type { StreamEvent } from "./StreamEvent.ts"
import { advanceWatermark, isLate } from "./Watermark.ts"
import {
  addSessionStart,
  addWindowEvent,
  closeWindows,
  dropWindowPartitions,
  isWindowClosed,
  type WindowAccumulator,
  type WindowUpdate,
  windowUpdates
} from "./Windows.ts"

export interface StreamRules extends SessionRules {
  readonly delayMs: number
}

export interface BatchOptions extends StreamRules {
  /** When this batch is processed; latency = processingTimeMs − receivedAtMs. */
  readonly processingTimeMs: number
}

/** The documented defaults (ARCHITECTURE.md): 10 min watermark delay, 30 min session gap, 24 h session cap. */
export const defaultStreamRules: StreamRules = { delayMs: 600_000, gapMs: SESSION_GAP_MS, capMs: SESSION_MAX_MS }

export interface LakeRow<E extends StreamEvent> {
  readonly event: E
  readonly isLate: boolean
}

export interface BatchMetrics {
  readonly inputEvents: number
  /** Late events (kept in the lake, flagged, outside sessions and windows). */
  readonly late: number
  /** Of the late events, those whose minute window had already closed: a closed window they did not change. */
  readonly lateWindowEvents: number
  /** Copies dropped by dedup (from every output, the lake included). */
  readonly duplicates: number
  readonly closedSessions: number
  readonly closedWindows: number
  /** The watermark after this batch (the next batch's W). */
  readonly watermarkMs: number
}

export interface BatchResult<E extends StreamEvent> {
  readonly state: StreamState
  /** Every non-duplicate input event, flagged, in input order. */
  readonly lakeRows: ReadonlyArray<LakeRow<E>>
  /** Sessions that W passed (last event + gap), ordered by (start, user). */
  readonly closedSessions: ReadonlyArray<SessionRecord>
  /** One update per window this batch touched or closed, ordered by (minute, partition). */
  readonly windowUpdates: ReadonlyArray<WindowUpdate>
  readonly metrics: BatchMetrics
}

interface Advanced {
  readonly closedSessions: Array<SessionRecord>
  readonly windowUpdates: Array<WindowUpdate>
  readonly closedWindows: number
}

/** Everything that follows a watermark move, in the order ARCHITECTURE.md gives. */
const advanceTo = (
  state: StreamState,
  watermarkMs: number,
  rules: StreamRules,
  touched: Set<WindowAccumulator>
): Advanced => {
  // Sessions settle before windows close: a session start is counted in its window, still open then.
  const closedSessions = settleSessions(state.sessions, watermarkMs, rules, (session) =>
    addSessionStart(state.windows, session.partition, session.startMs, touched)
  )
  const closed = closeWindows(state.windows, watermarkMs)
  evictDedup(state.dedup, watermarkMs, rules.delayMs)
  return { closedSessions, windowUpdates: windowUpdates(touched, closed), closedWindows: closed.length }
}

export const processBatch = <E extends StreamEvent>(
  given: StreamState,
  events: ReadonlyArray<E>,
  options: BatchOptions
): BatchResult<E> => {
  const state = takeOwnership(given)
  const startWatermarkMs = state.watermarkMs
  const lakeRows: Array<LakeRow<E>> = []
  const accepted: Array<E> = []
  const touched = new Set<WindowAccumulator>()
  let late = 0
  let lateWindowEvents = 0
  let duplicates = 0
  let maxEventTimeMs = Number.NEGATIVE_INFINITY
  for (const event of events) {
    const eventIsLate = isLate(event.eventTimeMs, startWatermarkMs)
    if (isDuplicate(state.dedup, event)) {
      duplicates++
      continue
    }
    lakeRows.push({ event, isLate: eventIsLate })
    if (event.eventTimeMs > maxEventTimeMs) maxEventTimeMs = event.eventTimeMs
    if (eventIsLate) {
      late++
      if (isWindowClosed(event.eventTimeMs, startWatermarkMs)) lateWindowEvents++
      continue
    }
    accepted.push(event)
    addWindowEvent(state.windows, event, options.processingTimeMs, touched)
  }
  addSessionEvents(state.sessions, accepted, options)
  const watermarkMs = advanceWatermark(startWatermarkMs, maxEventTimeMs, options.delayMs)
  const next: StreamState = { ...state, watermarkMs }
  const advanced = advanceTo(next, watermarkMs, options, touched)
  return {
    state: next,
    lakeRows,
    closedSessions: advanced.closedSessions,
    windowUpdates: advanced.windowUpdates,
    metrics: {
      inputEvents: events.length,
      late,
      lateWindowEvents,
      duplicates,
      closedSessions: advanced.closedSessions.length,
      closedWindows: advanced.closedWindows,
      watermarkMs
    }
  }
}

export interface FlushResult {
  readonly state: StreamState
  readonly closedSessions: ReadonlyArray<SessionRecord>
  readonly windowUpdates: ReadonlyArray<WindowUpdate>
}

/**
 * Moves W forward to `watermarkMs` without input (never backwards): sessions settle, windows close and
 * dedup entries expire exactly as after a batch that ended at that W. The processor keeps one state per
 * Kafka partition and uses this to bring each to the W of the whole processor, which other partitions'
 * events (or an earlier owner of the partition) moved.
 */
export const advance = (given: StreamState, watermarkMs: number, rules: StreamRules): FlushResult => {
  const state = takeOwnership(given)
  const next: StreamState = { ...state, watermarkMs: Math.max(state.watermarkMs, watermarkMs) }
  const advanced = advanceTo(next, next.watermarkMs, rules, new Set())
  return { state: next, closedSessions: advanced.closedSessions, windowUpdates: advanced.windowUpdates }
}

/**
 * End of input (tests, a final checkpoint; not the normal path): W moves to +∞, so every session is
 * emitted, every window closes and dedup empties. Any event after this is late.
 */
export const closeAll = (given: StreamState, rules: StreamRules): FlushResult =>
  advance(given, Number.POSITIVE_INFINITY, rules)

/**
 * Forgets the state of revoked partitions. Windows and dedup entries are per partition, and sessions
 * are per user, who lives in one partition because Kafka keys events by user. W is kept: it never
 * decreases.
 */
export const dropPartitions = (given: StreamState, partitions: Iterable<number>): StreamState => {
  const state = takeOwnership(given)
  const revoked = new Set(partitions)
  dropDedupPartitions(state.dedup, revoked)
  dropSessionPartitions(state.sessions, revoked)
  dropWindowPartitions(state.windows, revoked)
  return state
}
