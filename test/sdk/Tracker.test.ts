/** The tracker's delivery rules over a fake browser (fake clock and timers, scripted server). */
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { afterEach, beforeEach, vi } from "vitest"
import { TrackEvent } from "../../src/domain/Catalog.ts"
import { BEACON_MAX_BYTES, TAB_TIMEOUT_MS } from "../../src/sdk/Tracker.ts"
import { advance, BASE_MS, FakeBrowser, quizStarted, type SentEvent, settle } from "./fixtures.ts"

beforeEach(() => {
  vi.useFakeTimers({ now: BASE_MS })
})
afterEach(() => {
  vi.useRealTimers()
})

const idsOf = (events: ReadonlyArray<SentEvent>) => events.map((event) => event.event_id)

/** Each id once, in any order. */
const assertExactlyOnce = (received: ReadonlyArray<SentEvent>, expected: ReadonlyArray<string>) => {
  const ids = idsOf(received)
  assert.strictEqual(new Set(ids).size, ids.length, "no event is received twice")
  assert.sameMembers(ids, [...expected])
}

describe("events", () => {
  it("are catalog events: every one the tracker sends decodes with the domain schema", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab({ appVersion: "1.2.0" })
    tab.tracker.page()
    tab.tracker.track("quiz_started", { quiz_id: "analytics_stack", entry_point: "home" })
    tab.tracker.track("slider_adjusted", {
      quiz_id: "analytics_stack",
      step_id: "team",
      slider_id: "team_size",
      value: 12,
      min: 1,
      max: 500
    })
    tab.tracker.identify("ada@example.com", { plan: "pro" })
    tab.tracker.variant("configurator_layout", ["control", "sliders_first"])
    await tab.tracker.flush()
    const received = browser.received()
    assert.deepStrictEqual(
      received.map((event) => event.event_type),
      ["page_view", "quiz_started", "slider_adjusted", "identify", "experiment_exposure"]
    )
    for (const event of received) Schema.decodeUnknownSync(TrackEvent)(event)
    const [first] = received
    assert.strictEqual(first?.properties.title, "Find your analytics stack")
    assert.deepStrictEqual(new Set(received.map((event) => event.session_id)).size, 1)
    assert.strictEqual(received[2]?.user_id, received[2]?.anonymous_id, "anonymous until identify")
    assert.strictEqual(received[4]?.user_id, "ada@example.com")
    assert.strictEqual(received[4]?.anonymous_id, received[0]?.anonymous_id, "the anonymous id is kept")
  })

  it("track is typed per event type: a wrong type or property does not compile (checked by tsc)", () => {
    const { tracker } = new FakeBrowser().tab()
    const slider = { quiz_id: "q", step_id: "s", slider_id: "x", value: 1, min: 0, max: 2 }
    const calls = () => {
      tracker.track("slider_adjusted", slider)
      // @ts-expect-error slider_adjusted has no option_id
      tracker.track("slider_adjusted", { ...slider, option_id: "o" })
      // @ts-expect-error value is a number
      tracker.track("slider_adjusted", { ...slider, value: "1" })
      // @ts-expect-error quiz_id is required
      tracker.track("quiz_started", {})
      // @ts-expect-error not an event type of the catalog
      tracker.track("quiz_exploded", { quiz_id: "q" })
      // @ts-expect-error channel is one of the catalog's literals
      tracker.track("result_shared", { quiz_id: "q", result_id: "r", channel: "pigeon" })
    }
    assert.isFunction(calls)
  })

  it("carry the experiment assignments made so far", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab()
    tab.tracker.track("quiz_started", quizStarted)
    const variant = tab.tracker.variant("configurator_layout", ["control", "sliders_first"])
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    const [before, exposure, after] = browser.received()
    assert.isUndefined(before?.experiments)
    assert.deepStrictEqual(exposure?.experiments, { configurator_layout: variant })
    assert.deepStrictEqual(after?.experiments, { configurator_layout: variant })
  })
})

