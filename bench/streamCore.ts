/**
 * Throughput of the pure stream core: `processBatch` over synthetic events in micro-batches, the
 * catch-up path of the processor without Kafka or Parquet. Run alone with `node bench/streamCore.ts`.
 *
 * Two workloads over 3 partitions, each event up to 2 min out of order and 1 % resent:
 * - "visits": 100k users, visits of 1–30 events 2–90 s apart (how product traffic looks);
 * - "scattered": 20k users, every event from a random user, ~17 min apart per user (the worst
 *   case for locality: each event touches cold state, and each one is folded on its own).
 * A compact plan is generated first; each batch's event objects are built just before it is
 * processed (outside the clock), as the processor decodes a batch just before processing it.
 */
import { closeAll, defaultStreamRules, processBatch } from "../src/stream/Batch.ts"
import { emptyState, stateSizes } from "../src/stream/State.ts"
import type { StreamEvent } from "../src/stream/StreamEvent.ts"
import type { BenchRow, BenchSection } from "./Bench.ts"

const EVENT_TYPES = ["page_viewed", "quiz_started", "quiz_step_viewed", "slider_adjusted", "quiz_completed", "purchase"]
const BASE_MS = Date.UTC(2026, 10, 22)
const MAX_DISORDER_MS = 120_000

export type Workload = "visits" | "scattered"

export interface StreamCoreBenchResult {
  readonly workload: Workload
  readonly events: number
  readonly batchSize: number
  readonly seconds: number
  readonly eventsPerSecond: number
  /** Per second of this process's CPU time: steadier than wall time on a shared machine. */
  readonly eventsPerCpuSecond: number
  readonly closedSessions: number
  readonly windowUpdates: number
  readonly finalState: ReturnType<typeof stateSizes>
}

const lcg = (seed: number) => {
  let s = seed
  return (): number => {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0
    return s / 4_294_967_296
  }
}

/** Event times and users in arrival order (event time + up to 2 min of disorder). */
interface Plan {
  readonly times: Float64Array
  readonly users: Int32Array
}

const plan = (workload: Workload, events: number, random: () => number): Plan => {
  const times = new Float64Array(events)
  const users = new Int32Array(events)
  if (workload === "scattered") {
    for (let i = 0; i < events; i++) {
      times[i] = BASE_MS + i * 50
      users[i] = Math.floor(random() * 20_000)
    }
  } else {
    const spanMs = events * 50
    let i = 0
    while (i < events) {
      const user = Math.floor(random() * 100_000)
      let t = BASE_MS + random() * spanMs
      const k = 1 + Math.floor(random() * 30)
      for (let j = 0; j < k && i < events; j++, i++) {
        times[i] = Math.floor(t)
        users[i] = user
        t += 2_000 + random() * 88_000
      }
    }
  }
  const arrival = new Float64Array(events)
  for (let i = 0; i < events; i++) arrival[i] = (times[i] ?? 0) + random() * MAX_DISORDER_MS
  const order = Array.from({ length: events }, (_, i) => i).sort((a, b) => (arrival[a] ?? 0) - (arrival[b] ?? 0))
  return {
    times: Float64Array.from(order, (i) => times[i] ?? 0),
    users: Int32Array.from(order, (i) => users[i] ?? 0)
  }
}

const eventOf = (plan: Plan, i: number): StreamEvent => {
  const user = plan.users[i] ?? 0
  const eventTimeMs = plan.times[i] ?? 0
  const eventType = EVENT_TYPES[i % EVENT_TYPES.length] ?? "page_viewed"
  return {
    eventId: `evt-${i}`,
    userId: `user-${user}`,
    eventType,
    eventTimeMs,
    receivedAtMs: eventTimeMs + 200,
    partition: user % 3,
    offset: i,
    deviceType: user % 2 === 0 ? "desktop" : "mobile",
    utmSource: user % 5 === 0 ? "newsletter" : null,
    utmMedium: null,
    utmCampaign: null,
    revenue: eventType === "purchase" ? 49.9 : null,
    currency: eventType === "purchase" ? "EUR" : null
  }
}

export const runStreamCoreBench = async (
  options: { readonly workload?: Workload; readonly events?: number; readonly batchSize?: number } = {}
): Promise<StreamCoreBenchResult> => {
  const workload = options.workload ?? "visits"
  const events = options.events ?? 1_000_000
  const batchSize = options.batchSize ?? 10_000
  const random = lcg(7)
  const traffic = plan(workload, events, random)
  let state = emptyState()
  let previous: Array<StreamEvent> = []
  let closedSessions = 0
  let windowUpdates = 0
  let elapsedMs = 0
  let cpuMicros = 0
  for (let first = 0; first < events; first += batchSize) {
    const batch: Array<StreamEvent> = []
    for (let i = first; i < Math.min(first + batchSize, events); i++) {
      const resent = random() < 0.01 ? previous[Math.floor(random() * previous.length)] : undefined
      batch.push(resent ?? eventOf(traffic, i))
    }
    previous = batch
    const started = performance.now()
    const cpuStarted = process.cpuUsage()
    const result = processBatch(state, batch, { ...defaultStreamRules, processingTimeMs: Date.now() })
    const cpu = process.cpuUsage(cpuStarted)
    elapsedMs += performance.now() - started
    cpuMicros += cpu.user + cpu.system
    state = result.state
    closedSessions += result.closedSessions.length
    windowUpdates += result.windowUpdates.length
  }
  const seconds = elapsedMs / 1000
  const finalState = stateSizes(state)
  const flushed = closeAll(state, defaultStreamRules)
  return {
    workload,
    events,
    batchSize,
    seconds,
    eventsPerSecond: Math.round(events / seconds),
    eventsPerCpuSecond: Math.round(events / (cpuMicros / 1e6)),
    closedSessions: closedSessions + flushed.closedSessions.length,
    windowUpdates,
    finalState
  }
}

const workloads: ReadonlyArray<Workload> = ["visits", "scattered"]

export const streamCoreSection: BenchSection = {
  name: "stream-core",
  setup: "processBatch over 1M synthetic events per workload (visits, scattered), 3 partitions, batches of 10k",
  run: async ({ scale }) => {
    const rows: Array<BenchRow> = []
    for (const workload of workloads) {
      const r = await runStreamCoreBench({ workload, events: Math.round(1_000_000 * scale) })
      // The catch-up goal is set for product traffic; "scattered" is the locality worst case, shown for scale.
      rows.push(
        workload === "visits"
          ? {
              section: "stream-core",
              measure: "processBatch throughput (visits)",
              value: r.eventsPerSecond,
              unit: "events/s",
              goal: "≥ 100000",
              ok: r.eventsPerSecond >= 100_000
            }
          : {
              section: "stream-core",
              measure: `processBatch throughput (${workload}, worst case)`,
              value: r.eventsPerSecond,
              unit: "events/s"
            }
      )
    }
    return rows
  }
}

if (import.meta.main) {
  for (const workload of workloads) {
    const r = await runStreamCoreBench({ workload })
    console.log(
      `stream core (${workload}): ${r.events.toLocaleString("en-US")} events in batches of ` +
        `${r.batchSize.toLocaleString("en-US")}: ${r.seconds.toFixed(2)} s, ` +
        `${r.eventsPerSecond.toLocaleString("en-US")} events/s (${r.eventsPerCpuSecond.toLocaleString("en-US")} ` +
        `per CPU second), ${r.closedSessions.toLocaleString("en-US")} sessions; state at the end: ` +
        JSON.stringify(r.finalState)
    )
  }
}
