/**
 * Kafka outage: with the broker stopped, event requests get 503 with Retry-After and readiness turns
 * false; once the broker is back on the same port and data, the same request succeeds and its event
 * is in events_raw. The client side retries the way the SDK does (same body, same event_id).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { afterAll, beforeAll } from "vitest"
import { TopicNames } from "../../src/kafka/Topics.ts"
import { postJson, readTopics, startIngest, type TestIngest, validEvent } from "./fixtures.ts"

let ingest: TestIngest

beforeAll(async () => {
  // One produce permit, so a second request during a slow produce shows the in-flight bound.
  ingest = await startIngest({ maxInFlight: 1 })
})
afterAll(() => ingest.close())

/** Repeats `request` until `done` holds for its result (what a client with retries does). */
const until = <A>(request: () => Promise<A>, done: (a: A) => boolean) =>
  Effect.promise(request).pipe(
    Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: done }),
    Effect.timeout("30 seconds"),
    Effect.orDie
  )

const batchesSent = async (baseUrl: string) => {
  const text = await fetch(`${baseUrl}/metrics`).then((r) => r.text())
  return Number(/^launchpad_kafka_produce_batches_total (\d+)/m.exec(text)?.[1] ?? 0)
}

describe("broker outage", () => {
  it.live("503 with Retry-After (broker down, or no permit free) and not ready; recovery after a restart", () =>
    Effect.gen(function* () {
      const event = validEvent()
      const first = yield* Effect.promise(() => postJson(ingest.baseUrl, "/api/v1/events", event))
      assert.strictEqual(first.status, 200)

      yield* Effect.promise(() => ingest.stopBroker())
      // The first request holds the only permit while the producer retries against the dead broker...
      const holding = postJson(ingest.baseUrl, "/api/v1/events", validEvent())
      yield* until(
        () => fetch(`${ingest.baseUrl}/metrics`).then((r) => r.text()),
        (text) => /^launchpad_ingest_requests_in_flight 1$/m.test(text)
      )
      // ...so the next one is turned away at once instead of queueing.
      const overloaded = yield* Effect.promise(() => postJson(ingest.baseUrl, "/api/v1/events", validEvent()))
      assert.strictEqual(overloaded.status, 503)
      assert.strictEqual(overloaded.headers.get("retry-after"), "1")
      assert.strictEqual((overloaded.json as { error: { code: string } }).error.code, "overloaded")

      const down = yield* Effect.promise(() => holding)
      assert.strictEqual(down.status, 503)
      assert.strictEqual(down.headers.get("retry-after"), "1")
      const error = (down.json as { error: { code: string; retry_after_seconds: number; request_id: string } }).error
      assert.strictEqual(error.code, "broker_unavailable")
      assert.strictEqual(error.retry_after_seconds, 1)
      assert.strictEqual(error.request_id, down.headers.get("x-request-id"))

      // The producer now knows the broker is gone: the next request is answered without a send
      // attempt (before, each one waited out the send retries, ~5 s, for the same 503).
      const batchesBefore = yield* Effect.promise(() => batchesSent(ingest.baseUrl))
      const fast = yield* Effect.promise(() => postJson(ingest.baseUrl, "/api/v1/events", validEvent()))
      assert.strictEqual(fast.status, 503)
      assert.strictEqual((fast.json as { error: { code: string } }).error.code, "broker_unavailable")
      assert.strictEqual(yield* Effect.promise(() => batchesSent(ingest.baseUrl)), batchesBefore)

      // Readiness is cached for about a second, so poll until the probe has seen the outage.
      const notReady = yield* until(
        () => fetch(`${ingest.baseUrl}/health/ready`).then(async (r) => ({ status: r.status, body: await r.json() })),
        (r) => r.status === 503
      )
      assert.strictEqual(
        (notReady.body as { report: { components: { kafka: { status: string } } } }).report.components.kafka.status,
        "down"
      )
      const health = yield* Effect.promise(() => fetch(`${ingest.baseUrl}/health`).then((r) => r.json()))
      assert.strictEqual((health as { ready: boolean }).ready, false)

      yield* Effect.promise(() => ingest.restartBroker())
      const retried = validEvent()
      const recovered = yield* until(
        () => postJson(ingest.baseUrl, "/api/v1/events", retried),
        (r) => r.status === 200
      )
      assert.strictEqual((recovered.json as { accepted: number }).accepted, 1)
      yield* until(
        () => fetch(`${ingest.baseUrl}/health/ready`).then((r) => r.status),
        (status) => status === 200
      )
      const raw = yield* Effect.promise(() => readTopics(ingest.kafka, [TopicNames.eventsRaw]))
      const ids = raw.map((r) => (JSON.parse(r.value) as { event_id: string }).event_id)
      assert.include(ids, event.event_id)
      assert.include(ids, retried.event_id)
    })
  )
})
