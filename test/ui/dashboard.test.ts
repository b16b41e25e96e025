/**
 * The dashboard in Debian's Chromium against one server running every role (ingest, stream processor,
 * warehouse, built app) with LAUNCHPAD_API_TOKEN set, its warehouse seeded through the real pipeline
 * (simulated journeys over 35 past days posted to ingest, then the models built):
 * - every section renders from the API, its cards show the API's numbers, no console error, axe-core
 *   finds nothing serious; screenshots of every section at desktop and mobile width;
 * - live: events posted to ingest appear in the live panel without a reload and change it in place; an
 *   injected spike in kpi_minute raises the anomaly alert;
 * - filters: device and range go into the URL and change the numbers; the URL restores the view;
 * - funnels: the breakdown and an ad-hoc funnel of picked event types show the API's counts;
 * - the token: asked for, a wrong one refused in words, the right one kept for the tab.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Option, Redacted } from "effect"
import type { Browser, BrowserContext, Page } from "playwright-core"
import type { EventOf, EventType } from "../../src/domain/SdkTypes.ts"
import { formatTimestamp } from "../../src/domain/Timestamp.ts"
import { journey, makeRandom } from "../../src/sim/Journeys.ts"
import { artifact, axeViolations, launchChromium, VIEWPORTS } from "./fixtures/browser.ts"
import { builtWebApp } from "./fixtures/build.ts"
import {
  type PipelineServer,
  REPORT_PANELS,
  type Seeded,
  seed,
  startPipelineServer,
  until
} from "./fixtures/pipeline.ts"

const TOKEN = "dashboard-test-token"
const MINUTE_MS = 60_000
const SECTIONS = ["overview", "live", "funnels", "retention", "experiments", "trends", "business", "pipeline"]
const CARD_KEYS = ["dau", "adoption", "completion", "depth", "session", "share", "revenue", "aov"]

let server: PipelineServer
let browser: Browser
let seeded: Seeded

beforeAll(async () => {
  const root = await builtWebApp()
  ;[server, browser] = await Promise.all([
    startPipelineServer(root, { apiToken: Option.some(Redacted.make(TOKEN)) }),
    launchChromium()
  ])
  seeded = await seed(server, { days: 35, visitsPerDay: 30, users: 300, seed: 7, token: TOKEN })
}, 150_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const api = <A>(path: string) => server.get<A>(path, TOKEN)

/** A browser context of the server, with the token already given for the tab unless `token` is false. */
const newContext = async (options: { viewport?: keyof typeof VIEWPORTS; token?: boolean } = {}) => {
  const context = await browser.newContext({
    viewport: VIEWPORTS[options.viewport ?? "desktop"],
    baseURL: server.baseUrl
  })
  if (options.token !== false) {
    await context.addInitScript((token) => sessionStorage.setItem("lp_dashboard_token", token), TOKEN)
  }
  return context
}

/** A page of `context` at `path`, collecting console errors and uncaught exceptions. */
const open = async (context: BrowserContext, path: string) => {
  const page = await context.newPage()
  const errors: Array<string> = []
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text())
  })
  page.on("pageerror", (error) => errors.push(error.message))
  await page.goto(path)
  return { page, errors }
}

const readyPanel = (page: Page, testId: string) =>
  page.locator(`[data-testid="${testId}"][data-state="ready"]`).waitFor({ timeout: 30_000 })

/** Every report panel holds data, every card is drawn and every chart has its ECharts instance. */
const waitForSections = async (page: Page) => {
  for (const testId of REPORT_PANELS) await readyPanel(page, testId)
  for (const key of CARD_KEYS) {
    await page.locator(`[data-kpi="${key}"][data-state="ready"]`).waitFor({ timeout: 30_000 })
  }
  await until(
    "every chart to be drawn",
    async () => {
      const [charts, drawn] = await page.evaluate(() => {
        const all = [...document.querySelectorAll(".chart")]
        return [all.length, all.filter((c) => c.matches("[data-ready=true]") && c.querySelector("canvas")).length]
      })
      return charts > 0 && charts === drawn ? true : undefined
    },
    20_000
  )
}

