/**
 * The configurator in Debian's Chromium against the real server (ingest + built app + embedded broker):
 * finished with the keyboard only, its events read back from events_raw; abandonment; answers kept on
 * reload; the share link; axe-core; screenshots of every step, both layouts, mobile and desktop; the
 * JavaScript each route loads.
 */
import { gzipSync } from "node:zlib"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { WebApp } from "../../src/app/WebApp.ts"
import { TOOLS } from "../../src/ui/configurator/tools.ts"
import { artifact, axeViolations, launchChromium, VIEWPORTS } from "./fixtures/browser.ts"
import { builtWebApp } from "./fixtures/build.ts"
import { countBy, eventsOf, type RawEvent, waitForEvents } from "./fixtures/events.ts"
import { startWebServer, type TestWebServer } from "./fixtures/server.ts"

const ROUTE_JS_MAX_GZIP = 60 * 1024

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

const newContext = (options: { layout?: "control" | "sliders_first"; viewport?: keyof typeof VIEWPORTS } = {}) =>
  browser
    .newContext({ viewport: VIEWPORTS[options.viewport ?? "desktop"], baseURL: server.baseUrl })
    .then(async (context) => {
      if (options.layout !== undefined) {
        // The user's stored assignment, as the SDK keeps it (lp_exp): this browser sees that layout.
        await context.addInitScript(
          (layout) => localStorage.setItem("lp_exp", JSON.stringify({ configurator_layout: layout })),
          options.layout
        )
      }
      return context
    })

const anonymousIdOf = async (page: Page): Promise<string> => {
  const id = await page.evaluate(() => localStorage.getItem("lp_anon"))
  if (id === null) throw new Error("the SDK stored no anonymous id")
  return id
}

/** Presses Tab until the focused element matches the CSS `selector`. */
const tabTo = async (page: Page, selector: string): Promise<void> => {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab")
    if (await page.evaluate((s) => document.activeElement?.matches(s) === true, selector)) return
  }
  throw new Error(`Tab never reached ${selector}`)
}

const press = async (page: Page, key: string, times = 1) => {
  for (let i = 0; i < times; i++) await page.keyboard.press(key)
}

const currentStep = (page: Page) => page.locator("#step-title").textContent()

