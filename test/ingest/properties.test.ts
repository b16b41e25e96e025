/**
 * Properties over generated input, through the real server and broker:
 * - any mix of valid and corrupted events: accepted + rejected = sent, a result per index with the
 *   corruption's reason, and every event in exactly one topic (checked across all runs at the end);
 * - fuzz: no JSON value, on either endpoint, gets a 5xx.
 */
import { randomUUID } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Result, Schema } from "effect"
import { afterAll, beforeAll } from "vitest"
import { trackEventArbitrary } from "../../src/domain/Arbitraries.ts"
import { decodeDeadLetterJson } from "../../src/domain/DeadLetter.ts"
import { decodeEnrichedEventJson } from "../../src/domain/EventCodec.ts"
import type { IngestResponse } from "../../src/ingest/domain/IngestResult.ts"
import { TopicNames } from "../../src/kafka/Topics.ts"
import { post, postJson, readTopics, startIngest, type TestIngest } from "./fixtures.ts"

let ingest: TestIngest

beforeAll(async () => {
  ingest = await startIngest()
})
afterAll(() => ingest.close())

const Corruption = Schema.Literals([
  "none",
  "drop_user_id",
  "unknown_type",
  "bad_timestamp",
  "extra_field",
  "bad_version",
  "not_an_object",
  "future",
  "bad_uuid"
])
type Corruption = typeof Corruption.Type

const expectedReason: Record<Exclude<Corruption, "none">, string> = {
  drop_user_id: "missing_field",
  unknown_type: "unknown_event_type",
  bad_timestamp: "invalid_timestamp",
  extra_field: "unexpected_field",
  bad_version: "unsupported_schema_version",
  not_an_object: "schema_violation",
  future: "timestamp_out_of_range",
  bad_uuid: "invalid_uuid"
}

const corrupt = (event: object, corruption: Corruption): unknown => {
  // Valid events are dated now (generated dates reach 2098, which is rightly refused as future).
  const { sent_at: _sentAt, ...rest } = event as Record<string, unknown>
  const base: Record<string, unknown> = { ...rest, event_id: randomUUID(), occurred_at: new Date().toISOString() }
  switch (corruption) {
    case "none":
      return base
    case "drop_user_id": {
      const { user_id: _userId, ...without } = base
      return without
    }
    case "unknown_type":
      return { ...base, event_type: "no_such_event" }
    case "bad_timestamp":
      return { ...base, occurred_at: "not a time" }
    case "extra_field":
      return { ...base, zzz_unexpected: true }
    case "bad_version":
      return { ...base, schema_version: 999 }
    case "not_an_object":
      return 42
    case "future":
      return { ...base, occurred_at: new Date(Date.now() + 48 * 3_600_000).toISOString() }
    case "bad_uuid":
      return { ...base, event_id: "not-a-uuid" }
  }
}

const mixedBatch = Arbitrary.array(
  Arbitrary.all({ event: trackEventArbitrary, corruption: Arbitrary.schema(Corruption) }),
  { minLength: 1, maxLength: 25 }
)

/** What each property run sent and was told, checked against the topics at the end. */
const runs = new Map<string, IngestResponse>()

describe("properties", () => {
  it.effect.prop(
    "for any mix of valid and invalid events, accepted + rejected = sent, with a result per index",
    { items: mixedBatch },
    ({ items }) =>
      Effect.gen(function* () {
        const events = items.map(({ event, corruption }) => corrupt(event, corruption))
        const requestId = `prop-${randomUUID()}`
        const response = yield* Effect.promise(() =>
          postJson(ingest.baseUrl, "/api/v1/events/batch", { events }, { "x-request-id": requestId })
        )
        assert.strictEqual(response.status, 200)
        const body = response.json as IngestResponse
        assert.strictEqual(body.accepted + body.rejected, events.length)
        assert.deepStrictEqual(
          body.results.map((r) => r.index),
          events.map((_, i) => i)
        )
        body.results.forEach((result, i) => {
          const corruption = items[i]?.corruption ?? "none"
          if (corruption === "none") {
            // A generated event may carry maps big enough to pass the size bound once enriched.
            assert.isTrue(result.status === "accepted" || result.reason === "too_large", JSON.stringify(result))
          } else {
            assert.strictEqual(result.status, "rejected")
            assert.strictEqual(result.reason, expectedReason[corruption], JSON.stringify(result))
          }
        })
        runs.set(requestId, body)
      }),
    { arbitrary: { runs: 20 } }
  )

  it.effect(
    "every event of those runs is in exactly one topic: accepted in events_raw, rejected in events_deadletter",
    () =>
      Effect.gen(function* () {
        assert.strictEqual(runs.size, 20)
        const records = yield* Effect.promise(() =>
          readTopics(ingest.kafka, [TopicNames.eventsRaw, TopicNames.eventsDeadletter])
        )
        const rawByRequest = new Map<string, Array<string>>()
        const deadByRequest = new Map<string, Array<number>>()
        for (const record of records) {
          if (record.topic === TopicNames.eventsRaw) {
            const event = Result.getOrThrow(decodeEnrichedEventJson(record.value))
            rawByRequest.set(event.request_id, [...(rawByRequest.get(event.request_id) ?? []), event.event_id])
          } else {
            const letter = Result.getOrThrow(decodeDeadLetterJson(record.value))
            const key = letter.request_id ?? ""
            deadByRequest.set(key, [...(deadByRequest.get(key) ?? []), letter.index ?? -1])
          }
        }
        for (const [requestId, body] of runs) {
          const accepted = body.results.filter((r) => r.status === "accepted")
          const rejected = body.results.filter((r) => r.status === "rejected")
          assert.deepStrictEqual(
            [...(rawByRequest.get(requestId) ?? [])].sort(),
            accepted.map((r) => r.event_id ?? "").sort(),
            requestId
          )
          assert.deepStrictEqual(
            [...(deadByRequest.get(requestId) ?? [])].sort((a, b) => a - b),
            rejected.map((r) => r.index),
            requestId
          )
        }
      })
  )

  it.effect.prop(
    "no JSON value gets a 5xx from either endpoint",
    { value: Schema.Json },
    ({ value }) =>
      Effect.gen(function* () {
        const text = JSON.stringify(value)
        const sends = [
          post(ingest.baseUrl, "/api/v1/events", text, { "content-type": "application/json" }),
          post(ingest.baseUrl, "/api/v1/events/batch", text, { "content-type": "text/plain" }),
          postJson(ingest.baseUrl, "/api/v1/events/batch", { events: [value, value] }),
          postJson(ingest.baseUrl, "/api/v1/events/batch", { events: value })
        ]
        for (const response of yield* Effect.promise(() => Promise.all(sends))) {
          assert.isBelow(response.status, 500, `${response.status} ${response.text}`)
          assert.isNotNull(response.headers.get("x-request-id"))
        }
      }),
    { arbitrary: { runs: 40 } }
  )
})
