/** Pure parts of ingest: User-Agent parsing and filling, raw bounding, media types, request ids. */
import { assert, describe, it } from "@effect/vitest"
import { boundRaw } from "../../src/domain/DeadLetter.ts"
import { makeBodyBudget, SLOW_BODY_WINDOW_MS } from "../../src/ingest/server/BodyBudget.ts"
import { checkContentType } from "../../src/ingest/server/BodyReader.ts"
import { requestIdOf } from "../../src/ingest/server/RequestContext.ts"
import { fillContextFromUserAgent, parseUserAgent } from "../../src/ingest/server/UserAgent.ts"
import { routeLabeller } from "../../src/platform/Routes.ts"

describe("parseUserAgent", () => {
  const cases: ReadonlyArray<readonly [string, ReturnType<typeof parseUserAgent>]> = [
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      { device_type: "desktop", os: "Windows 10", browser: "Chrome 131" }
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
      { device_type: "desktop", os: "Windows 10", browser: "Edge 131" }
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
      { device_type: "desktop", os: "macOS 10.15", browser: "Firefox 133" }
    ],
    [
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
      { device_type: "mobile", os: "Android 14", browser: "Chrome 131" }
    ],
    [
      "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
      { device_type: "tablet", os: "Android 13", browser: "Chrome 120" }
    ],
    [
      "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
      { device_type: "tablet", os: "iOS 17.6", browser: "Safari 17" }
    ]
  ]
  it("reads form factor, OS and browser of common browsers", () => {
    for (const [ua, expected] of cases) assert.deepStrictEqual(parseUserAgent(ua), expected, ua)
  })
  it("does not guess for non-browsers", () => {
    assert.isUndefined(parseUserAgent("curl/8.5.0"))
    assert.isUndefined(parseUserAgent(""))
    assert.isUndefined(parseUserAgent("Mozilla/5.0 (compatible)"))
  })
  it("fills only what is missing, only into an existing context, without touching the input", () => {
    const ua = parseUserAgent(cases[3]?.[0] ?? "")
    const input = { context: { browser: "MyApp 2" } }
    assert.deepStrictEqual(fillContextFromUserAgent(input, ua), {
      context: { browser: "MyApp 2", device_type: "mobile", os: "Android 14" }
    })
    assert.deepStrictEqual(input, { context: { browser: "MyApp 2" } })
    assert.deepStrictEqual(fillContextFromUserAgent({ user_id: "u" }, ua), { user_id: "u" })
    assert.strictEqual(fillContextFromUserAgent(7, ua), 7)
  })
})

describe("boundRaw", () => {
  it("keeps short input whole and cuts long input on a character boundary", () => {
    assert.deepStrictEqual(boundRaw("abc", 10), { text: "abc", bytes: 3 })
    const cut = boundRaw("é".repeat(10), 5)
    assert.strictEqual(cut.text, "éé")
    assert.strictEqual(cut.bytes, 20)
  })
})

describe("checkContentType", () => {
  it("accepts JSON and text/plain in UTF-8, with or without parameters", () => {
    for (const ok of [undefined, "application/json", "Application/JSON; charset=UTF-8", "text/plain;charset=utf-8"]) {
      assert.isUndefined(checkContentType(ok), String(ok))
    }
    for (const bad of ["application/xml", "multipart/form-data; boundary=x", "text/plain; charset=iso-8859-1"]) {
      assert.isString(checkContentType(bad), bad)
    }
  })
})

describe("request ids and route labels", () => {
  it("keeps a sane incoming id and replaces anything else", () => {
    assert.strictEqual(requestIdOf("req-12345678"), "req-12345678")
    assert.match(requestIdOf("x"), /^[0-9a-f-]{36}$/)
    assert.match(requestIdOf("a b c d e f g h"), /^[0-9a-f-]{36}$/)
    assert.match(requestIdOf("x".repeat(200)), /^[0-9a-f-]{36}$/)
  })
  it("labels known routes by their template and folds the rest into one value", () => {
    const routeLabel = routeLabeller(["/api/v1/events", "/api/v1/events/batch", "/api/v1/reports/:name"])
    assert.strictEqual(routeLabel("/api/v1/events/batch?x=1"), "/api/v1/events/batch")
    assert.strictEqual(routeLabel("/api/v1/reports/funnel?from=x"), "/api/v1/reports/:name")
    assert.strictEqual(routeLabel("/api/v1/reports/funnel/extra"), "other")
    // One canonical form: case and a trailing slash make another path.
    assert.strictEqual(routeLabel("/api/v1/Events"), "other")
    assert.strictEqual(routeLabel("/api/v1/events/"), "other")
    assert.strictEqual(routeLabel("/wp-admin/login.php"), "other")
  })
})

describe("body budget", () => {
  const limits = { maxBufferedBytes: 100, minBytesPerSecond: 10 }

  it("counts what bodies hold, refuses a chunk that does not fit, and frees a body's bytes once", () => {
    const shed: Array<string> = []
    const budget = makeBodyBudget(limits, (reason) => shed.push(reason))
    const a = budget.open(() => undefined, 0)
    const b = budget.open(() => undefined, 0)
    assert.isTrue(a.take(60))
    assert.isFalse(b.take(41))
    assert.isTrue(b.take(40))
    assert.strictEqual(budget.bufferedBytes(), 100)
    a.close()
    a.close()
    assert.strictEqual(budget.bufferedBytes(), 40)
    assert.isFalse(a.take(1), "a closed body takes nothing")
    b.close()
    assert.strictEqual(budget.bufferedBytes(), 0)
    assert.deepStrictEqual(shed, ["budget"])
  })

  it("judges each window on its own: a fast first burst does not buy a slow tail", () => {
    const slow: Array<string> = []
    const budget = makeBodyBudget({ ...limits, maxBufferedBytes: 10_000 })
    const steady = budget.open(() => slow.push("steady"), 0)
    const burst = budget.open(() => slow.push("burst"), 0)
    steady.take(SLOW_BODY_WINDOW_MS / 100)
    burst.take(90)
    // First window: both above 10 B/s on average.
    for (const f of budget.sweep(SLOW_BODY_WINDOW_MS)) f()
    assert.deepStrictEqual(slow, [])
    // Second window: the steady body keeps its rate, the burst sends nothing more.
    steady.take(SLOW_BODY_WINDOW_MS / 100)
    for (const f of budget.sweep(2 * SLOW_BODY_WINDOW_MS)) f()
    assert.deepStrictEqual(slow, ["burst"])
    // A shed body is not judged again: only the steady one is left (and has stalled by now).
    assert.deepStrictEqual(budget.sweep(4 * SLOW_BODY_WINDOW_MS).length, 1)
  })
})
