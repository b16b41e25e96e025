/**
 * The event endpoints through a real HTTP server and embedded broker: what lands in events_raw and
 * events_deadletter, each request-level error, body encodings, enrichment and the side endpoints.
 */
import { gzipSync } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { afterAll, beforeAll } from "vitest"
import { decodeDeadLetterJson } from "../../src/domain/DeadLetter.ts"
import { decodeEnrichedEventJson } from "../../src/domain/EventCodec.ts"
import { TopicNames } from "../../src/kafka/Topics.ts"
import { apiClient, post, postJson, readTopics, startIngest, type TestIngest, validEvent } from "./fixtures.ts"

let ingest: TestIngest
const MAX_BODY = 64 * 1024
const MAX_EVENTS = 20

beforeAll(async () => {
  ingest = await startIngest({ maxBodyBytes: MAX_BODY, maxBatchEvents: MAX_EVENTS })
})
afterAll(() => ingest.close())

const byRequest = async (requestId: string) => {
  const records = await readTopics(ingest.kafka, [TopicNames.eventsRaw, TopicNames.eventsDeadletter])
  const raw = records
    .filter((r) => r.topic === TopicNames.eventsRaw)
    .map((r) => ({ record: r, event: Result.getOrThrow(decodeEnrichedEventJson(r.value)) }))
    .filter((r) => r.event.request_id === requestId)
  const dead = records
    .filter((r) => r.topic === TopicNames.eventsDeadletter)
    .map((r) => ({ record: r, letter: Result.getOrThrow(decodeDeadLetterJson(r.value)) }))
    .filter((r) => r.letter.request_id === requestId)
  return { raw, dead }
}

const requestId = () => `test-${crypto.randomUUID()}`

