/**
 * `pnpm bench models`: the warehouse's model layer on a 10M-event lake (bench/modelsData.ts: simulator
 * journeys written straight to the lake and compacted, cached between runs).
 *
 * - a full `models run` (every model rebuilt) on a fresh warehouse: time and the worker's peak RSS;
 * - 100k more events in the lake, then an incremental run: time;
 * - every report endpoint over HTTP (the warehouse API in its own process, these requests only):
 *   20 sequential requests each after 3 warm-ups, p50 and p95;
 * - the export of the largest mart (fct_events, every event) as Parquet and of dim_users as CSV: rows/s.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { cpSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { createInterface } from "node:readline"
import { Effect } from "effect"
import type { BenchRow, BenchSection } from "./Bench.ts"
import { benchLake, DAYS, FIRST_DAY_MS, lakeLayer, moreEvents, writeToLake } from "./modelsData.ts"
import { stop } from "./Processes.ts"

const EVENTS = 10_000_000
const NEW_EVENTS = 100_000
const REQUESTS = 20
const WARMUP = 3

const worker = path.join(import.meta.dirname, "modelsWorker.ts")

interface RunOutcome {
  readonly seconds: number
  readonly maxRssMb: number
  readonly status: string
  readonly models: ReadonlyArray<{
    readonly model: string
    readonly status: string
    readonly ms: number | null
    readonly rows: number | null
  }>
}

const runModels = (dataDir: string, mode: "full" | "incremental") =>
  new Promise<RunOutcome>((resolve, reject) => {
    const child = spawn(process.execPath, [worker, "run", dataDir, mode], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.once("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? ""
      if (code !== 0) return reject(new Error(`models ${mode} run exited ${code}`))
      resolve(JSON.parse(line) as RunOutcome)
    })
  })

const serve = (dataDir: string) =>
  new Promise<{ readonly child: ChildProcess; readonly base: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [worker, "serve", dataDir], { stdio: ["ignore", "pipe", "inherit"] })
    const lines = createInterface({ input: child.stdout })
    lines.on("line", (line) => {
      if (!line.startsWith("{")) return
      const { port } = JSON.parse(line) as { port: number }
      resolve({ child, base: `http://127.0.0.1:${port}` })
    })
    child.once("exit", (code) => reject(new Error(`warehouse server exited ${code}`)))
  })

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/** The report requests a dashboard makes: the last 30 days, and each report's other views. */
const reportRequests = (): ReadonlyArray<readonly [string, string]> => {
  const range = `from=${day(FIRST_DAY_MS)}&to=${day(FIRST_DAY_MS + (DAYS - 1) * 86_400_000)}`
  return [
    ["engagement", `engagement?${range}`],
    ["engagement, one device", `engagement?${range}&device=mobile`],
    ["funnel (mart)", "funnel?funnel=configurator&breakdown=device_type"],
    ["funnel (ad-hoc steps)", "funnel?steps=quiz_started,quiz_completed,purchase"],
    ["retention", `retention?${range}`],
    ["experiments", "experiments"],
    ["revenue", `revenue?${range}&breakdown=device_type`],
    ["segments", "segments"],
    ["attribution", "attribution?model=last_touch"],
    ["search", `search?${range}`]
  ]
}

const timeRequest = async (url: string) => {
  const started = performance.now()
  const response = await fetch(url)
  const body = await response.arrayBuffer()
  if (response.status !== 200)
    throw new Error(`${url}: ${response.status} ${new TextDecoder().decode(body).slice(0, 300)}`)
  return { ms: performance.now() - started, bytes: body.byteLength }
}

const run = async ({ scale }: { readonly scale: number }): Promise<ReadonlyArray<BenchRow>> => {
  const section = "models"
  const lake = await benchLake(Math.round(EVENTS * scale))
  const dataDir = mkdtempSync(path.join(tmpdir(), "launchpad-bench-models-"))
  const rows: Array<BenchRow> = []
  try {
    cpSync(path.join(lake.dataDir, "lake"), path.join(dataDir, "lake"), { recursive: true })
    rows.push({ section, measure: "lake events", value: lake.events, unit: "events" })

    const full = await runModels(dataDir, "full")
    if (full.status !== "success") throw new Error(`full run: ${JSON.stringify(full.models)}`)
    rows.push(
      { section, measure: "full run", value: full.seconds, unit: "s", goal: "< 60", ok: full.seconds < 60 },
      { section, measure: "full run peak RSS", value: full.maxRssMb, unit: "MB" }
    )
    const slowest = [...full.models].sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0)).slice(0, 5)
    for (const model of slowest) {
      rows.push({ section, measure: `full run: ${model.model}`, value: (model.ms ?? 0) / 1000, unit: "s" })
    }

    const added = moreEvents(Math.round(NEW_EVENTS * Math.max(scale, 0.01)), lake.users)
    await Effect.runPromise(writeToLake(added, [...lake.offsets]).pipe(Effect.provide(lakeLayer(dataDir))))
    const incremental = await runModels(dataDir, "incremental")
    rows.push({
      section,
      measure: `incremental run after ${added.length.toLocaleString("en-US")} new events`,
      value: incremental.seconds,
      unit: "s",
      goal: "< 3",
      ok: incremental.seconds < 3
    })

    const server = await serve(dataDir)
    try {
      for (const [name, query] of reportRequests()) {
        const url = `${server.base}/api/v1/reports/${query}`
        for (let i = 0; i < WARMUP; i++) await timeRequest(url)
        const times: Array<number> = []
        for (let i = 0; i < REQUESTS; i++) times.push((await timeRequest(url)).ms)
        times.sort((a, b) => a - b)
        const p95 = quantile(times, 0.95)
        rows.push({
          section,
          measure: `report ${name} p50 / p95`,
          value: p95,
          unit: `ms p95 (p50 ${quantile(times, 0.5).toFixed(1)} ms)`,
          goal: "p95 < 150",
          ok: p95 < 150
        })
      }
      for (const [file, rowsIn] of [
        ["fct_events.parquet", lake.events + added.length],
        ["dim_users.csv", undefined]
      ] as const) {
        const exported = await timeRequest(`${server.base}/api/v1/export/${file}`)
        const count = rowsIn ?? full.models.find((m) => `${m.model}.csv` === file)?.rows ?? Number.NaN
        rows.push({
          section,
          measure: `export ${file} (${(exported.bytes / 1_048_576).toFixed(0)} MB)`,
          value: Math.round(count / (exported.ms / 1000)),
          unit: "rows/s"
        })
      }
    } finally {
      await stop(server.child)
    }
    return rows
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export const modelsBench: BenchSection = {
  name: "models",
  setup: `${EVENTS.toLocaleString("en-US")} simulated events over ${DAYS} days in a compacted lake; full and incremental model runs, report endpoints, exports`,
  run
}
