/**
 * A session as the stream emits it into `lake/sessions/` and the SQL models read it back: the
 * contract between the stream processor (which builds it, Sessions.ts) and the lake (which stores it,
 * LakeTable.ts). ARCHITECTURE.md "Sessions": per user in event-time order, a new session after a gap of more
 * than 30 min or when it would span more than 24 h.
 */

/** A gap of more than this starts a new session (exactly this continues it, as Spark, Flink and Kafka Streams do). */
export const SESSION_GAP_MS = 30 * 60_000

/** A session never spans more than this (PostHog's cap): the next event starts a new one. */
export const SESSION_MAX_MS = 24 * 3_600_000
export interface SessionRecord {
  readonly userId: string
  /** `${userId}:${startMs}`: SQL reproduces it as `user_id || ':' || epoch_ms(session_start)`. */
  readonly sessionKey: string
  readonly partition: number
  readonly startMs: number
  /** Time of the last event (not + gap). */
  readonly endMs: number
  readonly eventCount: number
  readonly firstEventType: string
  readonly lastEventType: string
  readonly deviceType: string
  readonly utmSource: string | null
  readonly utmMedium: string | null
  readonly utmCampaign: string | null
  readonly isBounce: boolean
  readonly isConverted: boolean
}

export const sessionKeyOf = (userId: string, startMs: number): string => `${userId}:${startMs}`
