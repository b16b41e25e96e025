/**
 * The event POSTs have two server paths: `EventsListener` in front of the router (what the servers
 * run) and the `HttpApi` handlers behind it (the contract's own). The same requests, good and bad,
 * must get the same answers from both: status, body and the headers a client reads.
 */
import { gzipSync } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import { post, startIngest, type TestIngest, validEvent } from "./fixtures.ts"

const settings = {
  writeKeys: [{ id: "web", secret: Redacted.make("web-secret") }],
  corsOrigins: ["https://shop.example", "https://admin.example"],
  maxBodyBytes: 4_096,
  maxBatchEvents: 3
}

let listener: TestIngest
let router: TestIngest

beforeAll(async () => {
  ;[listener, router] = await Promise.all([startIngest(settings), startIngest(settings, {}, { eventsListener: false })])
})
afterAll(() => Promise.all([listener.close(), router.close()]))

const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString("base64")}`
const json = { "content-type": "application/json", "x-write-key": "web-secret" }
const event = validEvent({ event_id: "7d1c9f7e-2a51-4b8e-9a57-0e8d7c1f2a11", user_id: "user-parity" })
const badEvent = { ...event, event_id: "not-a-uuid" }

interface Case {
  readonly name: string
  readonly path: "/api/v1/events" | "/api/v1/events/batch"
  readonly body: string | Uint8Array<ArrayBuffer>
  readonly headers: Record<string, string>
  readonly status: number
}

const gzip = (text: string): Uint8Array<ArrayBuffer> => new Uint8Array(gzipSync(text))

const cases: ReadonlyArray<Case> = [
  { name: "one valid event", path: "/api/v1/events", body: JSON.stringify(event), headers: json, status: 200 },
  {
    name: "a mixed batch",
    path: "/api/v1/events/batch",
    body: JSON.stringify({ events: [event, badEvent, 42] }),
    headers: json,
    status: 200
  },
  {
    name: "beacon text/plain with a CORS origin",
    path: "/api/v1/events",
    body: JSON.stringify(event),
    headers: {
      "content-type": "text/plain;charset=UTF-8",
      origin: "https://shop.example",
      "x-write-key": "web-secret"
    },
    status: 200
  },
  {
    name: "a disallowed origin",
    path: "/api/v1/events",
    body: JSON.stringify(event),
    headers: { ...json, origin: "https://evil.example" },
    status: 200
  },
  {
    name: "gzip",
    path: "/api/v1/events/batch",
    body: gzip(JSON.stringify({ events: [event] })),
    headers: { ...json, "content-encoding": "gzip" },
    status: 200
  },
  {
    name: "basic auth",
    path: "/api/v1/events",
    body: JSON.stringify(event),
    headers: { authorization: basic("web-secret") },
    status: 200
  },
  { name: "malformed JSON", path: "/api/v1/events", body: '{"event_id":', headers: json, status: 400 },
  { name: "an empty body", path: "/api/v1/events", body: "  ", headers: json, status: 400 },
  {
    name: "invalid UTF-8",
    path: "/api/v1/events",
    body: new Uint8Array([0x7b, 0xff, 0x7d]),
    headers: json,
    status: 400
  },
  { name: "a batch that is an array", path: "/api/v1/events/batch", body: "[]", headers: json, status: 400 },
  {
    name: "a batch with extra keys",
    path: "/api/v1/events/batch",
    body: JSON.stringify({ events: [], sent_at: "now" }),
    headers: json,
    status: 400
  },
  {
    name: "not gzip",
    path: "/api/v1/events",
    body: "plain",
    headers: { ...json, "content-encoding": "gzip" },
    status: 400
  },
  {
    name: "too many events",
    path: "/api/v1/events/batch",
    body: JSON.stringify({ events: [event, event, event, event] }),
    headers: json,
    status: 413
  },
  {
    name: "a body over the limit",
    path: "/api/v1/events",
    body: JSON.stringify({ ...event, padding: "x".repeat(5_000) }),
    headers: json,
    status: 413
  },
  {
    name: "a gzip body inflating over the limit",
    path: "/api/v1/events",
    body: gzip(JSON.stringify({ ...event, padding: "x".repeat(50_000) })),
    headers: { ...json, "content-encoding": "gzip" },
    status: 413
  },
  {
    name: "form content type",
    path: "/api/v1/events",
    body: "a=b",
    headers: { ...json, "content-type": "application/x-www-form-urlencoded" },
    status: 415
  },
  {
    name: "a latin-1 charset",
    path: "/api/v1/events",
    body: "{}",
    headers: { ...json, "content-type": "application/json; charset=latin1" },
    status: 415
  },
  { name: "brotli", path: "/api/v1/events", body: "{}", headers: { ...json, "content-encoding": "br" }, status: 415 },
  {
    name: "no write key",
    path: "/api/v1/events",
    body: JSON.stringify(event),
    headers: { "content-type": "application/json" },
    status: 401
  },
  {
    name: "a wrong write key",
    path: "/api/v1/events",
    body: JSON.stringify(event),
    headers: { ...json, "x-write-key": "guess" },
    status: 401
  },
  {
    name: "a wrong basic-auth user",
    path: "/api/v1/events",
    body: JSON.stringify(event),
    headers: { authorization: basic("guess") },
    status: 401
  }
]

const READ_HEADERS = [
  "content-type",
  "access-control-allow-origin",
  "access-control-expose-headers",
  "vary",
  "retry-after"
]

/** The answer with what differs per request by design (request ids) taken out. */
const answerOf = async (ingest: TestIngest, c: Case) => {
  const requestId = `parity-${c.name.replaceAll(/[^a-z]/g, "-")}`
  const response = await post(ingest.baseUrl, c.path, c.body, { ...c.headers, "x-request-id": requestId })
  const headers = Object.fromEntries(READ_HEADERS.map((name) => [name, response.headers.get(name)]))
  return {
    status: response.status,
    echoedRequestId: response.headers.get("x-request-id") === requestId,
    headers,
    body: response.json ?? response.text
  }
}

describe("EventsListener and the HttpApi handlers", () => {
  for (const c of cases) {
    it(`answer ${c.name} alike (${c.status})`, async () => {
      const [fast, routed] = await Promise.all([answerOf(listener, c), answerOf(router, c)])
      assert.strictEqual(fast.status, c.status)
      assert.isTrue(fast.echoedRequestId)
      assert.deepStrictEqual(fast, routed)
    })
  }

  it("answer a fresh request id when none or an insane one is sent", async () => {
    for (const ingest of [listener, router]) {
      const response = await post(ingest.baseUrl, "/api/v1/events", JSON.stringify(event), {
        ...json,
        "x-request-id": "a b"
      })
      const id = response.headers.get("x-request-id") ?? ""
      assert.match(id, /^[0-9a-f-]{36}$/)
      assert.strictEqual((response.json as { results: Array<unknown> }).results.length, 1)
    }
  })

  it("leave other routes and CORS preflights to the router", async () => {
    const preflight = await fetch(`${listener.baseUrl}/api/v1/events`, {
      method: "OPTIONS",
      headers: { origin: "https://shop.example", "access-control-request-method": "POST" }
    })
    assert.strictEqual(preflight.status, 204)
    assert.strictEqual(preflight.headers.get("access-control-allow-origin"), "https://shop.example")
    const live = await fetch(`${listener.baseUrl}/health/live`)
    assert.strictEqual(live.status, 200)
    const wrongMethod = await fetch(`${listener.baseUrl}/api/v1/events`, { method: "GET" })
    assert.strictEqual(wrongMethod.status, 404)
  })
})
