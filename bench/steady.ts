/**
 * End-to-end freshness at a steady load: HTTP ingest → broker → stream processor → kpi_minute →
 * warehouse. Every role runs as its own process, as in production (`node src/main.ts ingest`,
 * `stream`, `serve`, plus the broker); this process is the client: it POSTs batches of 100 events at
 * a fixed rate and listens on the warehouse's `/api/v1/live`.
 *
 * Method: an event is visible when the warehouse has applied an update that includes it. Each SSE
 * `kpi` event carries a minute's merged `events` count, which only grows, and it is pushed right after
 * the DuckDB write commits. The k-th event accepted (HTTP 200 received) for minute m is taken as
 * visible at the first push whose count for m reaches k; its latency is that push's arrival minus
 * its acceptance. Matching by count assumes events become visible in acceptance order, which holds
 * up to the interleaving of concurrent requests across partitions (a few ms here).
 *
 * The processor's micro-batch trigger is 100 ms (LAUNCHPAD_TRIGGER_MS; the default 1 s alone would
 * put p50 near 500 ms). `node bench/steady.ts [scale]` runs it alone.
 */
import { spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { LATENCY_BUCKET_BOUNDS_MS } from "../src/domain/KpiMeasures.ts"
import { bucketQuantile } from "../src/models/live/KpiQueries.ts"
import { spawnBroker } from "../test/kafka/fixtures/child.ts"
import { type BenchRow, type BenchSection, formatTable } from "./Bench.ts"
import { freePort, stop, waitFor } from "./Processes.ts"

const SELF = fileURLToPath(import.meta.url)
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url))
const RATE = 5_000
const BATCH = 100
const TRIGGER_MS = 100
const MINUTE_MS = 60_000

const makeEvent = (i: number, now: number) => ({
  event_id: randomUUID(),
  event_type: "quiz_started",
  schema_version: 1,
  user_id: `user-${i % 5000}`,
  session_id: `sess-${i % 20000}`,
  occurred_at: new Date(now).toISOString(),
  context: { device_type: "desktop", page_path: "/configurator" },
  properties: { quiz_id: "quiz-main" }
})

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0)

const round = (n: number) => Math.round(n * 10) / 10

/** Per minute: acceptance times in order (one entry per event) and the pushes seen (time, count). */
interface MinuteLog {
  readonly accepted: Array<number>
  readonly pushes: Array<readonly [number, number]>
}

/** Reads `/api/v1/live` and records each push's arrival time and the minute's count. */
const listen = async (url: string, minutes: Map<number, MinuteLog>, signal: AbortSignal) => {
  const response = await fetch(url, { signal })
  const body = response.body
  if (body === null) throw new Error("live: no body")
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ""
  let connected = false
  const ready = new Promise<void>((resolve) => {
    void (async () => {
      try {
        while (true) {
          const chunk = await reader.read()
          if (chunk.done) return
          const at = performance.now()
          buffer += chunk.value
          let end = buffer.indexOf("\n\n")
          while (end !== -1) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            end = buffer.indexOf("\n\n")
            if (block.startsWith(": connected")) {
              connected = true
              resolve()
            }
            const data = block.split("\n").find((line) => line.startsWith("data: "))
            if (!block.startsWith("event: kpi") || data === undefined) continue
            const minute = JSON.parse(data.slice("data: ".length)) as { minute: string; events: number }
            const log = minutes.get(Date.parse(minute.minute))
            log?.pushes.push([at, minute.events])
          }
        }
      } catch {
        if (!connected) resolve()
      }
    })()
  })
  await ready
}

/** Paced POSTs: `RATE` events/s in batches of `BATCH`; records each event's acceptance per minute. */
const drive = async (port: number, durationMs: number, minutes: Map<number, MinuteLog>) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })
  const interval = (1000 * BATCH) / RATE
  let failed = 0
  let accepted = 0
  let sent = 0
  const inflight: Array<Promise<void>> = []
  const started = performance.now()
  for (let next = started; next < started + durationMs; next += interval) {
    const wait = next - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const now = Date.now()
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS
    const body = Buffer.from(
      JSON.stringify({ events: Array.from({ length: BATCH }, (_, i) => makeEvent(sent + i, now)) })
    )
    sent += BATCH
    inflight.push(
      new Promise<void>((resolve) => {
        const request = http.request(
          {
            agent,
            host: "127.0.0.1",
            port,
            path: "/api/v1/events/batch",
            method: "POST",
            headers: { "content-type": "application/json", "content-length": body.length }
          },
          (response) => {
            response.resume()
            response.on("end", () => {
              const at = performance.now()
              if (response.statusCode === 200) {
                accepted += BATCH
                let log = minutes.get(minute)
                if (log === undefined) {
                  log = { accepted: [], pushes: [] }
                  minutes.set(minute, log)
                }
                for (let i = 0; i < BATCH; i++) log.accepted.push(at)
              } else {
                failed += BATCH
              }
              resolve()
            })
          }
        )
        request.on("error", () => {
          failed += BATCH
          resolve()
        })
        request.end(body)
      })
    )
  }
  await Promise.all(inflight)
  agent.destroy()
  return { accepted, failed, elapsedMs: performance.now() - started }
}

