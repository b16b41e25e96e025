import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { eventArbitrary, trackEventArbitrary } from "../../src/domain/Arbitraries.ts"
import { EVENT_TYPES, type TrackEvent } from "../../src/domain/Catalog.ts"
import { enrich } from "../../src/domain/Enrichment.ts"
import {
  decodeEnrichedEvent,
  decodeEvent,
  decodeEventJson,
  encodeEnrichedEvent,
  encodeEvent,
  toJsonPath
} from "../../src/domain/EventCodec.ts"
import type { RejectReason } from "../../src/domain/RejectReason.ts"
import { nestedMap, validIdentify, validPurchase } from "./fixtures.ts"

const decodeOk = (input: unknown): TrackEvent => {
  const result = decodeEvent(input)
  if (Result.isFailure(result)) assert.fail(`expected success, got ${result.failure.reason} at ${result.failure.path}`)
  return result.success
}

const roundTrips = (event: TrackEvent) => {
  const encoded = encodeEvent(event)
  if (Result.isFailure(encoded)) assert.fail(`encode failed: ${encoded.failure.message} at ${encoded.failure.path}`)
  assert.deepStrictEqual(decodeOk(encoded.success), event)
  // Through JSON text as well, the way ingest and Kafka see it (JSON has no -0, so compare JSON forms).
  const viaText = decodeEventJson(JSON.stringify(encoded.success))
  if (Result.isFailure(viaText))
    assert.fail(`JSON decode failed: ${viaText.failure.message} at ${viaText.failure.path}`)
  assert.deepStrictEqual(viaText.success, JSON.parse(JSON.stringify(event)))
}

const expectRejection = (input: unknown, reason: RejectReason, path: string) => {
  const result = decodeEvent(input)
  if (Result.isSuccess(result)) assert.fail(`expected ${reason} at ${path}, got success`)
  assert.strictEqual(result.failure.reason, reason, result.failure.message)
  assert.strictEqual(result.failure.path, path, result.failure.message)
  assert.isTrue(result.failure.message.length > 0)
}

const withProperties = (properties: Record<string, unknown>) => ({
  ...validPurchase,
  properties: { ...validPurchase.properties, ...properties }
})
const withTraits = (traits: unknown) => ({ ...validIdentify, properties: { traits } })
const { user_id: _, ...withoutUserId } = validPurchase

describe("decodeEvent / encodeEvent round trip", () => {
  it.prop("decode(encode(e)) = e for any event", [trackEventArbitrary], ([event]) => roundTrips(event), {
    arbitrary: { runs: 200 }
  })

  for (const eventType of EVENT_TYPES) {
    it.prop(`decode(encode(e)) = e for ${eventType}`, [eventArbitrary(eventType)], ([event]) => roundTrips(event), {
      arbitrary: { runs: 10 }
    })
  }

  it("accepts the fixtures", () => {
    assert.deepStrictEqual(decodeOk(validPurchase), validPurchase)
    assert.deepStrictEqual(decodeOk(validIdentify), validIdentify)
    assert.deepStrictEqual(decodeOk(withTraits(nestedMap(4))).properties, { traits: nestedMap(4) })
  })

  it("round-trips enriched events and enrich output decodes", () => {
    const enriched = enrich(decodeOk(validPurchase), {
      receivedAtMs: Date.UTC(2026, 10, 22, 8, 0, 1),
      requestId: "r-1"
    })
    const encoded = encodeEnrichedEvent(enriched)
    if (Result.isFailure(encoded)) assert.fail(encoded.failure.message)
    const decoded = decodeEnrichedEvent(JSON.parse(JSON.stringify(encoded.success)))
    if (Result.isFailure(decoded)) assert.fail(`${decoded.failure.message} at ${decoded.failure.path}`)
    assert.deepStrictEqual(decoded.success, enriched)
  })
})

