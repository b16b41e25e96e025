/**
 * Ingest HTTP API throughput and latency. Three processes, as in production use: the embedded broker,
 * the ingest API (`node src/main.ts ingest`, the real role), and a load generator: `wrk` when installed
 * (`apt-get install -y wrk`; it is far cheaper than a Node client on the shared cores), else a
 * `node:http` keep-alive client; paced phases always use the Node client. One request in flight per
 * connection. Measures:
 * - batches of 100 events from 32 connections for 20 s × scale: events/s accepted, p50/p99 latency;
 * - single-event requests from 32 connections: requests/s (median of REPEATS runs);
 * - p99 latency at half the measured batch throughput (paced requests; median of REPEATS runs);
 * - the ceiling: a bare `node:http` server that only JSON.parses the same bodies, same load; the
 *   ratio of ingest to it says how much of the machine the pipeline itself costs.
 * Events accepted are read from the server's own counter. All processes share the same two cores, load
 * generator included; the API's CPU time per event is reported too, as it does not depend on what
 * else runs on the machine. `node bench/ingest.ts [scale]` runs it alone.
 */
import { spawn, spawnSync } from "node:child_process"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { spawnBroker } from "../test/kafka/fixtures/child.ts"
import { type BenchRow, type BenchSection, formatTable } from "./Bench.ts"
import { freePort, stop, waitFor } from "./Processes.ts"

const SELF = fileURLToPath(import.meta.url)
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url))
const CONNECTIONS = 32
const BATCH = 100
/**
 * The short goal phases (single events, half load) run this many times and report the median: on the
 * shared two cores one 10 s run swings by ±20 % (p99 by more), enough to flip a goal either way.
 */
const REPEATS = 3

// ---------------------------------------------------------------------------------------------
// Bodies: valid events of a few types, ~450 B each, as the SDK sends them.

const types = [
  { event_type: "quiz_started", properties: () => ({ quiz_id: "quiz-main", entry_point: "home_hero" }) },
  {
    event_type: "quiz_step_viewed",
    properties: () => ({ quiz_id: "quiz-main", step_id: "budget", step_index: 2, step_count: 6 })
  },
  { event_type: "page_view", properties: () => ({ title: "Configurator" }) }
]

const makeEvent = (i: number) => {
  const type = types[i % types.length] ?? types[0]
  const now = Date.now()
  return {
    event_id: randomUUID(),
    event_type: type?.event_type,
    schema_version: 1,
    user_id: `user-${i % 5000}`,
    session_id: `sess-${i % 20000}`,
    occurred_at: new Date(now - 1500).toISOString(),
    sent_at: new Date(now).toISOString(),
    context: {
      device_type: "desktop",
      os: "macOS 15.1",
      browser: "Firefox 133",
      locale: "de-CH",
      timezone: "Europe/Zurich",
      page_url: "https://shop.example/configurator?utm_source=newsletter",
      page_path: "/configurator",
      utm_source: "newsletter",
      screen_width: 1512,
      screen_height: 982
    },
    experiments: { configurator_v2: "treatment" },
    properties: type?.properties()
  }
}

const makeBodies = (batch: number, count: number): Array<string> =>
  Array.from({ length: count }, (_, b) =>
    batch === 0
      ? JSON.stringify(makeEvent(b))
      : JSON.stringify({ events: Array.from({ length: batch }, (_, i) => makeEvent(b * batch + i)) })
  )

// ---------------------------------------------------------------------------------------------
// Load generator (runs in its own process).

interface LoadOptions {
  readonly port: number
  readonly path: string
  readonly batch: number
  readonly connections: number
  readonly durationMs: number
  /** Total requests per second across all connections; unset = as fast as answers come. */
  readonly ratePerSec?: number
}

interface LoadResult {
  readonly requests: number
  readonly ok: number
  readonly failed: number
  readonly events: number
  readonly elapsedMs: number
  readonly p50: number
  readonly p99: number
  readonly statuses: Record<string, number>
}

const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0)