describe("the configurator, as a keyboard user", () => {
  it("is finished with the keyboard only, and its events reach events_raw: right types, one session and user, one exposure", async () => {
    const context = await newContext()
    await context.grantPermissions(["clipboard-read", "clipboard-write"])
    const page = await context.newPage()
    await page.goto("/")
    await page.locator("#step-title").waitFor()

    // Step 1, team: 10 → 20 people (two steps right), 1 → 0 engineers.
    await tabTo(page, "#slider-team_size")
    await press(page, "ArrowRight", 2)
    await tabTo(page, "#slider-engineers")
    await press(page, "ArrowLeft")
    await tabTo(page, "button[type=submit]")
    await press(page, "Enter")
    assert.strictEqual(await currentStep(page), "Your use case")
    assert.strictEqual(
      await page.evaluate(() => document.activeElement?.id),
      "step-title",
      "focus moves to the new step"
    )

    // Step 2: use case product → web → bi → pipeline (arrow keys in the radio group), volume 1M → 100M.
    await tabTo(page, "input[name=use-case]")
    await press(page, "ArrowDown", 3)
    await tabTo(page, "#slider-events_per_month")
    await press(page, "ArrowRight", 2)
    await tabTo(page, "button[type=submit]")
    await press(page, "Enter")

    // Step 3: tick "Runs on our servers" and "SQL on raw events".
    await tabTo(page, "input[value=self_hosted]")
    await press(page, "Space")
    await tabTo(page, "input[value=sql_access]")
    await press(page, "Space")
    await tabTo(page, "button[type=submit]")
    await press(page, "Enter")

    // Step 4: budget 250 → 2500 a month, hosting "No preference" → "We host it".
    await tabTo(page, "#slider-budget")
    await press(page, "ArrowRight", 3)
    await tabTo(page, "input[name=hosting]")
    await press(page, "ArrowUp", 2)
    await tabTo(page, "button[type=submit]")
    await press(page, "Enter")

    await page.locator(".results").waitFor()
    const url = new URL(page.url())
    assert.strictEqual(url.pathname, "/result")
    assert.deepStrictEqual(Object.fromEntries(url.searchParams), {
      team: "20",
      eng: "0",
      use: "pipeline",
      vol: "100000000",
      f: "self_hosted,sql_access",
      budget: "2500",
      host: "self"
    })
    const firstTool = await page.locator(".result-name").first().textContent()

    // Open the first recommendation (a new tab) and copy the share link, by keyboard.
    await tabTo(page, ".result a[target=_blank]")
    const [opened] = await Promise.all([context.waitForEvent("page"), press(page, "Enter")])
    await opened.close()
    await tabTo(page, ".share-row button")
    await press(page, "Enter")
    await page.getByRole("status").filter({ hasText: "copied" }).waitFor()
    assert.strictEqual(await page.evaluate(() => navigator.clipboard.readText()), url.toString())

    const anonymous = await anonymousIdOf(page)
    await page.close({ runBeforeUnload: true })
    const events = await waitForEvents(
      server.kafka,
      anonymous,
      (all) =>
        all.some((e) => e.event_type === "result_shared") && all.some((e) => e.event_type === "recommendation_clicked")
    )
    await context.close()

    assert.deepStrictEqual(countBy(events), {
      page_view: 2,
      experiment_exposure: 1,
      quiz_started: 1,
      quiz_step_viewed: 4,
      slider_adjusted: 8,
      option_selected: 7,
      quiz_step_completed: 4,
      quiz_completed: 1,
      result_viewed: 1,
      recommendation_clicked: 1,
      result_shared: 1
    })
    assert.strictEqual(new Set(events.map((e) => e.event_id)).size, events.length, "each event once")
    assert.strictEqual(new Set(events.map((e) => e.session_id)).size, 1, "one session")
    assert.strictEqual(new Set(events.map((e) => e.user_id)).size, 1, "one user")
    const of = (type: string) => events.filter((e) => e.event_type === type)
    const [exposure] = of("experiment_exposure")
    const variant = String(exposure?.properties.variant)
    assert.include(["control", "sliders_first"], variant)
    // The exposure is sent when the configurator renders, before anything else: every event carries the assignment.
    for (const event of events)
      assert.deepStrictEqual(event.experiments, { configurator_layout: variant }, event.event_type)
    assert.deepStrictEqual(
      of("quiz_step_viewed").map((e) => [e.properties.step_id, e.properties.step_index]),
      [
        ["team", 0],
        ["use_case", 1],
        ["features", 2],
        ["budget", 3]
      ]
    )
    assert.deepStrictEqual(
      of("option_selected").map((e) => [e.properties.option_id, e.properties.selected]),
      [
        ["web", true],
        ["bi", true],
        ["pipeline", true],
        ["self_hosted", true],
        ["sql_access", true],
        ["cloud", true],
        ["self", true]
      ]
    )
    assert.deepStrictEqual(
      of("slider_adjusted").map((e) => [e.properties.slider_id, e.properties.value]),
      [
        ["team_size", 15],
        ["team_size", 20],
        ["engineers", 0],
        ["events_per_month", 10_000_000],
        ["events_per_month", 100_000_000],
        ["budget", 500],
        ["budget", 1000],
        ["budget", 2500]
      ]
    )
    const resultId = of("quiz_completed")[0]?.properties.result_id
    assert.strictEqual(of("result_viewed")[0]?.properties.result_id, resultId)
    const clicked = of("recommendation_clicked")[0]?.properties
    assert.strictEqual(clicked?.position, 0)
    const shown = of("result_viewed")[0]?.properties.product_ids
    assert.isArray(shown)
    assert.strictEqual(Array.isArray(shown) ? shown[0] : undefined, clicked?.product_id)
    assert.strictEqual(`Number 1: ${TOOLS.find((t) => t.id === clicked?.product_id)?.name}`, firstTool)
    assert.strictEqual(of("result_shared")[0]?.properties.channel, "link")
    const paths = (types: ReadonlyArray<string>) =>
      new Set(events.filter((e) => types.includes(e.event_type)).map((e) => e.context.page_path))
    assert.deepStrictEqual(
      paths(["quiz_started", "quiz_step_viewed", "quiz_completed", "slider_adjusted"]),
      new Set(["/"])
    )
    assert.deepStrictEqual(paths(["result_viewed", "recommendation_clicked", "result_shared"]), new Set(["/result"]))
  }, 90_000)

  it("sends quiz_abandoned when the user leaves mid-quiz, and after ten minutes idle", async () => {
    const context = await newContext()
    const page = await context.newPage()
    await page.goto("/")
    await page.getByRole("button", { name: "Next" }).click()
    assert.strictEqual(await currentStep(page), "Your use case")
    const anonymous = await anonymousIdOf(page)
    await page.goto("about:blank")
    const left = await waitForEvents(server.kafka, anonymous, (all) =>
      all.some((e) => e.event_type === "quiz_abandoned")
    )
    const abandoned = left.filter((e) => e.event_type === "quiz_abandoned")
    assert.strictEqual(abandoned.length, 1)
    assert.deepInclude(abandoned[0]?.properties ?? {}, { step_id: "use_case", step_index: 1 })
    await context.close()

    const idle = await newContext()
    const idlePage = await idle.newPage()
    await idlePage.clock.install()
    await idlePage.goto("/")
    await idlePage.locator("#step-title").waitFor()
    const idleUser = await anonymousIdOf(idlePage)
    await idlePage.clock.fastForward("09:59")
    assert.isFalse((await eventsOf(server.kafka, idleUser)).some((e) => e.event_type === "quiz_abandoned"))
    await idlePage.clock.fastForward("00:02")
    await idlePage.clock.fastForward("00:06")
    const timedOut = await waitForEvents(server.kafka, idleUser, (all) =>
      all.some((e) => e.event_type === "quiz_abandoned")
    )
    assert.deepInclude(timedOut.find((e) => e.event_type === "quiz_abandoned")?.properties ?? {}, {
      step_id: "team",
      step_index: 0
    })
    await idle.close()
  }, 60_000)
})