const text = async (page: Page, selector: string) =>
  ((await page.locator(selector).first().textContent()) ?? "").replace(/\s+/g, " ").trim()

const cardValue = (page: Page, key: string) => page.locator(`[data-kpi="${key}"]`).getAttribute("data-value")

/** Each section as its own picture (the sticky section menu would cover the top of every one). */
const screenshotSections = async (page: Page, viewport: string) => {
  await page.addStyleTag({ content: ".section-nav { position: static !important; }" })
  for (const id of SECTIONS) {
    await page.locator(`section#${id}`).screenshot({ path: artifact("screenshots", `dashboard-${viewport}-${id}.png`) })
  }
}

interface EngagementBody {
  readonly range: { readonly from: string; readonly to: string }
  readonly totals: {
    readonly average_dau: number | null
    readonly adoption_rate: number | null
    readonly completion_rate: number | null
    readonly interactions_per_starter: number | null
    readonly avg_session_duration_s: number | null
    readonly share_rate: number | null
  }
}
interface RevenueBody {
  readonly totals: ReadonlyArray<{ currency: string; revenue: number; average_order_value: number | null }>
}

const percent = (rate: number | null) => (rate === null ? "—" : `${(rate * 100).toFixed(1)} %`)
const money = (amount: number | null, currency: string) =>
  amount === null
    ? "—"
    : new Intl.NumberFormat("en-US", {
        style: "currency",
        currency,
        maximumFractionDigits: Math.abs(amount) >= 10_000 ? 0 : 2,
        minimumFractionDigits: Math.abs(amount) >= 10_000 ? 0 : 2
      })
        .format(amount)
        .replace(/\s+/g, " ")
const duration = (s: number | null) =>
  s === null ? "—" : s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`

/** What each card must read, worked out from the API's answers. */
const expectedCards = (engagement: EngagementBody, revenue: RevenueBody) => {
  const t = engagement.totals
  const main = [...revenue.totals].sort((a, b) => b.revenue - a.revenue)[0]
  assert.isDefined(main, "the seed has revenue")
  const currency = main?.currency ?? ""
  return {
    dau: [t.average_dau, t.average_dau === null ? "—" : t.average_dau.toFixed(1)],
    adoption: [t.adoption_rate, percent(t.adoption_rate)],
    completion: [t.completion_rate, percent(t.completion_rate)],
    depth: [t.interactions_per_starter, t.interactions_per_starter?.toFixed(2) ?? "—"],
    session: [t.avg_session_duration_s, duration(t.avg_session_duration_s)],
    share: [t.share_rate, percent(t.share_rate)],
    revenue: [main?.revenue ?? null, money(main?.revenue ?? null, currency)],
    aov: [main?.average_order_value ?? null, money(main?.average_order_value ?? null, currency)]
  } satisfies Record<string, readonly [number | null, string]>
}

const assertCards = async (page: Page, engagement: EngagementBody, revenue: RevenueBody) => {
  for (const [key, [value, shown]] of Object.entries(expectedCards(engagement, revenue))) {
    assert.strictEqual(await cardValue(page, key), value === null ? "" : String(value), `${key}: data-value`)
    assert.strictEqual(await text(page, `[data-kpi="${key}"] .kpi-value`), shown, `${key}: the card's figure`)
  }
}

/** The cells of the rows of a table, by data-testid (or a CSS selector of its container). */
const tableRows = (page: Page, testId: string, within = "") =>
  page.$$eval(`${within} [data-testid="${testId}"] tbody tr`, (rows) =>
    rows.map((row) => [...row.querySelectorAll("td")].map((cell) => (cell.textContent ?? "").trim()))
  )

interface FunnelBody {
  readonly rows: ReadonlyArray<{ readonly breakdown_value: string; readonly users: number }>
}