const runLoad = async (options: LoadOptions): Promise<LoadResult> => {
  const bodies = makeBodies(options.batch, 64).map((b) => Buffer.from(b))
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections })
  const latencies: Array<number> = []
  const statuses: Record<string, number> = {}
  let ok = 0
  let failed = 0
  let events = 0
  const acceptedPattern = /"accepted":(\d+)/
  const send = (body: Buffer) =>
    new Promise<void>((resolve) => {
      const start = performance.now()
      const request = http.request(
        {
          agent,
          host: "127.0.0.1",
          port: options.port,
          path: options.path,
          method: "POST",
          headers: { "content-type": "application/json", "content-length": body.length }
        },
        (response) => {
          const chunks: Array<Buffer> = []
          response.on("data", (c: Buffer) => chunks.push(c))
          response.on("end", () => {
            latencies.push(performance.now() - start)
            const status = response.statusCode ?? 0
            statuses[status] = (statuses[status] ?? 0) + 1
            if (status === 200) {
              ok++
              const accepted = acceptedPattern.exec(Buffer.concat(chunks).toString("latin1"))
              events += accepted === null ? Math.max(options.batch, 1) : Number(accepted[1])
            } else {
              failed++
            }
            resolve()
          })
        }
      )
      request.on("error", () => {
        failed++
        resolve()
      })
      request.end(body)
    })
  const started = performance.now()
  const deadline = started + options.durationMs
  const interval = options.ratePerSec === undefined ? 0 : (1000 * options.connections) / options.ratePerSec
  await Promise.all(
    Array.from({ length: options.connections }, async (_, c) => {
      let next = started + (interval * c) / options.connections
      for (let i = c; performance.now() < deadline; i += options.connections) {
        if (interval > 0) {
          const wait = next - performance.now()
          if (wait > 0) await new Promise((r) => setTimeout(r, wait))
          next += interval
        }
        await send(bodies[i % bodies.length] ?? Buffer.alloc(0))
      }
    })
  )
  const elapsedMs = performance.now() - started
  agent.destroy()
  const sorted = Float64Array.from(latencies).sort()
  return {
    requests: latencies.length,
    ok,
    failed,
    events,
    elapsedMs,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    statuses
  }
}

/** Runs the load generator in a child process and returns its result. */
const load = (options: LoadOptions): Promise<LoadResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, "load", JSON.stringify(options)], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString()
    })
    child.once("exit", (code) => {
      try {
        resolve(JSON.parse(out) as LoadResult)
      } catch {
        reject(new Error(`load generator exited ${code}: ${out}`))
      }
    })
  })

/** `wrk` (C, from Debian's `wrk` package) when installed: it costs the shared cores far less than a Node client. */
const hasWrk = (() => {
  try {
    return spawnSync("wrk", ["--version"]).error === undefined
  } catch {
    return false
  }
})()

const toMs = (value: string, unit: string): number => Number(value) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : 1)

/** Closed-loop load with wrk: one thread, `connections` keep-alive connections, bodies rotated by a Lua script. */
const wrkLoad = (options: LoadOptions): Promise<LoadResult> =>
  new Promise((resolve, reject) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "launchpad-wrk-"))
    const script = path.join(dir, "post.lua")
    const bodies = makeBodies(options.batch, 64)
      .map((b) => `[==[${b}]==]`)
      .join(",\n")
    fs.writeFileSync(
      script,
      // The requests are formatted once, in `init` (as wrk's own pipeline example does), not per request
      // in Lua: ~5 µs less of wrk's CPU per request (most of its ~30 µs is socket system calls).
      `local bodies = {${bodies}}\nlocal requests = {}\nlocal i = 0\n` +
        `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n` +
        `init = function(args)\n  for k, body in ipairs(bodies) do requests[k] = wrk.format(nil, nil, nil, body) end\nend\n` +
        `request = function()\n  i = i + 1\n  return requests[(i % #requests) + 1]\nend\n`
    )
    const seconds = Math.max(1, Math.round(options.durationMs / 1000))
    const child = spawn(
      "wrk",
      [
        "-t1",
        `-c${options.connections}`,
        `-d${seconds}s`,
        "--latency",
        "-s",
        script,
        `http://127.0.0.1:${options.port}${options.path}`
      ],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let out = ""
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString()
    })
    child.once("exit", (code) => {
      fs.rmSync(dir, { recursive: true, force: true })
      const requests = /(\d+) requests in ([\d.]+)(\w+)/.exec(out)
      const p50 = /50%\s+([\d.]+)(\w+)/.exec(out)
      const p99 = /99%\s+([\d.]+)(\w+)/.exec(out)
      if (requests === null || p50 === null || p99 === null) return reject(new Error(`wrk exited ${code}: ${out}`))
      const total = Number(requests[1])
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? "0")
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
      const errors = socketErrors === null ? 0 : socketErrors.slice(1).reduce((n, v) => n + Number(v), 0)
      const ok = total - non2xx
      resolve({
        requests: total,
        ok,
        failed: non2xx + errors,
        events: ok * Math.max(options.batch, 1),
        elapsedMs: toMs(requests[2] ?? "0", requests[3] ?? "s"),
        p50: toMs(p50[1] ?? "0", p50[2] ?? "ms"),
        p99: toMs(p99[1] ?? "0", p99[2] ?? "ms"),
        statuses: { "2xx": ok, other: non2xx }
      })
    })
  })

