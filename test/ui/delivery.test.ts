/**
 * The SDK's delivery guarantees in Debian's Chromium, with the bundle other sites load
 * (/sdk/launchpad.js) on a page of the server's origin, against the real ingest and broker; what
 * arrived is read back from events_raw.
 */
import { gunzipSync } from "node:zlib"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { WebApp } from "../../src/app/WebApp.ts"
import { launchChromium } from "./fixtures/browser.ts"
import { builtWebApp } from "./fixtures/build.ts"
import { eventsOf, type RawEvent, waitForEvents } from "./fixtures/events.ts"
import { startWebServer, type TestWebServer } from "./fixtures/server.ts"

/** A blank page that loads the SDK bundle; options come from the query string. */
const HARNESS = `<!doctype html>
<html lang="en"><head><title>SDK harness</title></head><body><script type="module">
import { createTracker } from "/sdk/launchpad.js"
const q = new URLSearchParams(location.search)
const n = (name, fallback) => Number(q.get(name) ?? fallback)
window.errors = []
window.tracker = createTracker({
  endpoint: "",
  name: "harness",
  flushAt: n("flushAt", 5),
  flushIntervalMs: n("interval", 1000),
  retryBaseMs: n("retryBase", 200),
  retryCapMs: n("retryCap", 5000),
  onError: (error) => window.errors.push(error)
})
window.ready = true
</script></body></html>`

interface Harness {
  readonly ready: boolean
  readonly tracker: { readonly track: (type: string, properties: Record<string, unknown>) => void }
}

let server: TestWebServer
let browser: Browser