/** Breakdown value and users of each row, as the funnel table shows them and as the API answered. */
const funnelCells = (rows: ReadonlyArray<ReadonlyArray<string>>) => rows.map((cells) => [cells[0], cells[2]])
const funnelApiCells = (body: FunnelBody) => body.rows.map((r) => [r.breakdown_value, r.users.toLocaleString("en-US")])

describe("the dashboard over a seeded warehouse", () => {
  it("renders every section from the API, with the API's numbers, no console error and no serious axe violation", async () => {
    const context = await newContext()
    const { page, errors } = await open(context, "/dashboard")
    await waitForSections(page)

    const [engagement, revenue] = await Promise.all([
      api<EngagementBody>("/api/v1/reports/engagement"),
      api<RevenueBody>("/api/v1/reports/revenue")
    ])
    assert.strictEqual(engagement.range.to, seeded.lastDay, "the default range ends on the newest day with data")
    await assertCards(page, engagement, revenue)

    // The money slide says the API's day-7 lift of completers as a ratio with its interval.
    const retention = await api<{
      lift: ReadonlyArray<{
        day_number: number
        relative_lift: number | null
        relative_lift_ci_low: number | null
        relative_lift_ci_high: number | null
      }>
    }>("/api/v1/reports/retention")
    const day7 = retention.lift.find((r) => r.day_number === 7)
    assert.isNotNull(day7?.relative_lift ?? null, "the seed's completers come back more often")
    const ratio = (lift: number | null | undefined) => ((lift ?? 0) + 1).toFixed(1)
    assert.strictEqual(
      await text(page, ".money-headline"),
      `Completers return ${ratio(day7?.relative_lift)}× as often on day 7, 95 % CI ` +
        `${ratio(day7?.relative_lift_ci_low)}–${ratio(day7?.relative_lift_ci_high)}`
    )

    // The configurator funnel's table holds the report's users per step, in funnel order.
    const funnel = await api<{ rows: ReadonlyArray<{ step_index: number; users: number }> }>(
      "/api/v1/reports/funnel?funnel=configurator"
    )
    const funnelRows = await tableRows(page, "funnel-table")
    assert.deepStrictEqual(
      funnelRows.map((cells) => cells[1]),
      [...funnel.rows].sort((a, b) => a.step_index - b.step_index).map((r) => r.users.toLocaleString("en-US"))
    )
    assert.isAbove(funnel.rows[0]?.users ?? 0, 0)

    // The experiment's exposures per variant, as the report gives them.
    const experiments = await api<{
      experiments: ReadonlyArray<string>
      rows: ReadonlyArray<{ experiment_key: string; metric: string; variant: string; exposures: number }>
    }>("/api/v1/reports/experiments")
    const first = experiments.experiments[0]
    const metric = experiments.rows.find((r) => r.experiment_key === first)?.metric ?? ""
    const shown = await tableRows(page, `experiment-${metric}`)
    assert.deepStrictEqual(
      shown.map((cells) => [cells[0], cells[1]]),
      experiments.rows
        .filter((r) => r.experiment_key === first && r.metric === metric)
        .map((r) => [r.variant, r.exposures.toLocaleString("en-US")])
    )

    // The model lineage: clicking through to a model shows its detail, and the URL keeps it.
    await page.selectOption("#lineage-model", "fct_funnel")
    await page.locator('[data-testid="model-detail"][data-model="fct_funnel"]').waitFor()
    assert.strictEqual(new URL(page.url()).searchParams.get("model"), "fct_funnel")

    assert.deepStrictEqual(await page.locator('[data-state="error"]').count(), 0)
    assert.deepStrictEqual(await axeViolations(page), [])
    await page.screenshot({ path: artifact("screenshots", "dashboard-desktop-full.png"), fullPage: true })
    await screenshotSections(page, "desktop")
    assert.deepStrictEqual(errors, [])
    await context.close()
  }, 90_000)

  it("is readable at phone width: every section renders, nothing serious for axe", async () => {
    const context = await newContext({ viewport: "mobile" })
    const { page, errors } = await open(context, "/dashboard")
    await waitForSections(page)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.isAtMost(overflow, 0, "the page does not scroll sideways")
    assert.deepStrictEqual(await axeViolations(page), [])
    await screenshotSections(page, "mobile")
    assert.deepStrictEqual(errors, [])
    await context.close()
  }, 90_000)
})