describe("batching", () => {
  it("sends as soon as flushAt events wait", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab({ flushAt: 3 })
    tab.tracker.track("quiz_started", quizStarted)
    tab.tracker.track("quiz_started", quizStarted)
    await settle()
    assert.strictEqual(browser.requests.length, 0)
    tab.tracker.track("quiz_started", quizStarted)
    await settle()
    assert.deepStrictEqual(
      browser.requests.map((request) => request.events.length),
      [3]
    )
  })

  it("sends what waits every flushIntervalMs", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab({ flushIntervalMs: 5000 })
    await settle()
    tab.tracker.track("quiz_started", quizStarted)
    await advance(4999)
    assert.strictEqual(browser.requests.length, 0)
    await advance(1)
    assert.strictEqual(browser.requests.length, 1)
    assert.strictEqual(browser.requests[0]?.at, BASE_MS + 5000)
  })

  it("splits a long queue into requests of at most maxBatch events, oldest first", async () => {
    const browser = new FakeBrowser()
    browser.online = false
    const tab = browser.tab({ maxBatch: 4, flushAt: 1000 })
    for (let i = 0; i < 10; i++) tab.tracker.track("quiz_started", { quiz_id: `q${i}` })
    await settle()
    browser.online = true
    await tab.tracker.flush()
    assert.deepStrictEqual(
      browser.requests.map((request) => request.events.map((event) => event.properties.quiz_id)),
      [
        ["q0", "q1", "q2", "q3"],
        ["q4", "q5", "q6", "q7"],
        ["q8", "q9"]
      ]
    )
  })

  it("gzips bodies of 1 KiB or more when the platform can, with Content-Encoding", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab({}, { gzip: true })
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    for (let i = 0; i < 10; i++) tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    const [small, large] = browser.requests
    assert.isUndefined(small?.headers["content-encoding"])
    assert.strictEqual(large?.headers["content-encoding"], "gzip")
    assert.strictEqual(large?.events.length, 10)
    assert.isBelow(large?.bytes ?? Number.POSITIVE_INFINITY, JSON.stringify({ events: large?.events }).length / 3)
  })

  it("sends the write key as X-Write-Key", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab({ writeKey: "web:s3cret" })
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    assert.strictEqual(browser.requests[0]?.headers["x-write-key"], "web:s3cret")
  })
})

describe("retries", () => {
  it("retries a 503 after its Retry-After, with the same event_id and a new sent_at", async () => {
    const browser = new FakeBrowser()
    browser.replies.push({ status: 503, headers: { "retry-after": "2" }, body: { error: { code: "overloaded" } } })
    const tab = browser.tab({ retryBaseMs: 100 })
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    assert.strictEqual(browser.requests.length, 1)
    await advance(1999)
    assert.strictEqual(browser.requests.length, 1, "not before Retry-After")
    await advance(1)
    const [first, second] = browser.requests
    assert.strictEqual(second?.at, BASE_MS + 2000)
    assert.deepStrictEqual(idsOf(second?.events ?? []), idsOf(first?.events ?? []))
    assert.strictEqual(first?.events[0]?.sent_at, new Date(BASE_MS).toISOString())
    assert.strictEqual(second?.events[0]?.sent_at, new Date(BASE_MS + 2000).toISOString())
    assert.strictEqual(tab.tracker.stats().queued, 0)
    assert.strictEqual(tab.tracker.stats().retries, 1)
  })

  it("backs off exponentially with full jitter on network errors, 5xx and 429, up to the cap", async () => {
    const browser = new FakeBrowser()
    browser.replies.push("network-error", { status: 500 }, { status: 429 }, { status: 502 }, "network-error")
    browser.replies.push("network-error", "network-error")
    const tab = browser.tab({ retryBaseMs: 1000, retryCapMs: 10_000, flushIntervalMs: 3_600_000 })
    tab.random = () => 0.5
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    await advance(60_000)
    const gaps = browser.requests.slice(1).map((request, i) => request.at - (browser.requests[i]?.at ?? 0))
    // Half of min(cap, 1000 · 2^n): 500, 1000, 2000, 4000, then the cap (5000 = half of 10 000) from n = 4.
    assert.deepStrictEqual(gaps, [500, 1000, 2000, 4000, 5000, 5000, 5000])
    assert.strictEqual(browser.requests.length, 8)
    assert.strictEqual(new Set(browser.requests.map((request) => request.events[0]?.event_id)).size, 1)
    assert.strictEqual(tab.tracker.stats().queued, 0, "the eighth attempt was accepted")
  })

  it("a Retry-After beyond the cap waits the cap", async () => {
    const browser = new FakeBrowser()
    browser.replies.push({ status: 503, headers: { "retry-after": "3600" } })
    const tab = browser.tab({ retryCapMs: 30_000, flushIntervalMs: 3_600_000 })
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    await advance(30_000)
    assert.deepStrictEqual(
      browser.requests.map((request) => request.at - BASE_MS),
      [0, 30_000]
    )
  })

  it("does not retry other 4xx answers and reports them through onError", async () => {
    const browser = new FakeBrowser()
    browser.replies.push({
      status: 401,
      body: { error: { status: 401, code: "unauthorized", message: "a valid write key is required" } }
    })
    const tab = browser.tab()
    tab.tracker.track("quiz_started", quizStarted)
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    await advance(10 * 60_000)
    assert.strictEqual(browser.requests.length, 1)
    assert.deepStrictEqual(tab.errors, [
      { kind: "http", status: 401, events: 2, message: "a valid write key is required" }
    ])
    assert.strictEqual(tab.tracker.stats().failed, 2)
    assert.strictEqual(tab.tracker.stats().queued, 0)
  })

  it("honours per-event results: a rejected event is reported and never sent again", async () => {
    const browser = new FakeBrowser()
    browser.replies.push((events) => ({
      status: 200,
      body: {
        accepted: 1,
        rejected: 1,
        results: [
          { index: 0, event_id: events[0]?.event_id, status: "accepted", reason: null, path: null, message: null },
          {
            index: 1,
            event_id: events[1]?.event_id,
            status: "rejected",
            reason: "invalid_value",
            path: "$.properties.quiz_id",
            message: "expected a non-empty string"
          }
        ]
      }
    }))
    const tab = browser.tab()
    tab.tracker.track("quiz_started", quizStarted)
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    const rejectedId = browser.requests[0]?.events[1]?.event_id ?? ""
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    assert.notInclude(idsOf(browser.requests[1]?.events ?? []), rejectedId)
    assert.strictEqual(browser.requests[1]?.events.length, 1)
    assert.deepStrictEqual(tab.errors, [
      {
        kind: "rejected",
        eventId: rejectedId,
        reason: "invalid_value",
        path: "$.properties.quiz_id",
        message: "expected a non-empty string"
      }
    ])
    assert.deepStrictEqual([tab.tracker.stats().accepted, tab.tracker.stats().rejected], [2, 1])
  })

  it("waits while offline and sends once when the browser is online again", async () => {
    const browser = new FakeBrowser()
    browser.online = false
    const tab = browser.tab({ flushAt: 2 })
    for (let i = 0; i < 5; i++) tab.tracker.track("quiz_started", quizStarted)
    await advance(60_000)
    assert.strictEqual(browser.requests.length, 0)
    browser.online = true
    tab.fire("online")
    await settle()
    assert.strictEqual(browser.requests.length, 1)
    assertExactlyOnce(browser.received(), idsOf(browser.requests[0]?.events ?? []))
    assert.strictEqual(browser.received().length, 5)
  })
})