describe("POST /api/v1/events and /batch", () => {
  it.effect("accepted events are in events_raw keyed by user_id, enriched, as decoded EnrichedEvents", () =>
    Effect.gen(function* () {
      const client = yield* apiClient(ingest.baseUrl)
      const events = [
        validEvent(),
        validEvent(),
        validEvent({
          event_type: "quiz_step_viewed",
          properties: {
            quiz_id: "q",
            step_id: "s",
            step_index: 1,
            step_count: 4
          }
        })
      ]
      const id = requestId()
      const response = yield* Effect.promise(() =>
        postJson(ingest.baseUrl, "/api/v1/events/batch", { events }, { "x-request-id": id })
      )
      assert.strictEqual(response.status, 200)
      assert.deepStrictEqual(response.json, {
        accepted: 3,
        rejected: 0,
        results: events.map((e, index) => ({
          index,
          event_id: e.event_id,
          status: "accepted",
          reason: null,
          path: null,
          message: null
        }))
      })
      assert.strictEqual(response.headers.get("x-request-id"), id)
      // The typed client decodes the same answer.
      const single = validEvent()
      const typed = yield* client.events.track({ payload: single as never })
      assert.strictEqual(typed.accepted, 1)

      const { raw, dead } = yield* Effect.promise(() => byRequest(id))
      assert.strictEqual(dead.length, 0)
      assert.strictEqual(raw.length, 3)
      for (const sent of events) {
        const found = raw.find((r) => r.event.event_id === sent.event_id)
        assert.isDefined(found)
        if (found === undefined) continue
        assert.strictEqual(found.record.key, sent.user_id)
        assert.strictEqual(found.event.user_id, sent.user_id)
        assert.strictEqual(found.event.occurred_at, sent.occurred_at)
        assert.strictEqual(found.event.request_id, id)
        assert.isUndefined(found.event.ip_hash)
        assert.isUndefined(found.event.write_key_id)
        assert.notInclude(found.record.value, "127.0.0.1")
      }
    })
  )

  it.effect("a mixed batch gets a result per index; its rejects are dead-lettered with reason, path and raw", () =>
    Effect.gen(function* () {
      const good = validEvent()
      const unknownType = validEvent({ event_type: "quiz_exploded" })
      const badTimestamp = validEvent({ occurred_at: "yesterday" })
      const missing = validEvent()
      delete missing.user_id
      const extra = validEvent({ colour: "blue" })
      const future = validEvent({ occurred_at: new Date(Date.now() + 48 * 3_600_000).toISOString() })
      const events = [good, unknownType, 42, badTimestamp, missing, extra, future]
      const id = requestId()
      const response = yield* Effect.promise(() =>
        postJson(ingest.baseUrl, "/api/v1/events/batch", { events }, { "x-request-id": id })
      )
      assert.strictEqual(response.status, 200)
      const body = response.json as {
        accepted: number
        rejected: number
        results: Array<{ index: number; status: string; reason: string | null; path: string | null; event_id: unknown }>
      }
      assert.strictEqual(body.accepted, 1)
      assert.strictEqual(body.rejected, 6)
      assert.deepStrictEqual(
        body.results.map((r) => [r.index, r.status, r.reason, r.path]),
        [
          [0, "accepted", null, null],
          [1, "rejected", "unknown_event_type", "$.event_type"],
          [2, "rejected", "schema_violation", "$"],
          [3, "rejected", "invalid_timestamp", "$.occurred_at"],
          [4, "rejected", "missing_field", "$.user_id"],
          [5, "rejected", "unexpected_field", "$.colour"],
          [6, "rejected", "timestamp_out_of_range", "$.occurred_at"]
        ]
      )
      assert.strictEqual(body.results[2]?.event_id, null)
      assert.strictEqual(body.results[1]?.event_id, unknownType.event_id)

      const { raw, dead } = yield* Effect.promise(() => byRequest(id))
      assert.deepStrictEqual(
        raw.map((r) => r.event.event_id),
        [good.event_id]
      )
      const letters = dead.map((d) => d.letter).sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
      assert.deepStrictEqual(
        letters.map((l) => [l.index, l.reason, l.path]),
        body.results.filter((r) => r.status === "rejected").map((r) => [r.index, r.reason, r.path])
      )
      for (const letter of letters) {
        assert.deepStrictEqual(JSON.parse(letter.raw), events[letter.index ?? -1])
        assert.isFalse(letter.raw_truncated)
        assert.strictEqual(letter.source, "ingest")
        assert.strictEqual(letter.request_id, id)
        assert.strictEqual(letter.write_key_id, null)
        assert.isTrue(letter.message.length > 0)
      }
      const unknownLetter = dead.find((d) => d.letter.index === 1)
      assert.strictEqual(unknownLetter?.record.headers.reason, "unknown_event_type")
      assert.strictEqual(unknownLetter?.record.key, unknownType.event_id)
    })
  )

  it.effect("an event over the size bound is rejected too_large, and its dead letter is cut and flagged", () =>
    Effect.gen(function* () {
      // Each trait is valid (under 1,024 characters), but together they pass the 32 KB event limit.
      const traits = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`t${i}`, "x".repeat(1000)]))
      const event = validEvent({
        event_type: "identify",
        properties: { traits }
      })
      const id = requestId()
      const response = yield* Effect.promise(() =>
        postJson(ingest.baseUrl, "/api/v1/events", event, { "x-request-id": id })
      )
      assert.strictEqual(response.status, 200)
      const { dead } = yield* Effect.promise(() => byRequest(id))
      const letter = dead[0]?.letter
      assert.strictEqual(letter?.reason, "too_large")
      assert.isTrue(letter?.raw_truncated)
      assert.isTrue((letter?.raw_bytes ?? 0) > 32 * 1024)
      assert.isTrue(Buffer.byteLength(letter?.raw ?? "") <= 32 * 1024)
    })
  )

  it.effect("gzip bodies and sendBeacon's text/plain bodies are accepted", () =>
    Effect.gen(function* () {
      const gz = yield* Effect.promise(() =>
        post(ingest.baseUrl, "/api/v1/events/batch", gzipSync(JSON.stringify({ events: [validEvent()] })), {
          "content-type": "application/json; charset=utf-8",
          "content-encoding": "gzip"
        })
      )
      assert.strictEqual(gz.status, 200)
      assert.strictEqual((gz.json as { accepted: number }).accepted, 1)
      const beacon = yield* Effect.promise(() =>
        post(ingest.baseUrl, "/api/v1/events", JSON.stringify(validEvent()), {
          "content-type": "text/plain;charset=UTF-8"
        })
      )
      assert.strictEqual(beacon.status, 200)
      assert.strictEqual((beacon.json as { accepted: number }).accepted, 1)
    })
  )

  it.effect("bad requests get structured 4xx errors with the request id", () =>
    Effect.gen(function* () {
      const expectError = (
        response: { status: number; json: unknown; headers: Headers },
        status: number,
        code: string
      ) => {
        assert.strictEqual(response.status, status)
        const error = (
          response.json as { error: { status: number; code: string; request_id: string; message: string } }
        ).error
        assert.strictEqual(error.status, status)
        assert.strictEqual(error.code, code)
        assert.strictEqual(error.request_id, response.headers.get("x-request-id"))
        assert.isTrue(error.message.length > 0)
      }
      const json = { "content-type": "application/json" }
      expectError(
        yield* Effect.promise(() => post(ingest.baseUrl, "/api/v1/events", "{nope", json)),
        400,
        "invalid_json"
      )
      expectError(yield* Effect.promise(() => post(ingest.baseUrl, "/api/v1/events", "", json)), 400, "invalid_json")
      expectError(
        yield* Effect.promise(() => post(ingest.baseUrl, "/api/v1/events", new Uint8Array([0xff, 0xfe, 0x7b]), json)),
        400,
        "invalid_json"
      )
      expectError(
        yield* Effect.promise(() => postJson(ingest.baseUrl, "/api/v1/events/batch", [validEvent()])),
        400,
        "invalid_body"
      )
      expectError(
        yield* Effect.promise(() => postJson(ingest.baseUrl, "/api/v1/events/batch", { events: [], extra: 1 })),
        400,
        "invalid_body"
      )
      expectError(
        yield* Effect.promise(() =>
          post(ingest.baseUrl, "/api/v1/events", "{}", { "content-type": "application/x-www-form-urlencoded" })
        ),
        415,
        "unsupported_media_type"
      )
      expectError(
        yield* Effect.promise(() =>
          post(ingest.baseUrl, "/api/v1/events", "{}", { "content-type": "application/json; charset=latin1" })
        ),
        415,
        "unsupported_media_type"
      )
      expectError(
        yield* Effect.promise(() =>
          post(ingest.baseUrl, "/api/v1/events", "{}", { "content-type": "application/json", "content-encoding": "br" })
        ),
        415,
        "unsupported_encoding"
      )
      expectError(
        yield* Effect.promise(() =>
          post(ingest.baseUrl, "/api/v1/events", gzipSync("{"), {
            "content-type": "application/json",
            "content-encoding": "gzip"
          }).then((r) => r)
        ),
        400,
        "invalid_json"
      )
      expectError(
        yield* Effect.promise(() =>
          post(ingest.baseUrl, "/api/v1/events", "not gzip", {
            "content-type": "application/json",
            "content-encoding": "gzip"
          })
        ),
        400,
        "invalid_body"
      )
      const tooMany = { events: Array.from({ length: MAX_EVENTS + 1 }, () => validEvent()) }
      expectError(
        yield* Effect.promise(() => postJson(ingest.baseUrl, "/api/v1/events/batch", tooMany)),
        413,
        "too_many_events"
      )
      const big = JSON.stringify({ events: [validEvent({ pad: "x".repeat(MAX_BODY) })] })
      expectError(
        yield* Effect.promise(() => post(ingest.baseUrl, "/api/v1/events/batch", big, json)),
        413,
        "payload_too_large"
      )
    })
  )

  it.effect("a gzip bomb gets 413 (the limit applies to the decompressed size)", () =>
    Effect.gen(function* () {
      // 64 MB of zeros compress to ~64 KB... keep the compressed body under the limit so only inflation trips it.
      const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20), { level: 9 })
      assert.isBelow(bomb.length, MAX_BODY)
      const response = yield* Effect.promise(() =>
        post(ingest.baseUrl, "/api/v1/events", bomb, { "content-type": "application/json", "content-encoding": "gzip" })
      )
      assert.strictEqual(response.status, 413)
      assert.strictEqual((response.json as { error: { code: string } }).error.code, "payload_too_large")
    })
  )

  it.effect("clock skew is corrected from sent_at; the User-Agent fills a missing device_type, os and browser", () =>
    Effect.gen(function* () {
      const now = Date.now()
      // The client clock runs 2 days fast: both its timestamps are shifted, their difference is 5 s.
      const skewed = validEvent({
        occurred_at: new Date(now + 2 * 86_400_000 - 5_000).toISOString(),
        sent_at: new Date(now + 2 * 86_400_000).toISOString()
      })
      const beacon = validEvent({ context: { page_path: "/configurator" } })
      const keepsOwn = validEvent({ context: { device_type: "tablet", browser: "MyApp 1" } })
      const id = requestId()
      const ua =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
      const response = yield* Effect.promise(() =>
        postJson(
          ingest.baseUrl,
          "/api/v1/events/batch",
          { events: [skewed, beacon, keepsOwn] },
          {
            "x-request-id": id,
            "user-agent": ua
          }
        )
      )
      assert.strictEqual((response.json as { accepted: number }).accepted, 3)
      const { raw } = yield* Effect.promise(() => byRequest(id))
      const get = (e: Record<string, unknown>) => raw.find((r) => r.event.event_id === e.event_id)?.event
      const corrected = get(skewed)
      assert.strictEqual(corrected?.occurred_at, skewed.occurred_at)
      assert.strictEqual(corrected?.sent_at, skewed.sent_at)
      const receivedAt = Date.parse(corrected?.received_at ?? "")
      assert.strictEqual(Date.parse(corrected?.occurred_at_corrected ?? ""), receivedAt - 5_000)
      assert.deepStrictEqual(get(beacon)?.context, {
        device_type: "mobile",
        page_path: "/configurator",
        os: "iOS 18.1",
        browser: "Safari 18"
      })
      assert.deepStrictEqual(get(keepsOwn)?.context, { device_type: "tablet", browser: "MyApp 1", os: "iOS 18.1" })
    })
  )

  it.effect("a sane incoming X-Request-Id is kept, an insane one replaced; CORS preflight works", () =>
    Effect.gen(function* () {
      const kept = yield* Effect.promise(() =>
        fetch(`${ingest.baseUrl}/health/live`, { headers: { "x-request-id": "abc-12345678" } })
      )
      assert.strictEqual(kept.headers.get("x-request-id"), "abc-12345678")
      const replaced = yield* Effect.promise(() =>
        fetch(`${ingest.baseUrl}/health/live`, { headers: { "x-request-id": "bad id with spaces" } })
      )
      assert.match(replaced.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/)
      const preflight = yield* Effect.promise(() =>
        fetch(`${ingest.baseUrl}/api/v1/events/batch`, {
          method: "OPTIONS",
          headers: {
            origin: "https://shop.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, x-write-key"
          }
        })
      )
      assert.isBelow(preflight.status, 300)
      assert.strictEqual(preflight.headers.get("access-control-allow-origin"), "*")
      assert.include(preflight.headers.get("access-control-allow-methods") ?? "", "POST")
      assert.include(preflight.headers.get("access-control-allow-headers") ?? "", "x-write-key")
    })
  )

  it.effect("schemas, health, metrics, OpenAPI and docs are served", () =>
    Effect.gen(function* () {
      const client = yield* apiClient(ingest.baseUrl)
      const schemas = yield* client.meta.schemas()
      assert.property(schemas, "quiz_started")
      const ready = yield* client.health.ready()
      assert.isTrue(ready.ready)
      const live = yield* client.health.live()
      assert.strictEqual(live.status, "up")
      const metrics = yield* Effect.promise(() => fetch(`${ingest.baseUrl}/metrics`).then((r) => r.text()))
      for (const name of [
        "launchpad_ingest_requests_total",
        "launchpad_ingest_events_accepted_total",
        "launchpad_ingest_events_rejected_total",
        "launchpad_ingest_events_deadlettered_total",
        "launchpad_ingest_request_latency_ms_bucket",
        "launchpad_ingest_produce_latency_ms_bucket",
        "launchpad_ingest_requests_in_flight",
        "launchpad_ingest_payload_bytes_bucket"
      ]) {
        assert.include(metrics, name)
      }
      assert.match(metrics, /launchpad_ingest_events_rejected_total\{[^}]*reason="unknown_event_type"/)
      const openapi = yield* Effect.promise(() => fetch(`${ingest.baseUrl}/openapi.json`).then((r) => r.json()))
      assert.property((openapi as { paths: object }).paths, "/api/v1/events/batch")
      const docs = yield* Effect.promise(() => fetch(`${ingest.baseUrl}/docs`))
      assert.strictEqual(docs.status, 200)
      assert.include(docs.headers.get("content-type") ?? "", "text/html")
    })
  )
})

describe("canonical routes", () => {
  it("case and trailing-slash variants are JSON 404s on every server path, labelled other in metrics", async () => {
    for (const path of ["/api/v1/Events", "/api/v1/events/", "/API/v1/events/batch", "/api/v1//events"]) {
      const answer = await postJson(ingest.baseUrl, path, validEvent())
      assert.strictEqual(answer.status, 404, path)
      assert.deepInclude((answer.json as { error: object }).error, { status: 404, code: "not_found" }, path)
    }
    const metrics = await fetch(`${ingest.baseUrl}/metrics`).then((r) => r.text())
    assert.match(metrics, /^launchpad_ingest_requests_total\{route="other",status="404"\} [1-9]/m)
    assert.match(metrics, /^launchpad_ingest_requests_total\{route="\/api\/v1\/events",status="200"\} [1-9]/m)
  })
})