describe("answers and sharing", () => {
  it("keeps the answers and the step on reload", async () => {
    const context = await newContext()
    const page = await context.newPage()
    await page.goto("/")
    await page.locator("#slider-team_size").fill("8") // scale index 8: 50 people
    await page.getByRole("button", { name: "Next" }).click()
    await page.getByLabel("Business dashboards").check()
    await page.reload()
    await page.locator("#step-title").waitFor()
    assert.strictEqual(await currentStep(page), "Your use case")
    assert.isTrue(await page.getByLabel("Business dashboards").isChecked())
    await page.getByRole("button", { name: "Back" }).click()
    assert.strictEqual(await page.locator(".slider-value").first().textContent(), "50 people")
    await context.close()
  })

  it("the share link reopens the same result for someone else", async () => {
    const context = await newContext()
    const page = await context.newPage()
    await page.goto("/")
    await page.getByRole("button", { name: "Next" }).click()
    await page.getByLabel("Website analytics").check()
    await page.getByRole("button", { name: "Next" }).click()
    await page.getByLabel("Privacy first").check()
    await page.getByLabel("Open source").check()
    await page.getByRole("button", { name: "Next" }).click()
    await page.getByRole("button", { name: "See my stack" }).click()
    await page.locator(".results").waitFor()
    const link = await page.locator("#share-link").inputValue()
    const ranking = await page.locator(".result-name").allTextContents()
    await context.close()

    const other = await newContext({ viewport: "mobile" })
    const theirs = await other.newPage()
    await theirs.goto(link)
    await theirs.locator(".results").waitFor()
    assert.deepStrictEqual(await theirs.locator(".result-name").allTextContents(), ranking)
    assert.strictEqual(await theirs.locator("#share-link").inputValue(), link)
    // "Change answers" reopens the quiz with these answers.
    await theirs.getByRole("link", { name: "Change answers" }).click()
    await theirs.locator("#step-title").waitFor()
    await theirs.getByRole("button", { name: "Next" }).click()
    assert.isTrue(await theirs.getByLabel("Website analytics").isChecked())
    await other.close()
  })
})