describe("outbox", () => {
  it("is bounded: past maxQueue the oldest are dropped and counted", async () => {
    const browser = new FakeBrowser()
    browser.online = false
    const tab = browser.tab({ maxQueue: 5, flushAt: 1000 })
    for (let i = 0; i < 8; i++) tab.tracker.track("quiz_started", { quiz_id: `q${i}` })
    await settle()
    assert.strictEqual(tab.tracker.stats().dropped, 3)
    assert.deepStrictEqual(
      tab.errors.reduce((sum, error) => sum + (error.kind === "dropped" ? error.events : 0), 0),
      3
    )
    browser.online = true
    await tab.tracker.flush()
    assert.deepStrictEqual(
      browser.received().map((event) => event.properties.quiz_id),
      ["q3", "q4", "q5", "q6", "q7"]
    )
  })

  it("survives a reload: the next page sends what the last one could not", async () => {
    const browser = new FakeBrowser()
    browser.replies.push("network-error")
    const first = browser.tab()
    for (let i = 0; i < 3; i++) first.tracker.track("quiz_started", quizStarted)
    await first.tracker.flush()
    const queued = idsOf(browser.requests[0]?.events ?? [])
    // In backoff at unload: nothing is beaconed, the events stay in the outbox for the next page.
    first.fire("pagehide")
    first.crashed = true
    assert.strictEqual(browser.requests.length, 1)
    const second = browser.tab()
    await second.tracker.flush()
    assert.deepStrictEqual(idsOf(browser.requests[1]?.events ?? []), queued)
  })

  it("two tabs never send the same event, even with requests in flight at once", async () => {
    const browser = new FakeBrowser()
    browser.latencyMs = 300
    const a = browser.tab({ flushAt: 2 })
    const b = browser.tab({ flushAt: 2 })
    const tracked: Array<string> = []
    for (let i = 0; i < 20; i++) {
      ;(i % 2 === 0 ? a : b).tracker.track("quiz_started", { quiz_id: `q${i}` })
      await advance(50)
    }
    await advance(20_000)
    for (const request of browser.requests) tracked.push(...idsOf(request.events))
    assert.strictEqual(browser.received().length, 20)
    assertExactlyOnce(browser.received(), tracked)
  })

  it("a tab closed offline leaves its events to a live tab, which sends them once", async () => {
    const browser = new FakeBrowser()
    const a = browser.tab({ flushAt: 1000 })
    const b = browser.tab({ flushAt: 1000 })
    browser.online = false
    for (let i = 0; i < 3; i++) a.tracker.track("quiz_started", { quiz_id: `a${i}` })
    await settle()
    a.fire("pagehide")
    a.crashed = true
    browser.online = true
    b.fire("online")
    await settle()
    assert.deepStrictEqual(
      browser.received().map((event) => event.properties.quiz_id),
      ["a0", "a1", "a2"]
    )
  })

  it("a tab that stops without pagehide (crash) keeps its events until its heartbeat is TAB_TIMEOUT_MS old", async () => {
    const browser = new FakeBrowser()
    const a = browser.tab({ flushAt: 1000 })
    const b = browser.tab({ flushAt: 1000, flushIntervalMs: 10_000 })
    browser.online = false
    a.tracker.track("quiz_started", { quiz_id: "orphan" })
    await settle()
    a.crashed = true
    browser.online = true
    await b.tracker.flush()
    assert.strictEqual(browser.received().length, 0, "a may still be alive")
    await advance(TAB_TIMEOUT_MS + 10_000)
    assert.deepStrictEqual(
      browser.received().map((event) => event.properties.quiz_id),
      ["orphan"]
    )
  })
})

