/**
 * De-duplication by `event_id` within the watermark (ARCHITECTURE.md "Stream semantics: Dedup", Spark's
 * `dropDuplicatesWithinWatermark`): the first copy of an id is kept; its entry lives until
 * W ≥ first event time + delay, so any later copy whose event time is within the delay of the first
 * one and that is not late finds the entry and is dropped, whatever the batch split (S4).
 *
 * Late copies are checked too: while the entry is still in state, a late copy is a duplicate like any
 * other. Late events are also recorded, so a second late copy is caught while the first one's entry
 * lives. Copies further apart than the entry's life reach the lake twice and `stg_events` removes them.
 */
import { TimeQueue } from "./TimeQueue.ts"

export interface DedupEntry {
  readonly eventId: string
  readonly firstEventTimeMs: number
  /** Kept so that a revoked partition's entries can be dropped (events are keyed by user). */
  readonly partition: number
}

export interface DedupState {
  readonly entries: Map<string, DedupEntry>
  /** Entries by first event time, for eviction in O(evicted · log n); exactly the entries of the map. */
  readonly expiry: TimeQueue<DedupEntry>
}

/** Records `entry` (replacing an expired entry of the same id that a changelog replay has not evicted yet). */
export const recordDedup = (dedup: DedupState, entry: DedupEntry): void => {
  dedup.entries.set(entry.eventId, entry)
  dedup.expiry.push(entry.firstEventTimeMs, entry)
}

export const emptyDedup = (): DedupState => ({ entries: new Map(), expiry: new TimeQueue() })

export const restoreDedup = (
  entries: Iterable<readonly [eventId: string, firstEventTimeMs: number, partition: number]>
): DedupState => {
  const dedup = emptyDedup()
  for (const [eventId, firstEventTimeMs, partition] of entries) {
    recordDedup(dedup, { eventId, firstEventTimeMs, partition })
  }
  return dedup
}

/** True when `eventId` is already in state (a duplicate); otherwise records it and returns false. */
export const isDuplicate = (
  dedup: DedupState,
  event: { readonly eventId: string; readonly eventTimeMs: number; readonly partition: number }
): boolean => {
  if (dedup.entries.has(event.eventId)) return true
  recordDedup(dedup, { eventId: event.eventId, firstEventTimeMs: event.eventTimeMs, partition: event.partition })
  return false
}

/**
 * Drops every entry with W ≥ first event time + delay. Only the entry itself: a changelog replay may
 * have recorded a newer copy of the id before evicting the older one.
 */
export const evictDedup = (dedup: DedupState, watermarkMs: number, delayMs: number): void => {
  dedup.expiry.popUntil(watermarkMs - delayMs, (_, entry) => {
    if (dedup.entries.get(entry.eventId) === entry) dedup.entries.delete(entry.eventId)
  })
}

/** Rare (a rebalance), so it rebuilds the queue rather than leave stale entries in it. */
export const dropDedupPartitions = (dedup: DedupState, partitions: ReadonlySet<number>): void => {
  dedup.expiry.clear()
  for (const [eventId, entry] of dedup.entries) {
    if (partitions.has(entry.partition)) dedup.entries.delete(eventId)
    else dedup.expiry.push(entry.firstEventTimeMs, entry)
  }
}