describe("the funnels", () => {
  it("break down by device and build an ad-hoc funnel from picked event types, as the API counts them", async () => {
    const context = await newContext()
    const { page, errors } = await open(context, "/dashboard#funnels")
    await readyPanel(page, "named-funnel")

    await page.selectOption("#funnel-breakdown", "device_type")
    await page.waitForURL((url) => url.searchParams.get("breakdown") === "device_type")
    const named = await api<FunnelBody>(
      "/api/v1/reports/funnel?funnel=configurator&mode=ordered&breakdown=device_type&window_days=14"
    )
    assert.isAbove(new Set(named.rows.map((r) => r.breakdown_value)).size, 1, "the seed has several devices")
    await until(
      "the table to show the breakdown",
      async () => {
        const shown = funnelCells(await tableRows(page, "funnel-table", '[data-testid="named-funnel"]'))
        return JSON.stringify(shown) === JSON.stringify(funnelApiCells(named)) ? true : undefined
      },
      20_000
    )

    for (const step of ["quiz_started", "purchase"]) {
      await page.selectOption("#adhoc-pick", step)
      await page.getByRole("button", { name: "Add step" }).click()
    }
    await page.getByRole("button", { name: "Show funnel" }).click()
    await page.waitForURL((url) => url.searchParams.get("steps") === "quiz_started,purchase")
    await readyPanel(page, "adhoc-result")
    const adHoc = await api<FunnelBody>(
      "/api/v1/reports/funnel?steps=quiz_started,purchase&mode=ordered&breakdown=device_type&window_days=14"
    )
    assert.deepStrictEqual(
      funnelCells(await tableRows(page, "funnel-table", '[data-testid="adhoc-result"]')),
      funnelApiCells(adHoc)
    )
    assert.deepStrictEqual(await axeViolations(page), [])
    assert.deepStrictEqual(errors, [])
    await context.close()
  }, 60_000)
})

/** A few journeys' events, all at `atMs` (one minute of event time), for users not in the seed. */
const liveEvents = (seedNumber: number, users: number, atMs: number): Array<EventOf<EventType>> => {
  const random = makeRandom(seedNumber)
  const at = formatTimestamp(atMs)
  return Array.from({ length: users }, (_, i) =>
    journey(random, 10_000 + seedNumber * 100 + i, atMs).map(({ event }) => ({ ...event, occurred_at: at }))
  ).flat()
}

interface KpisLatest {
  readonly kpis: { readonly minute: string; readonly events: number; readonly distinct_users: number } | null
}