/** Closed-loop phases use wrk when present; paced phases always use the Node generator (wrk cannot pace). */
const blast = (options: LoadOptions): Promise<LoadResult> => (hasWrk ? wrkLoad(options) : load(options))

// ---------------------------------------------------------------------------------------------
// The ceiling: a bare node:http server that parses each body as JSON and answers.

const runCeiling = (port: number) => {
  http
    .createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (c: Buffer) => chunks.push(c))
      request.on("end", () => {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"))
        const count =
          typeof value === "object" && value !== null && "events" in value && Array.isArray(value.events)
            ? value.events.length
            : 1
        response.writeHead(200, { "content-type": "application/json" })
        response.end(`{"accepted":${count}}`)
      })
    })
    .listen(port, "127.0.0.1", () => process.stdout.write(`PORT ${port}\n`))
}

// ---------------------------------------------------------------------------------------------
// Orchestration.

const round = (n: number) => Math.round(n * 10) / 10

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s). */
const cpuSeconds = (pid: number | undefined): number => {
  if (pid === undefined) return 0
  const fields = (fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** The server's `launchpad_ingest_events_accepted_total`. */
const acceptedTotal = async (port: number): Promise<number> => {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())
  return Number(/^launchpad_ingest_events_accepted_total (\d+)/m.exec(text)?.[1] ?? "0")
}

/** Runs `phase` and returns its result with the API process's CPU microseconds per unit of work. */
const measured = async (pid: number | undefined, phase: () => Promise<LoadResult>, per: (r: LoadResult) => number) => {
  const before = cpuSeconds(pid)
  const result = await phase()
  return { result, cpuMicros: ((cpuSeconds(pid) - before) * 1e6) / Math.max(1, per(result)) }
}

const run = async ({ scale }: { readonly scale: number }): Promise<ReadonlyArray<BenchRow>> => {
  const batchMs = Math.max(5_000, 20_000 * scale)
  const shortMs = Math.max(3_000, 10_000 * scale)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "launchpad-bench-ingest-"))
  const broker = await spawnBroker(dataDir)
  const port = await freePort()
  const api = spawn(process.execPath, [MAIN, "ingest"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, KAFKA_BROKERS: broker.brokers.join(","), PORT: String(port), LOG_LEVEL: "Warn" }
  })
  try {
    await waitFor(`http://127.0.0.1:${port}/health/ready`, 30_000)
    const base = { port, connections: CONNECTIONS }
    // Warm-up: JIT, producer connections, topic metadata.
    await blast({ ...base, path: "/api/v1/events/batch", batch: BATCH, durationMs: 3_000 })
    const acceptedBefore = await acceptedTotal(port)
    const { result: batch, cpuMicros: batchCpu } = await measured(
      api.pid,
      () => blast({ ...base, path: "/api/v1/events/batch", batch: BATCH, durationMs: batchMs }),
      (r) => r.events
    )
    const accepted = (await acceptedTotal(port)) - acceptedBefore
    const singles: Array<{ readonly result: LoadResult; readonly cpuMicros: number }> = []
    for (let i = 0; i < REPEATS; i++) {
      singles.push(
        await measured(
          api.pid,
          () => blast({ ...base, path: "/api/v1/events", batch: 0, durationMs: shortMs }),
          (r) => r.ok
        )
      )
    }
    const maxReqPerSec = (batch.ok * 1000) / batch.elapsedMs
    const halves: Array<LoadResult> = []
    for (let i = 0; i < REPEATS; i++) {
      halves.push(
        await load({
          ...base,
          path: "/api/v1/events/batch",
          batch: BATCH,
          durationMs: shortMs,
          ratePerSec: maxReqPerSec / 2
        })
      )
    }
    await stop(api)
    await stop(broker.process)

    const ceilingPort = await freePort()
    const ceiling = spawn(process.execPath, [SELF, "ceiling", String(ceilingPort)], {
      stdio: ["ignore", "ignore", "inherit"]
    })
    await new Promise((r) => setTimeout(r, 500))
    await blast({ port: ceilingPort, connections: CONNECTIONS, path: "/", batch: BATCH, durationMs: 2_000 })
    const bare = await blast({
      port: ceilingPort,
      connections: CONNECTIONS,
      path: "/",
      batch: BATCH,
      durationMs: shortMs
    })
    await stop(ceiling)

    const eventsPerSec = (accepted * 1000) / batch.elapsedMs
    const ceilingPerSec = (bare.events * 1000) / bare.elapsedMs
    const singleRates = singles.map(({ result }) => (result.ok * 1000) / result.elapsedMs)
    const singlePerSec = median(singleRates)
    const halfP99s = halves.map((h) => h.p99)
    const ratio = eventsPerSec / ceilingPerSec
    const failures =
      batch.failed + singles.reduce((n, { result }) => n + result.failed, 0) + halves.reduce((n, h) => n + h.failed, 0)
    return [
      {
        section: "ingest",
        measure: "batch events/s accepted (100/req, 32 conns)",
        value: Math.round(eventsPerSec),
        unit: "ev/s"
      },
      { section: "ingest", measure: "batch latency p50", value: round(batch.p50), unit: "ms" },
      { section: "ingest", measure: "API CPU per event in batches", value: round(batchCpu), unit: "µs" },
      { section: "ingest", measure: "batch latency p99", value: round(batch.p99), unit: "ms" },
      {
        section: "ingest",
        measure: "ceiling: bare node:http + JSON.parse",
        value: Math.round(ceilingPerSec),
        unit: "ev/s"
      },
      {
        section: "ingest",
        measure: "ratio to ceiling",
        value: round(ratio * 100) / 100,
        unit: "",
        goal: "≥ 0.25",
        ok: ratio >= 0.25
      },
      {
        section: "ingest",
        measure: `single-event requests/s (32 conns), median of ${REPEATS} × ${shortMs / 1000} s`,
        value: Math.round(singlePerSec),
        unit: "req/s",
        goal: "≥ 8000",
        ok: singlePerSec >= 8_000
      },
      ...singleRates.map((rate, i) => ({
        section: "ingest",
        measure: `  run ${i + 1}`,
        value: Math.round(rate),
        unit: "req/s"
      })),
      {
        section: "ingest",
        measure: "single-event latency p99 (median)",
        value: round(median(singles.map(({ result }) => result.p99))),
        unit: "ms"
      },
      {
        section: "ingest",
        measure: "API CPU per single-event request (median)",
        value: round(median(singles.map(({ cpuMicros }) => cpuMicros))),
        unit: "µs"
      },
      {
        section: "ingest",
        measure: `batch p50 at half of max load (${Math.round(maxReqPerSec / 2)} req/s, median)`,
        value: round(median(halves.map((h) => h.p50))),
        unit: "ms"
      },
      {
        section: "ingest",
        measure: `batch p99 at half of max load, median of ${REPEATS} × ${shortMs / 1000} s`,
        value: round(median(halfP99s)),
        unit: "ms",
        goal: "< 50",
        ok: median(halfP99s) < 50
      },
      ...halfP99s.map((p99, i) => ({ section: "ingest", measure: `  run ${i + 1}`, value: round(p99), unit: "ms" })),
      {
        section: "ingest",
        measure: "non-200 answers during the run",
        value: failures,
        unit: "requests",
        goal: "0",
        ok: failures === 0
      }
    ]
  } finally {
    await stop(api)
    await stop(broker.process)
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

export const ingestBench: BenchSection = {
  name: "ingest",
  setup: `ingest API and broker in separate processes; ${CONNECTIONS} keep-alive connections; batches of ${BATCH} ~450 B events`,
  run
}

if (process.argv[1] === SELF) {
  const mode = process.argv[2]
  if (mode === "load") {
    const result = await runLoad(JSON.parse(process.argv[3] ?? "{}") as LoadOptions)
    process.stdout.write(JSON.stringify(result))
  } else if (mode === "ceiling") {
    runCeiling(Number(process.argv[3]))
  } else {
    const rows = await run({ scale: Number(mode ?? "1") })
    console.log(formatTable(rows))
  }
}
