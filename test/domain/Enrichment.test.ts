import { assert, describe, it } from "@effect/vitest"
import { correctedOccurredAtMs, enrich } from "../../src/domain/Enrichment.ts"
import { epochMillis, formatTimestamp, MIN_TIMESTAMP_MS } from "../../src/domain/Timestamp.ts"
import { validPurchase } from "./fixtures.ts"

const at = (iso: string) => Date.parse(iso)

describe("timestamps", () => {
  it("epochMillis honours the offset and fractional seconds", () => {
    assert.strictEqual(epochMillis("2026-11-22T10:00:00.000Z"), at("2026-11-22T10:00:00.000Z"))
    assert.strictEqual(epochMillis("2026-11-22T12:00:00+02:00"), at("2026-11-22T10:00:00.000Z"))
    assert.strictEqual(epochMillis("2026-11-22T04:30:00.123456-05:30"), at("2026-11-22T10:00:00.123Z"))
    assert.isNaN(epochMillis("2026-11-22T10:00:00"))
    assert.isNaN(epochMillis("2026-04-31T10:00:00Z"))
    assert.strictEqual(formatTimestamp(at("2026-11-22T10:00:00Z")), "2026-11-22T10:00:00.000Z")
  })
})

describe("enrich", () => {
  const event = { ...validPurchase, occurred_at: "2026-11-22T10:00:00Z", sent_at: "2026-11-22T10:00:05Z" }

  it("shifts occurred_at by the client clock skew", () => {
    // The client clock is 2 minutes behind: it sent at 10:00:05, the server received at 10:02:05.
    assert.strictEqual(correctedOccurredAtMs(event, at("2026-11-22T10:02:05Z")), at("2026-11-22T10:02:00Z"))
  })

  it("keeps occurred_at without sent_at, never post-dates and never leaves the range", () => {
    const { sent_at: _, ...withoutSentAt } = event
    assert.strictEqual(correctedOccurredAtMs(withoutSentAt, at("2026-11-22T11:00:00Z")), at("2026-11-22T10:00:00Z"))
    assert.strictEqual(correctedOccurredAtMs(withoutSentAt, at("2026-11-22T09:00:00Z")), at("2026-11-22T09:00:00Z"))
    const farFuture = { ...event, sent_at: "2099-01-01T00:00:00Z" }
    assert.strictEqual(correctedOccurredAtMs(farFuture, at("2026-11-22T10:00:00Z")), MIN_TIMESTAMP_MS)
  })

  it("adds the ingest fields and omits absent optional ones", () => {
    const enriched = enrich(event, {
      receivedAtMs: at("2026-11-22T10:00:06Z"),
      requestId: "req-1",
      ipHash: "a".repeat(64)
    })
    assert.strictEqual(enriched.received_at, "2026-11-22T10:00:06.000Z")
    assert.strictEqual(enriched.occurred_at_corrected, "2026-11-22T10:00:01.000Z")
    assert.strictEqual(enriched.request_id, "req-1")
    assert.strictEqual(enriched.ip_hash, "a".repeat(64))
    assert.isFalse("write_key_id" in enriched)
    assert.strictEqual(enriched.occurred_at, event.occurred_at)
  })
})