describe("decodeEvent rejections name a reason and a JSON path", () => {
  it("missing field", () => {
    expectRejection(withoutUserId, "missing_field", "$.user_id")
    expectRejection({ ...validPurchase, context: {} }, "missing_field", "$.context.device_type")
    const { event_type: __, ...withoutType } = validPurchase
    expectRejection(withoutType, "missing_field", "$.event_type")
  })

  it("wrong type", () => {
    expectRejection({ ...validPurchase, user_id: 42 }, "schema_violation", "$.user_id")
    expectRejection({ ...validPurchase, user_id: "user\u0000" }, "schema_violation", "$.user_id")
    expectRejection(withProperties({ revenue: "59.90" }), "schema_violation", "$.properties.revenue")
    expectRejection({ ...validPurchase, context: { device_type: "tv" } }, "schema_violation", "$.context.device_type")
    expectRejection("not an event", "schema_violation", "$")
    expectRejection([validPurchase], "schema_violation", "$")
  })

  it("unknown event type, before any other check", () => {
    expectRejection({ event_type: "quiz_exploded" }, "unknown_event_type", "$.event_type")
    expectRejection({ ...validPurchase, event_type: "Purchase" }, "unknown_event_type", "$.event_type")
  })

  it("unexpected field and unsupported schema version", () => {
    expectRejection({ ...validPurchase, revnue: 1 }, "unexpected_field", "$.revnue")
    expectRejection(withProperties({ discount: 5 }), "unexpected_field", "$.properties.discount")
    expectRejection({ ...validPurchase, schema_version: 2 }, "unsupported_schema_version", "$.schema_version")
  })

  it("oversized strings", () => {
    expectRejection({ ...validPurchase, user_id: "u".repeat(129) }, "too_large", "$.user_id")
    expectRejection(
      { ...validPurchase, context: { device_type: "mobile", page_url: `https://example.com/${"a".repeat(2048)}` } },
      "too_large",
      "$.context.page_url"
    )
    expectRejection(withTraits({ bio: "x".repeat(1025) }), "too_large", "$.properties.traits.bio")
  })

  it("strings that are not well-formed Unicode (lone surrogates), wherever they are", () => {
    expectRejection({ ...validPurchase, user_id: "\ud800a" }, "invalid_unicode", "$.user_id")
    expectRejection({ ...validPurchase, session_id: "s\udc00" }, "invalid_unicode", "$.session_id")
    expectRejection(
      { ...validPurchase, context: { device_type: "mobile", utm_source: "news\ud83d" } },
      "invalid_unicode",
      "$.context.utm_source"
    )
    expectRejection(withTraits({ name: "a\udfffb" }), "invalid_unicode", "$.properties.traits.name")
    // A map key that is not a valid key is an unexpected field.
    expectRejection(withTraits({ "k\ud800": "v" }), "unexpected_field", '$.properties.traits["k\\ud800"]')
    expectRejection({ ...validPurchase, experiments: { exp: "v\ud800" } }, "invalid_unicode", "$.experiments.exp")
    // A paired surrogate (an emoji) is well-formed.
    assert.isTrue(Result.isSuccess(decodeEvent({ ...validPurchase, user_id: "user-\ud83d\ude00" })))
  })

  it("bad UUID", () => {
    expectRejection({ ...validPurchase, event_id: "not-a-uuid" }, "invalid_uuid", "$.event_id")
    expectRejection({ ...validPurchase, event_id: "3b241101e2bb42558caf4136c566a962" }, "invalid_uuid", "$.event_id")
  })

  it("bad timestamps: no offset, garbage, impossible dates, out of range", () => {
    expectRejection({ ...validPurchase, occurred_at: "2026-11-22T10:00:00" }, "invalid_timestamp", "$.occurred_at")
    expectRejection({ ...validPurchase, occurred_at: "yesterday" }, "invalid_timestamp", "$.occurred_at")
    expectRejection({ ...validPurchase, occurred_at: "2026-02-30T10:00:00Z" }, "invalid_timestamp", "$.occurred_at")
    expectRejection({ ...validPurchase, occurred_at: "2026-11-22T24:00:00Z" }, "invalid_timestamp", "$.occurred_at")
    expectRejection({ ...validPurchase, sent_at: "2026-13-01T10:00:00Z" }, "invalid_timestamp", "$.sent_at")
    expectRejection(
      { ...validPurchase, occurred_at: "1970-01-01T00:00:00Z" },
      "timestamp_out_of_range",
      "$.occurred_at"
    )
    expectRejection(
      { ...validPurchase, occurred_at: "2100-01-01T00:00:00Z" },
      "timestamp_out_of_range",
      "$.occurred_at"
    )
    assert.isTrue(Result.isSuccess(decodeEvent({ ...validPurchase, occurred_at: "2028-02-29T23:59:59.999-05:30" })))
  })

  it("non-finite numbers from JS callers and from JSON text", () => {
    expectRejection(withProperties({ revenue: Number.NaN }), "non_finite_number", "$.properties.revenue")
    const items = [...validPurchase.properties.items]
    items[2] = { product_id: "p-3", quantity: 1, unit_price: Number.POSITIVE_INFINITY }
    expectRejection(withProperties({ items }), "non_finite_number", "$.properties.items[2].unit_price")
    const text = JSON.stringify(validPurchase).replace('"revenue":59.9', '"revenue":1e400')
    const result = decodeEventJson(text)
    assert.isTrue(Result.isFailure(result))
    if (Result.isFailure(result)) {
      assert.strictEqual(result.failure.reason, "non_finite_number")
      assert.strictEqual(result.failure.path, "$.properties.revenue")
    }
  })

  it("invalid JSON text", () => {
    const result = decodeEventJson('{"event_type": "purchase",')
    assert.isTrue(Result.isFailure(result) && result.failure.reason === "invalid_json" && result.failure.path === "$")
  })

  it("maps with 65 keys or nested deeper than 4 levels", () => {
    const keys65 = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`trait_${i}`, i]))
    expectRejection(withTraits(keys65), "too_large", "$.properties.traits")
    expectRejection(withTraits(nestedMap(5)), "too_large", "$.properties.traits.level1.level2.level3.level4")
    const experiments = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`exp_${i}`, "control"]))
    expectRejection({ ...validPurchase, experiments }, "too_large", "$.experiments")
  })

  it("negative revenue, zero quantity, bad currency", () => {
    expectRejection(withProperties({ revenue: -0.01 }), "value_out_of_range", "$.properties.revenue")
    const items = [{ product_id: "p-1", quantity: 0, unit_price: 1 }]
    expectRejection(withProperties({ items }), "value_out_of_range", "$.properties.items[0].quantity")
    expectRejection(withProperties({ currency: "eur" }), "invalid_currency", "$.properties.currency")
    expectRejection(withProperties({ currency: "HRK" }), "invalid_currency", "$.properties.currency")
    expectRejection(withProperties({ currency: "ABC" }), "invalid_currency", "$.properties.currency")
  })
})

describe("toJsonPath", () => {
  it("uses dot notation for identifiers and brackets otherwise", () => {
    assert.strictEqual(toJsonPath([]), "$")
    assert.strictEqual(toJsonPath(["properties", "items", 2, "unit_price"]), "$.properties.items[2].unit_price")
    assert.strictEqual(toJsonPath(["traits", "first name"]), '$.traits["first name"]')
  })
})