describe("unload", () => {
  const bigTraits = (i: number) => ({ note: `${i}`.padEnd(1000, "x"), more: "y".repeat(1000), again: "z".repeat(1000) })

  it("beacons what waits in chunks of at most 64 KB, oldest first; what the browser refuses stays queued", async () => {
    const browser = new FakeBrowser()
    const first = browser.tab({ flushAt: 1000 })
    for (let i = 0; i < 60; i++) first.tracker.identify(`user-${i}`, bigTraits(i))
    await settle()
    browser.beaconBudget = 2
    first.fire("pagehide")
    first.crashed = true
    const beacons = browser.requests.filter((request) => request.via === "beacon")
    assert.strictEqual(beacons.length, 2)
    for (const beacon of beacons) assert.isAtMost(beacon.bytes, BEACON_MAX_BYTES)
    const beaconed = beacons.flatMap((beacon) => beacon.events.map((event) => event.user_id))
    assert.deepStrictEqual(
      beaconed,
      Array.from({ length: beaconed.length }, (_, i) => `user-${i}`)
    )
    assert.isAbove(beaconed.length, 20)
    const second = browser.tab()
    await second.tracker.flush()
    assert.strictEqual(browser.received().length, 60)
    assertExactlyOnce(browser.received(), idsOf(browser.received()))
  })

  it("an event tracked during unload (pagehide listeners after the SDK's) is beaconed at once", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab()
    tab.fire("pagehide")
    tab.tracker.track("quiz_abandoned", {
      quiz_id: "analytics_stack",
      step_id: "budget",
      step_index: 3,
      duration_ms: 1
    })
    assert.deepStrictEqual(
      browser.requests.map((request) => [request.via, request.events[0]?.event_type]),
      [["beacon", "quiz_abandoned"]]
    )
  })

  it("visibility hidden beacons too, and the page keeps tracking normally afterwards", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab({ flushAt: 1000 })
    tab.tracker.track("quiz_started", quizStarted)
    await settle()
    tab.fire("hidden")
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    assert.deepStrictEqual(
      browser.requests.map((request) => request.via),
      ["beacon", "fetch"]
    )
    assert.strictEqual(browser.received().length, 2)
  })

  it("events beaconed while a delivery pass reads the outbox are not sent again by that pass", async () => {
    const browser = new FakeBrowser()
    const store = browser.outbox
    // The claim reads the queue at once but answers 100 ms later (a slow IndexedDB transaction).
    browser.outbox = {
      ...store,
      claim: async (owner, isGone) => {
        const items = await store.claim(owner, isGone)
        await new Promise((resolve) => setTimeout(resolve, 100))
        return items
      }
    }
    const tab = browser.tab({ flushAt: 1000 })
    for (let i = 0; i < 3; i++) tab.tracker.track("quiz_started", quizStarted)
    await advance(200)
    const flushed = tab.tracker.flush()
    await advance(10)
    tab.fire("hidden")
    await advance(200)
    await flushed
    assert.deepStrictEqual(
      browser.requests.map((request) => [request.via, request.events.length]),
      [["beacon", 3]]
    )
  })

  it("does not beacon while offline or waiting to retry", async () => {
    const browser = new FakeBrowser()
    browser.replies.push({ status: 503, headers: { "retry-after": "30" } })
    const tab = browser.tab()
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    tab.fire("hidden")
    browser.online = false
    tab.fire("pagehide")
    assert.deepStrictEqual(
      browser.requests.map((request) => request.via),
      ["fetch"]
    )
  })
})
