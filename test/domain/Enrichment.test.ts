import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { trackEventArbitrary } from "../../src/domain/Arbitraries.ts"
import {
  correctedOccurredAtMs,
  enrich,
  enrichedJsonInRange,
  enrichInRange,
  type IngestMetadata,
  requestTail
} from "../../src/domain/Enrichment.ts"
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

  /** The parser before it read digits by position: regex captures and a `Date` (the reference). */
  const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/
  const reference = (input: string): number => {
    const match = ISO.exec(input)
    if (match === null) return Number.NaN
    const [, y, mo, d, h, mi, s, fraction, sign, oh, om] = match
    const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number)
    const [offsetHours, offsetMinutes] = [Number(oh ?? "0"), Number(om ?? "0")]
    if (year === undefined || month === undefined || day === undefined) return Number.NaN
    if (hour === undefined || minute === undefined || second === undefined) return Number.NaN
    if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return Number.NaN
    const date = new Date(0)
    date.setUTCFullYear(year, month - 1, day)
    if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
      return Number.NaN
    }
    const millis = Number((fraction ?? "").padEnd(3, "0").slice(0, 3))
    const offset = (sign === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000
    return date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offset
  }

  it("epochMillis agrees with the Date-based reference on valid and invalid date-times", () => {
    // A fixed-seed generator over the edges: years 0000-9999, months 00-13, days 00-32, hours to 24,
    // minutes and seconds to 60, offsets to 25:61, fractions of 1-9 digits, leap years.
    let seed = 42
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
      return seed % n
    }
    const two = (n: number) => String(n).padStart(2, "0")
    for (let i = 0; i < 30_000; i++) {
      const year = String(next(3) === 0 ? next(10_000) : 1996 + next(110)).padStart(4, "0")
      const fraction =
        next(3) === 0
          ? ""
          : `.${String(next(1_000_000_000))
              .padStart(9, "0")
              .slice(0, 1 + next(9))}`
      const offset = next(3) === 0 ? "Z" : `${next(2) === 0 ? "+" : "-"}${two(next(26))}:${two(next(62))}`
      const input = `${year}-${two(next(14))}-${two(next(33))}T${two(next(25))}:${two(next(61))}:${two(next(61))}${fraction}${offset}`
      assert.isTrue(Object.is(epochMillis(input), reference(input)), input)
    }
    for (const input of [
      "2024-02-29T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2000-02-29T23:59:59.999+23:59",
      "1900-02-29T00:00:00Z"
    ]) {
      assert.isTrue(Object.is(epochMillis(input), reference(input)), input)
    }
  })

  it.prop(
    "formatTimestamp writes what toISOString writes",
    { millis: Schema.Int.check(Schema.isBetween({ minimum: -1e12, maximum: 5e12 })) },
    ({ millis }) => {
      assert.strictEqual(formatTimestamp(millis), new Date(millis).toISOString())
    },
    { arbitrary: { runs: 2_000 } }
  )

  it("formatTimestamp across day, year and leap-day boundaries", () => {
    for (const iso of [
      "2024-02-29T23:59:59.999Z",
      "2024-03-01T00:00:00.000Z",
      "1999-12-31T23:59:59.999Z",
      "2000-01-01T00:00:00.001Z",
      "2099-12-31T23:59:59.999Z",
      "1970-01-01T00:00:00.000Z"
    ]) {
      const millis = Date.parse(iso)
      for (const delta of [-1, 0, 1, 999, 1000, 86_399_999]) {
        assert.strictEqual(formatTimestamp(millis + delta), new Date(millis + delta).toISOString())
      }
    }
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

describe("enrichedJsonInRange", () => {
  const metas: ReadonlyArray<IngestMetadata> = [
    { receivedAtMs: at("2026-11-22T10:00:00Z"), requestId: "req-1" },
    { receivedAtMs: at("2026-11-22T10:00:00.123Z"), requestId: 'req "2"', writeKeyId: "wk-1" },
    { receivedAtMs: at("2031-01-01T00:00:00Z"), requestId: "req-3", writeKeyId: "wk", ipHash: "a".repeat(64) },
    { receivedAtMs: at("2001-01-01T00:00:00Z"), requestId: "req-4", ipHash: "b".repeat(64) }
  ]

  it.prop("is the JSON of enrichInRange's event, or undefined when it refuses", [trackEventArbitrary], ([event]) => {
    for (const meta of metas) {
      const expected = enrichInRange(event, meta)
      const actual = enrichedJsonInRange(event, meta, requestTail(meta))
      assert.strictEqual(actual, expected === undefined ? undefined : JSON.stringify(expected))
    }
  })
})
