/** Session rotation: the server's rule (ARCHITECTURE.md "Sessions"), in the pure function and through the tracker. */
import { assert, describe, it } from "@effect/vitest"
import { afterEach, beforeEach, vi } from "vitest"
import { nextSession, parseSession, type SessionState } from "../../src/sdk/Session.ts"
import { advance, BASE_MS, FakeBrowser, HOUR, MINUTE, quizStarted } from "./fixtures.ts"

let ids = 0
const newId = () => `s${++ids}`

describe("nextSession", () => {
  const start: SessionState = { id: "s0", start: BASE_MS, last: BASE_MS }

  it("a gap of exactly 30 minutes continues the session; 30 min + 1 ms starts a new one", () => {
    assert.strictEqual(nextSession(start, BASE_MS + 30 * MINUTE, newId).id, "s0")
    assert.notStrictEqual(nextSession(start, BASE_MS + 30 * MINUTE + 1, newId).id, "s0")
  })

  it("a span of exactly 24 h continues; 24 h + 1 ms starts a new one, however active the user", () => {
    const active: SessionState = { id: "s0", start: BASE_MS, last: BASE_MS + 24 * HOUR - MINUTE }
    assert.strictEqual(nextSession(active, BASE_MS + 24 * HOUR, newId).id, "s0")
    const next = nextSession(active, BASE_MS + 24 * HOUR + 1, newId)
    assert.notStrictEqual(next.id, "s0")
    assert.deepStrictEqual([next.start, next.last], [BASE_MS + 24 * HOUR + 1, BASE_MS + 24 * HOUR + 1])
  })

  it("an event older than the last one (another tab's clock) keeps the last activity", () => {
    const later: SessionState = { id: "s0", start: BASE_MS, last: BASE_MS + 10 * MINUTE }
    assert.deepStrictEqual(nextSession(later, BASE_MS + 5 * MINUTE, newId), later)
  })

  it("reads back only well-formed stored sessions", () => {
    assert.deepStrictEqual(parseSession(JSON.stringify(start)), start)
    for (const text of [undefined, "", "null", "[]", '{"id":1,"start":2,"last":3}', "{broken"]) {
      assert.isUndefined(parseSession(text))
    }
  })
})

describe("sessions through the tracker (fake clock)", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: BASE_MS })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  const sessionsOf = (browser: FakeBrowser) => browser.received().map((event) => event.session_id)

  it("rotates after 30 minutes of inactivity, not at exactly 30", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab({ flushAt: 1 })
    tab.tracker.track("quiz_started", quizStarted)
    await advance(30 * MINUTE)
    tab.tracker.track("quiz_started", quizStarted)
    await advance(30 * MINUTE + 1)
    tab.tracker.track("quiz_started", quizStarted)
    await advance(0)
    const [a, b, c] = sessionsOf(browser)
    assert.strictEqual(a, b)
    assert.notStrictEqual(b, c)
  })

  it("rotates after 24 h of continuous activity", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab({ flushAt: 1 })
    for (let minute = 0; minute <= 24 * 60 + 20; minute += 20) {
      tab.tracker.track("quiz_started", quizStarted)
      await advance(20 * MINUTE)
    }
    const sessions = sessionsOf(browser)
    // Events at 0, 20, …, 1440 min (73 events, a span of exactly 24 h) share one session; 1460 starts the next.
    assert.strictEqual(new Set(sessions.slice(0, 73)).size, 1)
    assert.notStrictEqual(sessions[73], sessions[72])
    assert.strictEqual(sessions.length, 74)
  })

  it("is shared across tabs: activity in one tab keeps the other's session alive", async () => {
    const browser = new FakeBrowser()
    const a = browser.tab({ flushAt: 1 })
    const b = browser.tab({ flushAt: 1 })
    a.tracker.track("quiz_started", quizStarted)
    await advance(20 * MINUTE)
    b.tracker.track("quiz_started", quizStarted)
    await advance(20 * MINUTE)
    a.tracker.track("quiz_started", quizStarted)
    await advance(0)
    assert.strictEqual(new Set(sessionsOf(browser)).size, 1, "40 min after a's first event, 20 after b's")
    assert.strictEqual(new Set(browser.received().map((event) => event.user_id)).size, 1)
  })
})
