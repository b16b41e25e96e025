/**
 * Hostile bodies against both server paths (the listener and the router): deep nesting, wide
 * objects, long strings. Never a 5xx, never a lost in-flight slot, and a valid event is served right
 * after. The regression: 64 bodies nested ~5,000 deep used to overflow `JSON.stringify` in the
 * dead-letter path after taking a slot, leaving ingest answering 503 for good while ready.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll, beforeAll } from "vitest"
import { MAX_JSON_DEPTH } from "../../src/domain/JsonDepth.ts"
import { post, postJson, startIngest, type TestIngest, validEvent } from "./fixtures.ts"

const MAX_BODY = 4 * 1024 * 1024
const MAX_IN_FLIGHT = 8

let listener: TestIngest
let router: TestIngest

beforeAll(async () => {
  const settings = { maxBodyBytes: MAX_BODY, maxInFlight: MAX_IN_FLIGHT }
  ;[listener, router] = await Promise.all([startIngest(settings), startIngest(settings, {}, { eventsListener: false })])
})
afterAll(() => Promise.all([listener.close(), router.close()]))

const paths = ["/api/v1/events", "/api/v1/events/batch"] as const
const servers = () => [
  { name: "listener", ingest: listener },
  { name: "router", ingest: router }
]

const sendRaw = (baseUrl: string, path: string, body: string) =>
  post(baseUrl, path, body, { "content-type": "application/json" })

const nestedArrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`
/** An event whose free-form traits hide the nesting, inside a batch when `batch`. */
const deepInEvent = (depth: number, batch: boolean) => {
  const event = JSON.stringify(validEvent({ event_type: "identify", properties: { traits: "__DEEP__" } })).replace(
    '"__DEEP__"',
    nestedObjects(depth)
  )
  return batch ? `{"events":[${event}]}` : event
}

const inFlightOf = async (baseUrl: string) => {
  const text = await fetch(`${baseUrl}/metrics`).then((r) => r.text())
  const match = /^launchpad_ingest_requests_in_flight (\d+)$/m.exec(text)
  return Number(match?.[1] ?? Number.NaN)
}

const expectServesValidEvent = async (baseUrl: string) => {
  const ok = await postJson(baseUrl, "/api/v1/events", validEvent())
  assert.strictEqual(ok.status, 200, ok.text)
  assert.strictEqual((ok.json as { accepted: number }).accepted, 1)
}

describe("deep JSON", () => {
  it.live("more than max-in-flight bodies nested 5,000 deep: each a 400 too_deep, and ingest still serves", () =>
    Effect.promise(async () => {
      for (const { name, ingest } of servers()) {
        for (const path of paths) {
          const answers = await Promise.all(
            Array.from({ length: MAX_IN_FLIGHT * 2 }, () => sendRaw(ingest.baseUrl, path, nestedArrays(5_000)))
          )
          for (const answer of answers) {
            assert.strictEqual(answer.status, 400, `${name} ${path}: ${answer.text}`)
            const error = (answer.json as { error: { code: string; message: string } }).error
            assert.strictEqual(error.code, "too_deep")
            assert.include(error.message, String(MAX_JSON_DEPTH))
          }
          await expectServesValidEvent(ingest.baseUrl)
        }
        assert.strictEqual(await inFlightOf(ingest.baseUrl), 0, name)
        const ready = await fetch(`${ingest.baseUrl}/health/ready`)
        assert.strictEqual(ready.status, 200, name)
      }
    })
  )

  it.live("the limit is exact: MAX_JSON_DEPTH levels parse (and are judged by the schema), one more does not", () =>
    Effect.promise(async () => {
      for (const { name, ingest } of servers()) {
        // Depth of a batch: the batch object, its events array, the event and properties (4), then the
        // traits' own nesting.
        const within = deepInEvent(MAX_JSON_DEPTH - 4, true)
        const answer = await sendRaw(ingest.baseUrl, "/api/v1/events/batch", within)
        assert.strictEqual(answer.status, 200, `${name}: ${answer.text}`)
        const result = (answer.json as { results: Array<{ status: string; reason: string }> }).results[0]
        // Traits nest at most 4 levels: the schema rejects it, and the dead letter is written.
        assert.deepInclude(result, { status: "rejected", reason: "too_large" })
        const over = await sendRaw(ingest.baseUrl, "/api/v1/events/batch", deepInEvent(MAX_JSON_DEPTH - 3, true))
        assert.strictEqual(over.status, 400, `${name}: ${over.text}`)
        assert.strictEqual((over.json as { error: { code: string } }).error.code, "too_deep")
      }
    })
  )

  it.live("fuzz: depths from 1k to 1M, wide objects, long strings: never a 5xx, a valid event right after", () =>
    Effect.promise(async () => {
      const bodies: Array<{ readonly label: string; readonly body: () => string }> = []
      for (const depth of [1_000, 4_500, 10_000, 100_000, 1_000_000]) {
        bodies.push({ label: `arrays ${depth}`, body: () => nestedArrays(depth) })
        bodies.push({ label: `objects ${depth}`, body: () => nestedObjects(Math.min(depth, 600_000)) })
        bodies.push({ label: `event ${depth}`, body: () => deepInEvent(Math.min(depth, 600_000), false) })
        // Unbalanced: opened and never closed (invalid JSON, still refused before parsing).
        bodies.push({ label: `unclosed ${depth}`, body: () => "[".repeat(depth) })
      }
      const wide = `{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":${i}`).join(",")}}`
      bodies.push({ label: "wide object", body: () => wide })
      bodies.push({
        label: "wide traits",
        body: () => JSON.stringify(validEvent({ event_type: "identify", properties: { traits: JSON.parse(wide) } }))
      })
      bodies.push({ label: "long string", body: () => JSON.stringify("x".repeat(3_000_000)) })
      bodies.push({
        label: "long string field",
        body: () => JSON.stringify(validEvent({ user_id: "u".repeat(3_000_000) }))
      })
      bodies.push({
        label: "brackets inside strings",
        body: () => JSON.stringify(validEvent({ user_id: "[{".repeat(50) }))
      })
      for (const { name, ingest } of servers()) {
        for (const { label, body } of bodies) {
          const text = body()
          for (const path of paths) {
            const answer = await sendRaw(ingest.baseUrl, path, text)
            assert.isBelow(
              answer.status,
              500,
              `${name} ${path} ${label}: ${answer.status} ${answer.text.slice(0, 200)}`
            )
            assert.isAtLeast(answer.status, 200)
          }
        }
        await expectServesValidEvent(ingest.baseUrl)
        assert.strictEqual(await inFlightOf(ingest.baseUrl), 0, name)
      }
    })
  )
})
