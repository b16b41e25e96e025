/**
 * `pnpm bench dashboard [--data-dir=DIR]`: the dashboard's first load in Debian's Chromium (headless,
 * a fresh browser context per load, so nothing is cached):
 *
 * - all cards visible: navigation start → the eight KPI cards drawn with their numbers, median and
 *   worst of the loads; and → every report panel holding its answer (its data, or "no data yet");
 * - the dashboard route's JavaScript, gzipped (every script the first load fetches, the ECharts chunk
 *   included);
 * - each report request's p95 from the browser: one at a time (every URL a first load asked, 20 times
 *   after 3 warm-ups: the models issue's p95 goal), and as it was during the first loads, beside the
 *   other panels' requests (Resource Timing).
 *
 * Without `--data-dir` it measures a small warehouse seeded through the real pipeline (the UI tests'
 * seed: ~15k events over 35 days), so the figures are the dashboard's own cost. With
 * `--data-dir=DIR` it runs `launchpad start` over an existing data directory (e.g. the models bench's
 * 10M-event lake copied somewhere) on its own port and builds the models first if they were never built.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { gzipSync } from "node:zlib"
import type { Browser } from "playwright-core"
import { artifact, launchChromium } from "../test/ui/fixtures/browser.ts"
import { builtWebApp } from "../test/ui/fixtures/build.ts"
import { REPORT_PANELS, seed, startPipelineServer } from "../test/ui/fixtures/pipeline.ts"
import type { BenchRow, BenchSection } from "./Bench.ts"
import { freePort, stop, waitFor } from "./Processes.ts"

const LOADS = 10
const REQUESTS = 20
const CARDS = 8
const REPO = path.join(import.meta.dirname, "..")

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN

interface Target {
  readonly baseUrl: string
  readonly setup: string
  readonly close: () => Promise<void>
}

/** A small warehouse seeded through the real pipeline, in this process. */
const smallSeed = async (): Promise<Target> => {
  const server = await startPipelineServer(await builtWebApp())
  const seeded = await seed(server, { days: 35, visitsPerDay: 30, users: 300, seed: 7 })
  return {
    baseUrl: server.baseUrl,
    setup: `${seeded.events.toLocaleString("en-US")} seeded events over 35 days`,
    close: server.close
  }
}

/** `launchpad start` over `dataDir`, models built once if they never were. */
const existing = async (dataDir: string): Promise<Target> => {
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, [path.join(REPO, "src/main.ts"), "start"], {
    cwd: REPO,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      LAUNCHPAD_DATA_DIR: path.resolve(dataDir),
      LAUNCHPAD_MODELS_INTERVAL_S: "0",
      LAUNCHPAD_LAKE_MAINTENANCE_INTERVAL_S: "0"
    }
  })
  const baseUrl = `http://127.0.0.1:${port}`
  try {
    await waitFor(`${baseUrl}/health`, 120_000)
    const probe = await fetch(`${baseUrl}/api/v1/reports/engagement`)
    await probe.arrayBuffer()
    if (probe.status === 409) {
      console.error("bench dashboard: building the models of the data dir (never built)…")
      const run = await fetch(`${baseUrl}/api/v1/models/run`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}"
      })
      if (run.status !== 200) throw new Error(`models run: ${run.status} ${await run.text()}`)
    }
  } catch (error) {
    await stop(child)
    throw error
  }
  return { baseUrl, setup: `launchpad start over ${dataDir}`, close: () => stop(child) }
}

interface Load {
  readonly cardsMs: number
  /** Navigation start → the first report request sent (the app's JavaScript loaded and run). */
  readonly firstRequestMs: number
  readonly panelsMs: number
  readonly scriptGzipBytes: number
  readonly reports: ReadonlyArray<{ readonly report: string; readonly url: string; readonly ms: number }>
}

const firstLoad = async (browser: Browser, baseUrl: string, screenshot: boolean): Promise<Load> => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: baseUrl })
  try {
    const page = await context.newPage()
    const scripts: Array<Promise<Buffer>> = []
    page.on("response", (response) => {
      if (response.request().resourceType() === "script") scripts.push(response.body())
    })
    const started = Date.now()
    await page.goto("/dashboard", { waitUntil: "commit" })
    await page.waitForFunction(
      (cards) => document.querySelectorAll('[data-kpi][data-state="ready"] .kpi-value').length >= cards,
      CARDS,
      { timeout: 60_000, polling: "raf" }
    )
    const cardsMs = Date.now() - started
    // Answered: its data, or "no data yet" for a mart without rows (a lake without searches has no search funnel).
    await page.waitForFunction(
      (panels) =>
        panels.every(
          (id) =>
            document.querySelector(`[data-testid="${id}"]:is([data-state="ready"], [data-state="empty"])`) !== null
        ),
      REPORT_PANELS,
      { timeout: 60_000, polling: "raf" }
    )
    const panelsMs = Date.now() - started
    // Every chart drawn: its ECharts chunk has loaded (the live feed keeps the network busy for good).
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll(".chart")].every(
          (chart) => chart.matches("[data-ready=true]") && chart.querySelector("canvas") !== null
        ),
      undefined,
      { timeout: 60_000 }
    )
    if (screenshot) await page.screenshot({ path: artifact("bench", "dashboard-first-load.png") })
    const reports = await page.evaluate(() =>
      performance
        .getEntriesByType("resource")
        .filter((entry) => entry.name.includes("/api/v1/reports/"))
        .map((entry) => ({
          report: new URL(entry.name).pathname.replace("/api/v1/reports/", ""),
          url: entry.name,
          startMs: entry.startTime,
          ms: entry.duration
        }))
    )
    const bodies = await Promise.all(scripts)
    return {
      cardsMs,
      firstRequestMs: Math.min(...reports.map((r) => r.startMs)),
      panelsMs,
      scriptGzipBytes: bodies.reduce((sum, body) => sum + gzipSync(body, { level: 9 }).length, 0),
      reports
    }
  } finally {
    await context.close()
  }
}

