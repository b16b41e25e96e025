/**
 * Sessionization per user in event-time order (ARCHITECTURE.md "Stream semantics: Sessions"). Walking a user's events in the
 * total order `compareEventOrder`, an event starts a new session when the gap to the previous event is
 * more than `gapMs` (exactly `gapMs` continues, as in Spark, Flink and Kafka Streams) or when it would
 * make the session span more than `capMs` (t − start > cap, PostHog's cap).
 *
 * Late events take no part: only accepted (non-late, non-duplicate) events are sessionized, and the SQL
 * model `int_sessions` excludes `is_late` rows too. That is what makes batch = stream hold: a late
 * event could otherwise bridge sessions that were already emitted.
 *
 * Why this is exact under any batch split: an accepted event of a later batch has t > W. So the walk
 * over events ≤ W is final, and those events are folded into per-session aggregates (their raw
 * events are forgotten, so a user active for 24 h costs one aggregate, not 24 h of events). Events
 * > W stay raw in `pending`, since an event still to come may land between them (and bridge two
 * sessions, or shift where the cap cuts). A session is emitted when W ≥ last event + gap: every later
 * event then has t − last > gap, so it cannot join. Each user is touched only when new events arrive
 * or when W reaches its `dueMs`, through a time-ordered queue.
 */
import { PURCHASE_EVENT } from "../domain/Metrics.ts"
import { type SessionRecord, sessionKeyOf } from "../domain/SessionRecord.ts"
import { compareEventOrder, type StreamEvent } from "./StreamEvent.ts"
import { TimeQueue } from "./TimeQueue.ts"

export interface SessionRules {
  readonly gapMs: number
  readonly capMs: number
}

/** What sessionization keeps of an event while it is pending. */
export type SessionEvent = Pick<
  StreamEvent,
  "eventId" | "eventTimeMs" | "eventType" | "deviceType" | "utmSource" | "utmMedium" | "utmCampaign" | "partition"
>

/** A session built from events ≤ W; attributes of the first event, counts of all. */
export interface SessionAggregate {
  readonly startMs: number
  endMs: number
  eventCount: number
  readonly firstEventType: string
  lastEventType: string
  readonly deviceType: string
  readonly utmSource: string | null
  readonly utmMedium: string | null
  readonly utmCampaign: string | null
  isConverted: boolean
  /** Partition of the first event: where the session start is counted. */
  readonly partition: number
}

export interface UserSessions {
  readonly userId: string
  /** The user's partition, so that a revoked partition's users can be dropped. */
  partition: number
  /** Sessions of folded events (all ≤ W) in time order; only the last can still grow. */
  readonly folded: Array<SessionAggregate>
  /** Accepted events > W, sorted by `compareEventOrder`. */
  readonly pending: Array<SessionEvent>
  /** The watermark at which this user next needs attention (see `dueOf`); +∞ once it left the state. */
  dueMs: number
}

export interface SessionState {
  readonly users: Map<string, UserSessions>
  /** (dueMs, user); an entry is stale when the user's `dueMs` has moved on. */
  readonly due: TimeQueue<UserSessions>
}

export const emptySessions = (): SessionState => ({ users: new Map(), due: new TimeQueue() })

export const restoreSessions = (users: Iterable<UserSessions>): SessionState => {
  const sessions = emptySessions()
  for (const user of users) {
    sessions.users.set(user.userId, user)
    sessions.due.push(user.dueMs, user)
  }
  return sessions
}

/**
 * The next watermark at which something changes for the user: its oldest folded session becomes
 * emittable, or its oldest pending event becomes foldable (which may start a session to count).
 */
const dueOf = (user: UserSessions, gapMs: number): number => {
  const oldest = user.folded[0]
  const emitAt = oldest === undefined ? Number.POSITIVE_INFINITY : oldest.endMs + gapMs
  const foldAt = user.pending[0]?.eventTimeMs ?? Number.POSITIVE_INFINITY
  return Math.min(emitAt, foldAt)
}

const reschedule = (sessions: SessionState, user: UserSessions, gapMs: number): void => {
  const dueMs = dueOf(user, gapMs)
  if (dueMs === user.dueMs) return
  user.dueMs = dueMs
  if (dueMs !== Number.POSITIVE_INFINITY) sessions.due.push(dueMs, user)
}

/** Removes the user; its queue entries go stale. */
const forget = (sessions: SessionState, user: UserSessions): void => {
  user.dueMs = Number.POSITIVE_INFINITY
  sessions.users.delete(user.userId)
}

/**
 * Adds a batch's accepted events (all > W at the batch start). Each goes into its user's pending list
 * by insertion from the end: O(1) for events in order, and only the lists touched are reordered.
 */
