/** Experiment assignment: deterministic, balanced, sticky, one exposure per user and experiment. */
import { assert, describe, it } from "@effect/vitest"
import { afterEach, beforeEach, vi } from "vitest"
import { assignVariant } from "../../src/sdk/Variant.ts"
import { BASE_MS, FakeBrowser, quizStarted } from "./fixtures.ts"

const LAYOUTS = ["control", "sliders_first"] as const

describe("assignVariant", () => {
  it("is a function of experiment and user", () => {
    for (let i = 0; i < 50; i++) {
      assert.strictEqual(
        assignVariant("configurator_layout", `user-${i}`, LAYOUTS),
        assignVariant("configurator_layout", `user-${i}`, LAYOUTS)
      )
    }
  })

  it("splits users evenly, sequential ids included, and independently per experiment", () => {
    const users = Array.from({ length: 4000 }, (_, i) => `user-${i}`)
    const share = (experiment: string, variants: readonly [string, ...Array<string>], variant: string) =>
      users.filter((user) => assignVariant(experiment, user, variants) === variant).length / users.length
    // 4000 fair coin flips: ±3 % is about four standard deviations.
    assert.approximately(share("configurator_layout", LAYOUTS, "control"), 0.5, 0.03)
    for (const v of ["a", "b", "c"]) assert.approximately(share("pricing", ["a", "b", "c"], v), 1 / 3, 0.03)
    const both = users.filter(
      (user) =>
        assignVariant("configurator_layout", user, LAYOUTS) === "control" &&
        assignVariant("onboarding", user, LAYOUTS) === "control"
    ).length
    assert.approximately(both / users.length, 0.25, 0.03)
  })
})

describe("tracker.variant", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: BASE_MS })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  const exposures = (browser: FakeBrowser) =>
    browser.received().filter((event) => event.event_type === "experiment_exposure")

  it("assigns by hash of the anonymous id, keeps it, and sends one exposure per user and experiment", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab()
    const first = tab.tracker.variant("configurator_layout", LAYOUTS)
    assert.strictEqual(tab.tracker.variant("configurator_layout", LAYOUTS), first)
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    const anonymous = browser.received()[0]?.anonymous_id ?? ""
    assert.strictEqual(first, assignVariant("configurator_layout", anonymous, LAYOUTS))
    // Another tab, or the next visit, of the same browser.
    const later = browser.tab()
    assert.strictEqual(later.tracker.variant("configurator_layout", LAYOUTS), first)
    await later.tracker.flush()
    assert.deepStrictEqual(
      exposures(browser).map((event) => [event.properties.experiment_key, event.properties.variant]),
      [["configurator_layout", first]]
    )
  })

  it("stays on the assigned variant after identify (a new user id gets its own single exposure)", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab()
    const before = tab.tracker.variant("configurator_layout", LAYOUTS)
    tab.tracker.identify("ada@example.com")
    assert.strictEqual(tab.tracker.variant("configurator_layout", LAYOUTS), before)
    assert.strictEqual(tab.tracker.variant("configurator_layout", LAYOUTS), before)
    await tab.tracker.flush()
    assert.deepStrictEqual(
      exposures(browser).map((event) => [event.user_id === event.anonymous_id, event.properties.variant]),
      [
        [true, before],
        [false, before]
      ]
    )
  })

  it("reset forgets the user: a new anonymous id, session and assignment", async () => {
    const browser = new FakeBrowser()
    const tab = browser.tab()
    tab.tracker.variant("configurator_layout", LAYOUTS)
    tab.tracker.track("quiz_started", quizStarted)
    tab.tracker.reset()
    tab.tracker.variant("configurator_layout", LAYOUTS)
    tab.tracker.track("quiz_started", quizStarted)
    await tab.tracker.flush()
    const [exposureA, a, exposureB, b] = browser.received()
    assert.notStrictEqual(a?.anonymous_id, b?.anonymous_id)
    assert.notStrictEqual(a?.session_id, b?.session_id)
    assert.strictEqual(exposureA?.anonymous_id, a?.anonymous_id)
    assert.strictEqual(exposureB?.anonymous_id, b?.anonymous_id)
    assert.strictEqual(
      b?.experiments?.configurator_layout,
      assignVariant("configurator_layout", b?.anonymous_id ?? "", LAYOUTS)
    )
  })
})