/** Cumulative buckets `[le, count]` of a Prometheus histogram on `/metrics`. */
const scrapeHistogram = async (url: string, name: string): Promise<ReadonlyArray<readonly [number, number]>> => {
  const text = await (await fetch(url)).text()
  const pattern = new RegExp(`^${name}_bucket\\{.*le="([^"]+)".*\\} (\\S+)$`)
  const out: Array<readonly [number, number]> = []
  for (const line of text.split("\n")) {
    const match = pattern.exec(line)
    if (match?.[1] !== undefined)
      out.push([match[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match[1]), Number(match[2])])
  }
  return out.sort((a, b) => a[0] - b[0])
}

/** Upper bound (ms) of the bucket holding quantile `q` of the observations between two scrapes. */
const histogramQuantile = (
  before: ReadonlyArray<readonly [number, number]>,
  after: ReadonlyArray<readonly [number, number]>,
  q: number
): number => {
  const counts = after.map(([le, n]) => [le, n - (before.find(([l]) => l === le)?.[1] ?? 0)] as const)
  const total = counts.at(-1)?.[1] ?? 0
  const hit = counts.find(([, n]) => n >= q * total && total > 0)
  return hit === undefined ? Number.NaN : hit[0] * 1000
}

/** Latency of every accepted event of the measured minutes, or NaN for events never seen. */
const latencies = (minutes: ReadonlyMap<number, MinuteLog>, baseline: ReadonlyMap<number, number>) => {
  const out: Array<number> = []
  let unseen = 0
  for (const [minute, log] of minutes) {
    // Events of this minute accepted during warm-up are counted before ours.
    const offset = baseline.get(minute) ?? 0
    let push = 0
    for (let k = 0; k < log.accepted.length; k++) {
      const needed = offset + k + 1
      while (push < log.pushes.length && (log.pushes[push]?.[1] ?? 0) < needed) push++
      const seen = log.pushes[push]
      if (seen === undefined) {
        unseen += log.accepted.length - k
        break
      }
      out.push(Math.max(0, seen[0] - (log.accepted[k] ?? 0)))
    }
  }
  return { sorted: out.sort((a, b) => a - b), unseen }
}

