/**
 * The event-time watermark (ARCHITECTURE.md "Stream semantics"): W = max event time seen by this processor over
 * its partitions − delay, recomputed after each micro-batch and used by the next. It never decreases
 * (S1), so it is kept as a value, not recomputed from a maximum that a smaller delay could lower.
 */

/** Before any event nothing is late. */
export const initialWatermarkMs = Number.NEGATIVE_INFINITY

/** Late iff `occurred_at ≤ W` at the start of the event's batch (Spark's non-strict rule). */
export const isLate = (eventTimeMs: number, watermarkMs: number): boolean => eventTimeMs <= watermarkMs

/** The watermark after a batch whose largest accepted event time is `maxEventTimeMs`. */
export const advanceWatermark = (watermarkMs: number, maxEventTimeMs: number, delayMs: number): number =>
  Math.max(watermarkMs, maxEventTimeMs - delayMs)
