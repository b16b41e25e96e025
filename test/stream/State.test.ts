/** Ownership of the state: a spent state fails loudly instead of reading maps that have moved on. */
import { assert, describe, it } from "@effect/vitest"
import { closeAll, defaultStreamRules, dropPartitions, processBatch } from "../../src/stream/Batch.ts"
import { encodeState } from "../../src/stream/Checkpoint.ts"
import { emptyState, stateSizes } from "../../src/stream/State.ts"
import { BASE_MS, makeEvent } from "./fixtures.ts"

const options = { ...defaultStreamRules, processingTimeMs: BASE_MS }
const event = makeEvent({ eventId: "a", userId: "ada", eventTimeMs: BASE_MS })

describe("state ownership", () => {
  it("a state passed to processBatch, closeAll or dropPartitions is spent; its successor is not", () => {
    const spent = emptyState()
    const next = processBatch(spent, [event], options).state
    assert.throws(() => processBatch(spent, [event], options), /StreamState used after/)
    assert.throws(() => encodeState(spent), /StreamState used after/)
    assert.throws(() => stateSizes(spent), /StreamState used after/)
    const afterDrop = dropPartitions(next, [7])
    assert.throws(() => closeAll(next, defaultStreamRules), /StreamState used after/)
    assert.strictEqual(stateSizes(afterDrop).dedupEntries, 1)
    const flushed = closeAll(afterDrop, defaultStreamRules)
    assert.strictEqual(flushed.closedSessions.length, 1)
    assert.strictEqual(encodeState(flushed.state).watermarkMs, "Infinity")
  })
})