describe("the live panel", () => {
  it("shows events posted to ingest without a reload, changing the open minute in place", async () => {
    const context = await newContext()
    const { page, errors } = await open(context, "/dashboard#live")
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor({ timeout: 20_000 })
    await page.evaluate(() => {
      ;(window as unknown as { notReloaded: boolean }).notReloaded = true
    })

    // Event time a few seconds ago, so that both batches fall into one minute whenever the test runs.
    const at = Date.now() - 5_000
    const minute = new Date(Math.floor(at / MINUTE_MS) * MINUTE_MS).toISOString()
    const first = liveEvents(1, 3, at)
    await server.post(first)
    const shown = async (events: number) =>
      until(
        `the live panel to show ${events} events`,
        async () =>
          (await page.locator('[data-testid="live-events"]').getAttribute("data-value")) === String(events)
            ? true
            : undefined,
        30_000
      )
    await shown(first.length)
    assert.include(await text(page, '[data-testid="live-events"]'), "provisional", "an open minute is provisional")

    const second = liveEvents(2, 2, at)
    await server.post(second)
    await shown(first.length + second.length)
    const latest = await api<KpisLatest>("/api/v1/kpis/latest")
    assert.strictEqual(latest.kpis?.minute, minute)
    assert.strictEqual(latest.kpis?.events, first.length + second.length)
    assert.strictEqual(
      await page.locator('[data-testid="live-users"]').getAttribute("data-value"),
      String(latest.kpis?.distinct_users)
    )
    assert.isTrue(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true))

    // The live funnel counts users: 5 journeys started; no step above the one before.
    await readyPanel(page, "live-funnel")
    const steps = (await tableRows(page, "live-funnel")).map((cells) => Number((cells[1] ?? "").replaceAll(",", "")))
    assert.isAtLeast(steps[0] ?? 0, 5)
    for (let i = 1; i < steps.length; i++) assert.isAtMost(steps[i] ?? 0, steps[i - 1] ?? 0)
    assert.deepStrictEqual(errors, [])
    await context.close()
  }, 60_000)

  it("raises the anomaly alert for a spiking minute (z-score above 3 against its trailing hour)", async () => {
    const context = await newContext()
    const { page, errors } = await open(context, "/dashboard#live")
    const alerts = page.locator('[data-testid="alerts"]')
    await alerts.waitFor({ timeout: 20_000 })
    assert.strictEqual(await alerts.getAttribute("data-count"), "0")

    // kpi_minute as the stream processor would publish it, every partition closed: an hour of 10 and 14
    // events a minute alternating (mean 12, sd ≈ 2.02), then 40 events at S: z ≈ 13.9.
    const spike = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 10 * MINUTE_MS
    const record = (minuteStartMs: number, events: number, users: number) =>
      [0, 1, 2].map((partition) => ({
        minuteStartMs,
        partition,
        partitions: 3,
        closed: true,
        measures: partition === 0 ? { events, distinctUsers: users } : {}
      }))
    await server.produceKpis([
      ...Array.from({ length: 60 }, (_, i) => record(spike - (60 - i) * MINUTE_MS, i % 2 === 0 ? 10 : 14, 5)).flat(),
      ...record(spike, 40, 5)
    ])
    // Nothing reloads: the feed's updates make the panel ask again.
    await page.locator('[data-testid="alerts"]:not([data-count="0"])').waitFor({ timeout: 40_000 })
    const listed = await api<{ alerts: ReadonlyArray<{ minute: string; measure: string; value: number }> }>(
      "/api/v1/alerts?minutes_back=60"
    )
    assert.deepStrictEqual(
      listed.alerts.map((a) => [a.minute, a.measure, a.value]),
      [[new Date(spike).toISOString(), "events", 40]]
    )
    assert.strictEqual(await alerts.getAttribute("data-count"), "1")
    assert.include(await text(page, '[data-testid="alerts"]'), "1 anomaly in the last hour")
    await page.locator("section#live").screenshot({ path: artifact("screenshots", "dashboard-desktop-live-alert.png") })
    assert.deepStrictEqual(errors, [])
    await context.close()
  }, 60_000)
})

const engagementOf = (query: string) => api<EngagementBody>(`/api/v1/reports/engagement?${query}`)

