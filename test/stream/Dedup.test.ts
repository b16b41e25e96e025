/** De-duplication within the watermark (ARCHITECTURE.md "Dedup") and partition revocation, as worked examples. */
import { assert, describe, it } from "@effect/vitest"
import { defaultStreamRules, dropPartitions, processBatch } from "../../src/stream/Batch.ts"
import { emptyState, type StreamState, stateSizes } from "../../src/stream/State.ts"
import type { StreamEvent } from "../../src/stream/StreamEvent.ts"
import { BASE_MS, MINUTE, makeEvent } from "./fixtures.ts"

const rules = defaultStreamRules
const step = (state: StreamState, events: ReadonlyArray<StreamEvent>) =>
  processBatch(state, events, { ...rules, processingTimeMs: BASE_MS })

const ev = (id: string, minutes: number, userId = "ada", partition = 0) =>
  makeEvent({ eventId: id, userId, eventTimeMs: BASE_MS + minutes * MINUTE, partition })

describe("dedup", () => {
  it("drops a copy in the same batch and in a later batch, from every output", () => {
    const first = step(emptyState(), [ev("a", 0), ev("a", 0)])
    assert.deepStrictEqual(
      first.lakeRows.map((r) => r.event.eventId),
      ["a"]
    )
    assert.strictEqual(first.metrics.duplicates, 1)
    const second = step(first.state, [ev("a", 0), ev("b", 0)])
    assert.deepStrictEqual(
      second.lakeRows.map((r) => r.event.eventId),
      ["b"]
    )
    assert.strictEqual(second.metrics.duplicates, 1)
    assert.strictEqual(second.windowUpdates[0]?.measures.events, 2)
  })

  it("keeps an entry until W ≥ first event time + delay, and drops a late copy meanwhile", () => {
    // W = 19 min − 10 min = 9 min < 0 + delay: the entry of "a" lives; a copy of "a" is late and dropped.
    const first = step(emptyState(), [ev("a", 0), ev("x", 19, "bob")])
    const lateCopy = step(first.state, [ev("a", 0)])
    assert.deepStrictEqual(lateCopy.lakeRows, [])
    assert.strictEqual(lateCopy.metrics.duplicates, 1)
    // W = 10 min: the entry is evicted; a copy arriving now is emitted again, flagged late (stg_events removes it).
    const evicted = step(lateCopy.state, [ev("y", 20, "bob")])
    assert.strictEqual(evicted.state.watermarkMs, BASE_MS + 10 * MINUTE)
    assert.isFalse(evicted.state.dedup.entries.has("a"))
    const again = step(evicted.state, [ev("a", 0)])
    assert.deepStrictEqual(
      again.lakeRows.map((r) => [r.event.eventId, r.isLate]),
      [["a", true]]
    )
  })

  it("drops a revoked partition's windows, dedup entries and users, and keeps W", () => {
    const result = step(emptyState(), [ev("a", 0, "ada", 0), ev("b", 0, "bob", 1), ev("c", 1, "bob", 1)])
    const dropped = dropPartitions(result.state, [1])
    assert.strictEqual(dropped.watermarkMs, result.state.watermarkMs)
    assert.deepStrictEqual(stateSizes(dropped), {
      dedupEntries: 1,
      sessionUsers: 1,
      pendingSessionEvents: 1,
      foldedSessions: 0,
      openWindows: 1
    })
    // Reassigned later, the partition starts from its checkpoint; here: from nothing, without ghosts.
    const next = step(dropped, [ev("b", 0, "bob", 1)])
    assert.deepStrictEqual(
      next.lakeRows.map((r) => r.event.eventId),
      ["b"]
    )
  })
})