/**
 * Each report request of a first load again, one at a time from a page of the dashboard's origin
 * (`fetch`, body read): 3 warm-ups, then `REQUESTS` timed, per distinct URL.
 */
const oneAtATime = async (
  browser: Browser,
  baseUrl: string,
  urls: ReadonlyArray<string>
): Promise<Map<string, Array<number>>> => {
  const context = await browser.newContext({ baseURL: baseUrl })
  try {
    const page = await context.newPage()
    await page.goto("/health")
    const timed = await page.evaluate(
      async ({ urls, warmup, requests }) => {
        const out: Array<{ url: string; ms: Array<number> }> = []
        for (const url of urls) {
          const ms: Array<number> = []
          for (let i = 0; i < warmup + requests; i++) {
            const started = performance.now()
            const response = await fetch(url)
            await response.arrayBuffer()
            if (i >= warmup) ms.push(performance.now() - started)
          }
          out.push({ url, ms })
        }
        return out
      },
      { urls: [...urls], warmup: 3, requests: REQUESTS }
    )
    const byReport = new Map<string, Array<number>>()
    for (const { url, ms } of timed) {
      const report = new URL(url).pathname.replace("/api/v1/reports/", "")
      byReport.set(report, [...(byReport.get(report) ?? []), ...ms])
    }
    return byReport
  } finally {
    await context.close()
  }
}

const run = async (options: {
  readonly scale: number
  readonly dataDir?: string
}): Promise<ReadonlyArray<BenchRow>> => {
  const section = "dashboard"
  const target = options.dataDir === undefined ? await smallSeed() : await existing(options.dataDir)
  const browser = await launchChromium()
  try {
    // One load to warm the server (DuckDB's caches, the built app in memory); then the measured ones.
    await firstLoad(browser, target.baseUrl, false)
    const loads: Array<Load> = []
    for (let i = 0; i < LOADS; i++) loads.push(await firstLoad(browser, target.baseUrl, i === 0))
    const cards = loads.map((l) => l.cardsMs).sort((a, b) => a - b)
    const panels = loads.map((l) => l.panelsMs).sort((a, b) => a - b)
    const rows: Array<BenchRow> = [
      { section, measure: "warehouse", value: LOADS, unit: `first loads of ${target.setup}` },
      {
        section,
        measure: "first load: all cards visible, median",
        value: quantile(cards, 0.5),
        unit: `ms (worst ${cards[cards.length - 1]} ms)`,
        goal: "< 1000",
        ok: (cards[cards.length - 1] ?? Number.POSITIVE_INFINITY) < 1000
      },
      {
        section,
        measure: "first load: first report request sent, median",
        value: Math.round(
          quantile(
            loads.map((l) => l.firstRequestMs).sort((a, b) => a - b),
            0.5
          )
        ),
        unit: "ms (the app's JavaScript fetched and run)"
      },
      {
        section,
        measure: "first load: every report panel filled, median",
        value: quantile(panels, 0.5),
        unit: `ms (worst ${panels[panels.length - 1]} ms)`
      },
      {
        section,
        measure: "dashboard route JS (gzip)",
        value: Math.max(...loads.map((l) => l.scriptGzipBytes)),
        unit: "B"
      }
    ]
    const byReport = new Map<string, Array<number>>()
    for (const { report, ms } of loads.flatMap((l) => l.reports)) {
      byReport.set(report, [...(byReport.get(report) ?? []), ms])
    }
    const sequential = await oneAtATime(browser, target.baseUrl, [
      ...new Set(loads.flatMap((l) => l.reports.map((r) => r.url)))
    ])
    for (const report of [...byReport.keys()].sort()) {
      const during = [...(byReport.get(report) ?? [])].sort((a, b) => a - b)
      const alone = [...(sequential.get(report) ?? [])].sort((a, b) => a - b)
      const p95 = quantile(alone, 0.95)
      rows.push(
        {
          section,
          measure: `report ${report} from the browser, one at a time, p95`,
          value: Math.round(p95 * 10) / 10,
          unit: `ms (p50 ${quantile(alone, 0.5).toFixed(1)} ms, ${alone.length} requests)`,
          goal: "p95 < 150",
          ok: p95 < 150
        },
        {
          section,
          measure: `report ${report} during first loads, p95`,
          value: Math.round(quantile(during, 0.95) * 10) / 10,
          unit: `ms (p50 ${quantile(during, 0.5).toFixed(1)} ms, ${during.length} requests beside the others)`
        }
      )
    }
    return rows
  } finally {
    await browser.close()
    await target.close()
  }
}

export const dashboardBench: BenchSection = {
  name: "dashboard",
  setup: `${LOADS} first loads of /dashboard in headless Chromium (fresh context each), small seeded warehouse or --data-dir`,
  run
}