describe("the filters", () => {
  it("put device and range in the URL, change the numbers, and the URL restores them", async () => {
    const context = await newContext()
    const { page, errors } = await open(context, "/dashboard")
    await page.locator('[data-kpi="dau"][data-state="ready"]').waitFor({ timeout: 30_000 })
    const everyone = await cardValue(page, "dau")

    await page.selectOption("#filter-device", "mobile")
    await page.waitForURL((url) => url.searchParams.get("device") === "mobile")
    const mobile = await engagementOf("device=mobile")
    await until(
      "the cards to show mobile",
      async () => ((await cardValue(page, "dau")) === String(mobile.totals.average_dau) ? true : undefined),
      20_000
    )
    assert.notStrictEqual(String(mobile.totals.average_dau), everyone, "mobile users are fewer than everyone")

    const from = addDays(seeded.firstDay, 10)
    const to = addDays(seeded.lastDay, -10)
    await page.fill("#filter-from", from)
    await page.fill("#filter-to", to)
    await page.waitForURL((url) => url.searchParams.get("from") === from && url.searchParams.get("to") === to)
    const ranged = await engagementOf(`device=mobile&from=${from}&to=${to}`)
    const revenue = await api<RevenueBody>(`/api/v1/reports/revenue?device=mobile&from=${from}&to=${to}`)
    await until(
      "the cards to show the range",
      async () => ((await cardValue(page, "dau")) === String(ranged.totals.average_dau) ? true : undefined),
      20_000
    )
    await assertCards(page, ranged, revenue)

    // The link reproduces the view in a new tab.
    const { page: reopened, errors: reopenedErrors } = await open(context, page.url())
    await reopened.locator('[data-kpi="dau"][data-state="ready"]').waitFor({ timeout: 30_000 })
    assert.strictEqual(await reopened.inputValue("#filter-device"), "mobile")
    assert.strictEqual(await reopened.inputValue("#filter-from"), from)
    assert.strictEqual(await reopened.inputValue("#filter-to"), to)
    await assertCards(reopened, ranged, revenue)
    assert.deepStrictEqual([...errors, ...reopenedErrors], [])
    await context.close()
  }, 60_000)
})

const addDays = (day: string, days: number) => new Date(Date.parse(day) + days * 86_400_000).toISOString().slice(0, 10)

describe("a failing report", () => {
  it("shows its error with a retry, the other panels unaffected, and the retry brings the data", async () => {
    const context = await newContext()
    // The warehouse answers the search report with a 503 until the route is lifted.
    const failing = "**/api/v1/reports/search*"
    await context.route(failing, (route) =>
      route.fulfill({
        status: 503,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "warehouse_unavailable", message: "the warehouse is busy" } })
      })
    )
    const page = await context.newPage()
    await page.goto("/dashboard#business")
    const search = page.locator('[data-testid="search"]')
    await search.locator('[data-state="error"][role="alert"]').waitFor({ timeout: 30_000 })
    assert.strictEqual(await search.getAttribute("data-state"), "error")
    await readyPanel(page, "revenue")
    await context.unroute(failing)
    await search.getByRole("button", { name: "Retry" }).click()
    await readyPanel(page, "search")
    await context.close()
  }, 60_000)
})

describe("the API token", () => {
  it("is asked for, a wrong one is refused in words, the right one is kept for the tab", async () => {
    const context = await newContext({ token: false })
    const { page } = await open(context, "/dashboard")
    const gate = page.getByTestId("token-gate")
    await gate.waitFor({ timeout: 20_000 })
    assert.include(await text(page, '[data-testid="token-gate"]'), "LAUNCHPAD_API_TOKEN")
    assert.strictEqual(await page.locator('[data-kpi="dau"][data-state="ready"]').count(), 0)

    await page.fill("#api-token", "not-the-token")
    await page.getByRole("button", { name: "Use token" }).click()
    await page.locator(".token-refused").waitFor({ timeout: 20_000 })
    assert.include(await text(page, ".token-refused"), "That token was refused")

    await page.fill("#api-token", TOKEN)
    await page.getByRole("button", { name: "Use token" }).click()
    await page.locator('[data-kpi="dau"][data-state="ready"]').waitFor({ timeout: 30_000 })
    assert.strictEqual(await gate.count(), 0)
    await readyPanel(page, "money-slide")

    // Kept for the tab: a reload asks nothing.
    await page.reload()
    await page.locator('[data-kpi="dau"][data-state="ready"]').waitFor({ timeout: 30_000 })
    assert.strictEqual(await gate.count(), 0)
    await context.close()
  }, 60_000)
})