const run = async ({ scale }: { readonly scale: number }): Promise<ReadonlyArray<BenchRow>> => {
  const durationMs = Math.max(10_000, 30_000 * scale)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "launchpad-bench-steady-"))
  const broker = await spawnBroker(path.join(dataDir, "broker-child"))
  const ingestPort = await freePort()
  const servePort = await freePort()
  const env = {
    ...process.env,
    KAFKA_BROKERS: broker.brokers.join(","),
    LAUNCHPAD_DATA_DIR: dataDir,
    LAUNCHPAD_TRIGGER_MS: String(TRIGGER_MS),
    LOG_LEVEL: "Warn"
  }
  const role = (name: string, port: number) =>
    spawn(process.execPath, [MAIN, name], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...env, PORT: String(port) }
    })
  const ingest = role("ingest", ingestPort)
  // STREAM_LOG_LEVEL=Debug shows the processor's batch timings; STREAM_NODE_OPTIONS e.g. `--cpu-prof`.
  const streamLog = process.env.STREAM_LOG_LEVEL
  const stream = spawn(process.execPath, [MAIN, "stream"], {
    stdio: ["ignore", streamLog === undefined ? "ignore" : "inherit", "inherit"],
    env: {
      ...env,
      PORT: String(await freePort()),
      LOG_LEVEL: streamLog ?? "Warn",
      NODE_OPTIONS: process.env.STREAM_NODE_OPTIONS ?? ""
    }
  })
  const serve = role("serve", servePort)
  const abort = new AbortController()
  try {
    await waitFor(`http://127.0.0.1:${ingestPort}/health/ready`, 30_000)
    await waitFor(`http://127.0.0.1:${servePort}/api/v1/kpis/latest`, 30_000)
    // Warm-up: JIT, connections, the stream group's first assignment.
    const warm = new Map<number, MinuteLog>()
    await listen(`http://127.0.0.1:${servePort}/api/v1/live`, warm, abort.signal)
    await drive(ingestPort, 5_000, warm)
    const warmed = Date.now() + 15_000
    while (Date.now() < warmed && [...warm.values()].some((l) => (l.pushes.at(-1)?.[1] ?? 0) < l.accepted.length)) {
      await new Promise((r) => setTimeout(r, 100))
    }
    const baseline = new Map([...warm].map(([minute, log]) => [minute, log.pushes.at(-1)?.[1] ?? 0]))
    abort.abort()

    const metricsUrl = `http://127.0.0.1:${servePort}/metrics`
    const ageMetric = "launchpad_warehouse_kpi_record_age_seconds"
    const applyMetric = "launchpad_warehouse_kpi_apply_seconds"
    const ageBefore = await scrapeHistogram(metricsUrl, ageMetric)
    const applyBefore = await scrapeHistogram(metricsUrl, applyMetric)
    const minutes = new Map<number, MinuteLog>()
    const live = new AbortController()
    await listen(`http://127.0.0.1:${servePort}/api/v1/live`, minutes, live.signal)
    const load = await drive(ingestPort, durationMs, minutes)
    const settle = Date.now() + 10_000
    while (
      Date.now() < settle &&
      [...minutes].some(([m, l]) => (l.pushes.at(-1)?.[1] ?? 0) < (baseline.get(m) ?? 0) + l.accepted.length)
    ) {
      await new Promise((r) => setTimeout(r, 100))
    }
    live.abort()
    const ageAfter = await scrapeHistogram(metricsUrl, ageMetric)
    const applyAfter = await scrapeHistogram(metricsUrl, applyMetric)
    // The processor's own histogram (received_at → processing) of the measured minutes, for the breakdown.
    const range = (await (await fetch(`http://127.0.0.1:${servePort}/api/v1/kpis?minutes_back=5`)).json()) as {
      minutes: ReadonlyArray<{ minute: string; latency: { counts: ReadonlyArray<number> } }>
    }
    const processing: Array<number> = []
    for (const m of range.minutes) {
      if (!minutes.has(Date.parse(m.minute))) continue
      m.latency.counts.forEach((n, i) => {
        processing[i] = (processing[i] ?? 0) + n
      })
    }
    const { sorted, unseen } = latencies(minutes, baseline)
    const rate = (load.accepted * 1000) / load.elapsedMs
    const p95 = percentile(sorted, 95)
    return [
      { section: "steady", measure: "events/s accepted (offered 5000)", value: Math.round(rate), unit: "ev/s" },
      { section: "steady", measure: "accept → warehouse p50", value: round(percentile(sorted, 50)), unit: "ms" },
      {
        section: "steady",
        measure: "accept → warehouse p95",
        value: round(p95),
        unit: "ms",
        goal: "< 300",
        ok: p95 < 300
      },
      { section: "steady", measure: "accept → warehouse p99", value: round(percentile(sorted, 99)), unit: "ms" },
      {
        section: "steady",
        measure: "of which ingest → processor p50 (bucket bound)",
        value: bucketQuantile(LATENCY_BUCKET_BOUNDS_MS, processing, 0.5) ?? Number.NaN,
        unit: "ms"
      },
      {
        section: "steady",
        measure: "of which ingest → processor p95 (bucket bound)",
        value: bucketQuantile(LATENCY_BUCKET_BOUNDS_MS, processing, 0.95) ?? Number.NaN,
        unit: "ms"
      },
      {
        section: "steady",
        measure: "of which kpi record sent → warehouse applied p50 (bucket bound)",
        value: histogramQuantile(ageBefore, ageAfter, 0.5),
        unit: "ms"
      },
      {
        section: "steady",
        measure: "of which kpi record sent → warehouse applied p95 (bucket bound)",
        value: histogramQuantile(ageBefore, ageAfter, 0.95),
        unit: "ms"
      },
      {
        section: "steady",
        measure: "of which warehouse DuckDB write per batch p95 (bucket bound)",
        value: histogramQuantile(applyBefore, applyAfter, 0.95),
        unit: "ms"
      },
      {
        section: "steady",
        measure: "events not visible 10 s after the run",
        value: unseen,
        unit: "events",
        goal: "0",
        ok: unseen === 0
      },
      {
        section: "steady",
        measure: "non-200 events during the run",
        value: load.failed,
        unit: "events",
        goal: "0",
        ok: load.failed === 0
      }
    ]
  } finally {
    abort.abort()
    await Promise.all([stop(ingest), stop(stream), stop(serve)])
    await stop(broker.process)
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

export const steadyBench: BenchSection = {
  name: "steady",
  setup: `${RATE} events/s in batches of ${BATCH} through ingest, broker, stream (trigger ${TRIGGER_MS} ms) and warehouse, each its own process`,
  run
}

if (process.argv[1] === SELF) {
  const rows = await run({ scale: Number(process.argv[2] ?? "1") })
  console.log(formatTable(rows))
}