beforeAll(async () => {
  const root = await builtWebApp()
  ;[server, browser] = await Promise.all([
    startWebServer(WebApp.layerBuilt({ root, buildIfMissing: false })),
    launchChromium()
  ])
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const harnessContext = async (): Promise<BrowserContext> => {
  const context = await browser.newContext({ baseURL: server.baseUrl })
  await context.route("**/harness*", (route) => route.fulfill({ contentType: "text/html", body: HARNESS }))
  return context
}

const openHarness = async (context: BrowserContext, query = ""): Promise<Page> => {
  const page = await context.newPage()
  await page.goto(`/harness${query}`)
  await page.waitForFunction(() => (window as unknown as Harness).ready === true)
  return page
}

const quizIds = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`)

const track = (page: Page, ids: ReadonlyArray<string>) =>
  page.evaluate((list) => {
    for (const quiz_id of list) (window as unknown as Harness).tracker.track("quiz_started", { quiz_id })
  }, ids)

const anonymousIdOf = async (page: Page): Promise<string> => {
  const id = await page.evaluate(() => localStorage.getItem("harness_anon"))
  if (id === null) throw new Error("no anonymous id")
  return id
}

/** Closes the tab as a user does (pagehide runs), and waits until it is gone. */
const closeTab = async (page: Page): Promise<void> => {
  const closed = new Promise((resolve) => page.once("close", resolve))
  await page.close({ runBeforeUnload: true })
  await closed
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits for `expected` quiz ids, then a little longer, and checks each arrived exactly once. */
const assertDeliveredOnce = async (anonymousId: string, expected: ReadonlyArray<string>): Promise<Array<RawEvent>> => {
  await waitForEvents(server.kafka, anonymousId, (all) => all.length >= expected.length)
  await sleep(1500)
  const events = await eventsOf(server.kafka, anonymousId)
  const ids = events.map((e) => e.event_id)
  assert.strictEqual(new Set(ids).size, ids.length, "no event_id twice on events_raw")
  assert.sameMembers(
    events.map((e) => String(e.properties.quiz_id)),
    [...expected]
  )
  return events
}

describe("SDK delivery in Chromium", () => {
  it("offline, then online: every event delivered exactly once", async () => {
    const context = await harnessContext()
    const page = await openHarness(context)
    await context.setOffline(true)
    const expected = quizIds("offline", 12)
    await track(page, expected)
    const anonymous = await anonymousIdOf(page)
    await sleep(1500)
    assert.strictEqual((await eventsOf(server.kafka, anonymous)).length, 0, "nothing goes out while offline")
    await context.setOffline(false)
    const events = await assertDeliveredOnce(anonymous, expected)
    assert.strictEqual(new Set(events.map((e) => e.session_id)).size, 1)
    await context.close()
  }, 60_000)

  it("a reload with events queued keeps them (IndexedDB), and the next page sends them once", async () => {
    const context = await harnessContext()
    let refused = 0
    await context.route("**/api/v1/events/batch", (route) => {
      refused++
      return route.fulfill({
        status: 503,
        headers: { "retry-after": "3600" },
        contentType: "application/json",
        body: JSON.stringify({ error: { status: 503, code: "overloaded", message: "busy", request_id: "test" } })
      })
    })
    const page = await openHarness(context, "?retryCap=3600000")
    const expected = quizIds("reload", 6)
    await track(page, expected)
    while (refused === 0) await sleep(50)
    const anonymous = await anonymousIdOf(page)
    assert.include(
      await page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name)),
      "harness-outbox"
    )
    // Waiting out a one-hour Retry-After, the page beacons nothing when it unloads (a beacon to the
    // refusing server would be lost: the events would be gone from the outbox).
    const reloadedAt = Date.now()
    await page.reload()
    await page.waitForFunction(() => (window as unknown as Harness).ready === true)
    while (refused < 2) await sleep(50)
    // The server is back; "online" makes the new page retry at once rather than in an hour.
    await context.unroute("**/api/v1/events/batch")
    await page.evaluate(() => dispatchEvent(new Event("online")))
    const events = await assertDeliveredOnce(anonymous, expected)
    for (const event of events)
      assert.isAtLeast(Date.parse(event.sent_at ?? ""), reloadedAt - 50, "sent by the new page")
    assert.strictEqual(refused, 2, "the old page's attempt and the new page's first one, no beacon")
    await context.close()
  }, 60_000)

  it("a 503 with Retry-After is retried after it, with the same event ids", async () => {
    const context = await harnessContext()
    const attempts: Array<{ at: number; gzip: boolean; ids: Array<string>; sentAt: Array<string> }> = []
    await context.route("**/api/v1/events/batch", (route) => {
      const request = route.request()
      const raw = request.postDataBuffer() ?? Buffer.alloc(0)
      const gzip = request.headers()["content-encoding"] === "gzip"
      const body = JSON.parse((gzip ? gunzipSync(raw) : raw).toString("utf8")) as {
        events: Array<{ event_id: string; sent_at: string }>
      }
      attempts.push({
        at: Date.now(),
        gzip,
        ids: body.events.map((e) => e.event_id),
        sentAt: body.events.map((e) => e.sent_at)
      })
      if (attempts.length > 1) return route.continue()
      return route.fulfill({
        status: 503,
        headers: { "retry-after": "2" },
        contentType: "application/json",
        body: JSON.stringify({ error: { status: 503, code: "broker_unavailable", message: "down", request_id: "t" } })
      })
    })
    const page = await openHarness(context)
    const expected = quizIds("retry", 5)
    await track(page, expected)
    const anonymous = await anonymousIdOf(page)
    const events = await assertDeliveredOnce(anonymous, expected)
    const [first, second] = attempts
    assert.isAtLeast((second?.at ?? 0) - (first?.at ?? 0), 2000, "not before Retry-After")
    assert.deepStrictEqual(second?.ids, first?.ids)
    assert.isTrue(first?.gzip, "a body of 1 KiB or more goes gzipped (CompressionStream)")
    assert.notDeepEqual(second?.sentAt, first?.sentAt, "sent_at is set at each send")
    assert.sameMembers(
      events.map((e) => e.event_id),
      first?.ids ?? []
    )
    await context.close()
  }, 60_000)

  it("two tabs never send the same event, and a tab closed offline leaves its events to the other", async () => {
    const context = await harnessContext()
    // A slow server keeps each tab's batches in flight while the other tab reads the shared outbox.
    await context.route("**/api/v1/events/batch", async (route) => {
      await sleep(250)
      await route.continue()
    })
    const a = await openHarness(context)
    const b = await openHarness(context)
    const online = [...quizIds("a", 25), ...quizIds("b", 25)]
    await Promise.all([track(a, quizIds("a", 25)), track(b, quizIds("b", 25))])
    const anonymous = await anonymousIdOf(a)
    await waitForEvents(server.kafka, anonymous, (all) => all.length >= online.length)

    await context.setOffline(true)
    await track(a, quizIds("a-offline", 7))
    await track(b, quizIds("b-offline", 7))
    await sleep(300)
    await closeTab(a)
    await context.setOffline(false)
    const events = await assertDeliveredOnce(anonymous, [
      ...online,
      ...quizIds("a-offline", 7),
      ...quizIds("b-offline", 7)
    ])
    assert.strictEqual(events.length, 64)
    assert.strictEqual(new Set(events.map((e) => e.session_id)).size, 1, "one session shared by both tabs")
    await context.close()
  }, 60_000)

  it("with localStorage and IndexedDB blocked, the identity lives in a first-party cookie and events still arrive", async () => {
    const context = await harnessContext()
    await context.addInitScript(() => {
      const blocked = () => {
        throw new DOMException("storage is blocked", "SecurityError")
      }
      Object.defineProperty(window, "localStorage", { get: blocked })
      Object.defineProperty(window, "indexedDB", { get: blocked })
    })
    const page = await openHarness(context)
    await track(page, quizIds("cookie", 3))
    const cookie = (await context.cookies()).find((c) => c.name === "harness_anon")
    assert.isDefined(cookie, "the anonymous id is kept in a cookie")
    const anonymous = decodeURIComponent(cookie?.value ?? "")
    await page.reload()
    await page.waitForFunction(() => (window as unknown as Harness).ready === true)
    await track(page, quizIds("cookie-after-reload", 3))
    const events = await assertDeliveredOnce(anonymous, [...quizIds("cookie", 3), ...quizIds("cookie-after-reload", 3)])
    assert.strictEqual(new Set(events.map((e) => e.session_id)).size, 1, "the session survives the reload too")
    await context.close()
  }, 60_000)

  it("a tab closed with events waiting beacons them, and no later page sends them again", async () => {
    const context = await harnessContext()
    const page = await openHarness(context, "?flushAt=1000&interval=600000")
    const expected = quizIds("beacon", 20)
    await track(page, expected)
    const anonymous = await anonymousIdOf(page)
    await sleep(300)
    assert.strictEqual((await eventsOf(server.kafka, anonymous)).length, 0, "nothing sent before unload")
    await closeTab(page)
    // The next page of the site takes over what a gone tab left in the outbox: nothing, if the beacon's delete landed.
    await openHarness(context)
    await assertDeliveredOnce(anonymous, expected)
    await context.close()
  }, 60_000)
})