describe("both layouts, mobile and desktop", () => {
  const STEP_NAMES = ["1-team", "2-use-case", "3-features", "4-budget"]

  for (const layout of ["control", "sliders_first"] as const) {
    for (const viewport of ["mobile", "desktop"] as const) {
      it(`${layout} at ${viewport} width: every step and the result pass axe-core and are saved as screenshots`, async () => {
        const context: BrowserContext = await newContext({ layout, viewport })
        const page = await context.newPage()
        await page.goto("/")
        await page.locator("#step-title").waitFor()
        const problems: Array<string> = []
        for (const [index, name] of STEP_NAMES.entries()) {
          assert.strictEqual(await page.locator(".step-count").textContent(), `Step ${index + 1} of 4`)
          await page.screenshot({ path: artifact("screenshots", `${layout}-${viewport}-${name}.png`), fullPage: true })
          problems.push(...(await axeViolations(page)).map((p) => `${name}: ${p}`))
          if (index === 1) {
            // The layouts differ: which comes first, the slider or the choices; the side preview; the progress display.
            const first = await page.locator(".step-fields > *").first().getAttribute("class")
            assert.strictEqual(first, layout === "sliders_first" ? "slider" : "options")
            assert.strictEqual(await page.locator("aside.preview").count(), layout === "sliders_first" ? 1 : 0)
            assert.strictEqual(
              await page.locator(layout === "control" ? "ol.stepper" : "[role=progressbar]").count(),
              1
            )
          }
          if (index === 2) await page.getByLabel("SQL on raw events").check()
          await page.getByRole("button", { name: index === 3 ? "See my stack" : "Next" }).click()
        }
        await page.locator(".results").waitFor()
        await page.screenshot({ path: artifact("screenshots", `${layout}-${viewport}-5-result.png`), fullPage: true })
        problems.push(...(await axeViolations(page)).map((p) => `result: ${p}`))
        // Nothing wider than the screen at 360 px.
        assert.isAtMost(await page.evaluate(() => document.documentElement.scrollWidth), VIEWPORTS[viewport].width)
        assert.deepStrictEqual(problems, [])
        const anonymous = await anonymousIdOf(page)
        await context.close()
        const [exposure] = (await eventsOf(server.kafka, anonymous)).filter(
          (e: RawEvent) => e.event_type === "experiment_exposure"
        )
        if (exposure !== undefined) assert.strictEqual(exposure.properties.variant, layout)
      }, 60_000)
    }
  }
})

describe("route JavaScript", () => {
  const jsOf = async (path: string): Promise<{ files: number; gzip: number }> => {
    const context = await newContext()
    const page = await context.newPage()
    const bodies: Array<Promise<Buffer>> = []
    page.on("response", (response) => {
      if (response.request().resourceType() === "script") bodies.push(response.body())
    })
    await page.goto(path)
    await page.locator(path === "/" ? "#step-title" : ".results").waitFor()
    await page.waitForLoadState("networkidle")
    const files = await Promise.all(bodies)
    await context.close()
    return { files: files.length, gzip: files.reduce((sum, body) => sum + gzipSync(body, { level: 9 }).length, 0) }
  }

  it("each route loads at most 60 KB of gzipped JavaScript", async () => {
    const configurator = await jsOf("/")
    const result = await jsOf("/result?team=10&eng=1&use=web&vol=1000000&f=&budget=250&host=either")
    console.log(
      `route JS (gzip): / ${configurator.gzip} B in ${configurator.files} files; /result ${result.gzip} B in ${result.files} files`
    )
    assert.isAtMost(configurator.gzip, ROUTE_JS_MAX_GZIP)
    assert.isAtMost(result.gzip, ROUTE_JS_MAX_GZIP)
  }, 60_000)
})