export const addSessionEvents = (
  sessions: SessionState,
  events: ReadonlyArray<SessionEvent & { readonly userId: string }>,
  rules: SessionRules
): void => {
  for (const event of events) {
    let user = sessions.users.get(event.userId)
    if (user === undefined) {
      user = {
        userId: event.userId,
        partition: event.partition,
        folded: [],
        pending: [],
        dueMs: Number.POSITIVE_INFINITY
      }
      sessions.users.set(event.userId, user)
    }
    user.partition = event.partition
    // A copy of just what sessionization reads: the caller's event object (the processor's carries the
    // record's JSON for the lake) would otherwise stay reachable for as long as the event is pending.
    const kept: SessionEvent = {
      eventId: event.eventId,
      eventTimeMs: event.eventTimeMs,
      eventType: event.eventType,
      deviceType: event.deviceType,
      utmSource: event.utmSource,
      utmMedium: event.utmMedium,
      utmCampaign: event.utmCampaign,
      partition: event.partition
    }
    const pending = user.pending
    let i = pending.length
    pending.push(kept)
    for (; i > 0; i--) {
      const before = pending[i - 1]
      if (before === undefined || compareEventOrder(before, kept) <= 0) break
      pending[i] = before
    }
    pending[i] = kept
    // Only a new oldest pending event can move the user's due time.
    if (i === 0) reschedule(sessions, user, rules.gapMs)
  }
}

const startSession = (event: SessionEvent): SessionAggregate => ({
  startMs: event.eventTimeMs,
  endMs: event.eventTimeMs,
  eventCount: 1,
  firstEventType: event.eventType,
  lastEventType: event.eventType,
  deviceType: event.deviceType,
  utmSource: event.utmSource,
  utmMedium: event.utmMedium,
  utmCampaign: event.utmCampaign,
  isConverted: event.eventType === PURCHASE_EVENT,
  partition: event.partition
})

const recordOf = (userId: string, s: SessionAggregate): SessionRecord => ({
  userId,
  sessionKey: sessionKeyOf(userId, s.startMs),
  partition: s.partition,
  startMs: s.startMs,
  endMs: s.endMs,
  eventCount: s.eventCount,
  firstEventType: s.firstEventType,
  lastEventType: s.lastEventType,
  deviceType: s.deviceType,
  utmSource: s.utmSource,
  utmMedium: s.utmMedium,
  utmCampaign: s.utmCampaign,
  isBounce: s.eventCount === 1,
  isConverted: s.isConverted
})

/** Folds the user's pending events ≤ W into sessions, then emits the sessions with W ≥ end + gap. */
const settleUser = (
  user: UserSessions,
  watermarkMs: number,
  rules: SessionRules,
  onSessionStart: (session: SessionAggregate) => void,
  emitted: Array<SessionRecord>
): void => {
  let folded = 0
  for (const event of user.pending) {
    if (event.eventTimeMs > watermarkMs) break
    folded++
    const current = user.folded[user.folded.length - 1]
    if (
      current === undefined ||
      event.eventTimeMs - current.endMs > rules.gapMs ||
      event.eventTimeMs - current.startMs > rules.capMs
    ) {
      const session = startSession(event)
      user.folded.push(session)
      onSessionStart(session)
    } else {
      current.endMs = event.eventTimeMs
      current.eventCount++
      current.lastEventType = event.eventType
      if (event.eventType === PURCHASE_EVENT) current.isConverted = true
    }
  }
  user.pending.splice(0, folded)
  let done = 0
  for (const session of user.folded) {
    if (watermarkMs < session.endMs + rules.gapMs) break
    emitted.push(recordOf(user.userId, session))
    done++
  }
  user.folded.splice(0, done)
}

/**
 * Advances sessionization to `watermarkMs`: settles exactly the users that are due, reports each new
 * session start (now final) to `onSessionStart`, and returns the emitted sessions ordered by
 * (start, user).
 */
export const settleSessions = (
  sessions: SessionState,
  watermarkMs: number,
  rules: SessionRules,
  onSessionStart: (session: SessionAggregate) => void
): Array<SessionRecord> => {
  const emitted: Array<SessionRecord> = []
  sessions.due.popUntil(watermarkMs, (dueMs, user) => {
    if (user.dueMs !== dueMs) return
    settleUser(user, watermarkMs, rules, onSessionStart, emitted)
    if (user.folded.length === 0 && user.pending.length === 0) forget(sessions, user)
    else reschedule(sessions, user, rules.gapMs)
  })
  return emitted.sort((a, b) => a.startMs - b.startMs || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))
}

export const dropSessionPartitions = (sessions: SessionState, partitions: ReadonlySet<number>): void => {
  for (const user of sessions.users.values()) {
    if (partitions.has(user.partition)) forget(sessions, user)
  }
}
