/**
 * Stream processor catch-up: a backlog of enriched events (~700 B JSON, 5 000 users, event time
 * growing with the offset, see `timeOf`) already sits in events_raw (3 partitions, broker in its own process,
 * produced as raw pre-encoded batches); one processor process (default triggers) reads it all into the
 * lake with the full checkpoint protocol. Reports events/s between the first and the last commit (the
 * processor's own clock; the first micro-batch left out), end to end including process start-up, and
 * the processor's peak RSS, sampled every 100 ms, its CPU time per event (process start-up included: the
 * figure to trust on a shared machine) and its RSS at every tenth of the run (flat when state is bounded
 * by the watermark horizon). The goal is a ratio: catch-up against the lake writer alone (bench/lake.ts)
 * on as many events in the same run, since the machine's speed swings from run to run.
 * `node bench/stream.ts [events]` runs it alone (`10000000` for the RSS run).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { spawnBroker } from "../test/kafka/fixtures/child.ts"
import { client } from "../test/kafka/fixtures/kafkajs.ts"
import { syntheticEvent } from "../test/lake/fixtures/events.ts"
import { committedTotal, spawnProcessor } from "../test/stream/fixtures/child.ts"
import { createTopics, sleep } from "../test/stream/fixtures/pipeline.ts"
import { produceRaw } from "../test/stream/fixtures/rawProduce.ts"
import { type BenchRow, type BenchSection, formatTable } from "./Bench.ts"
import { measureLakeWriter } from "./lake.ts"

const BASE_MS = Date.UTC(2026, 10, 20, 8)
/**
 * A recorded backlog: event time grows with the offset (250 events per second of event time, so 1M
 * events span about 67 minutes) with ±1 minute of disorder. W advances, sessions and windows close
 * and state stays bounded by the watermark horizon, as when a processor catches up on real traffic.
 */
const timeOf = (i: number): number => BASE_MS + i * 4 + ((i * 7919) % 120_000) - 60_000
const PARTITIONS = 3

export interface StreamBenchResult {
  readonly events: number
  /** From spawning the processor process to the last commit: start-up, group join and warm-up included. */
  readonly endToEndPerSec: number
  /** From the first commit to the last, the first micro-batch left out. */
  readonly steadyPerSec: number
  readonly rssPeakMB: number
  readonly rssEndMB: number
  readonly heapEndMB: number
  readonly lakeMB: number
  /** The processor's CPU time (user + system) per event, start-up included. */
  readonly cpuMicrosPerEvent: number
  /** RSS when each tenth of the events was committed. */
  readonly rssSamples: ReadonlyArray<{ readonly events: number; readonly rssMB: number }>
}

const dirBytes = (dir: string): number => {
  let total = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size
  }
  return total
}

export const runStreamBench = async (events: number): Promise<StreamBenchResult> => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "launchpad-bench-stream-"))
  const broker = await spawnBroker(path.join(root, "broker"))
  try {
    const kafka = client(broker.brokers)
    await createTopics(kafka)
    await produceRaw(broker.port, events, (i) => {
      const t = new Date(timeOf(i)).toISOString()
      const event = {
        ...syntheticEvent(i, BASE_MS, 1),
        occurred_at: t,
        sent_at: t,
        occurred_at_corrected: t,
        received_at: t
      }
      return { partition: (i % 5000) % PARTITIONS, value: JSON.stringify(event) }
    })
    const dataDir = path.join(root, "data")
    const spawned = performance.now()
    const processor = spawnProcessor({
      brokers: broker.brokers,
      dataDir,
      groupId: "bench-stream",
      triggerEvents: Number(process.env.BENCH_TRIGGER_EVENTS ?? 50_000)
    })
    let last = processor.latest()
    const rssSamples: Array<{ events: number; rssMB: number }> = []
    while (committedTotal(last) < BigInt(events)) {
      if (processor.process.exitCode !== null) throw new Error(`processor exited early:\n${processor.stderr()}`)
      await sleep(20)
      last = processor.latest()
      const done = Number(committedTotal(last))
      if (last !== undefined && done >= ((rssSamples.length + 1) * events) / 10) {
        rssSamples.push({ events: done, rssMB: last.rssBytes / 1024 / 1024 })
      }
    }
    const finished = performance.now()
    processor.process.kill("SIGTERM")
    await processor.exited
    const steadyMs = (last?.lastCommitAtMs ?? 0) - (last?.firstCommitAtMs ?? 0)
    return {
      events,
      endToEndPerSec: Math.round(events / ((finished - spawned) / 1000)),
      steadyPerSec: Math.round((events - (last?.firstCommitRecords ?? 0)) / (steadyMs / 1000)),
      rssPeakMB: processor.peakRssBytes() / 1024 / 1024,
      rssEndMB: (last?.rssBytes ?? 0) / 1024 / 1024,
      heapEndMB: (last?.heapUsedBytes ?? 0) / 1024 / 1024,
      lakeMB: dirBytes(path.join(dataDir, "lake")) / 1024 / 1024,
      cpuMicrosPerEvent: (last?.cpuMicros ?? 0) / events,
      rssSamples
    }
  } finally {
    broker.process.kill("SIGTERM")
    await broker.exited
    fs.rmSync(root, { recursive: true, force: true })
  }
}

/** The catch-up goal: a share of what the lake writer alone does on the same machine in the same run. */
const CATCH_UP_RATIO_GOAL = 0.6

const rowsOf = (r: StreamBenchResult, lakeWriterPerSec: number): ReadonlyArray<BenchRow> => [
  {
    section: "stream",
    measure: `catch-up, ${r.events.toLocaleString("en-US")} events -> lake, steady`,
    value: r.steadyPerSec,
    unit: "events/s"
  },
  {
    section: "stream",
    measure: "lake writer alone, same events count, same run",
    value: Math.round(lakeWriterPerSec),
    unit: "events/s"
  },
  {
    section: "stream",
    measure: "catch-up / lake writer alone",
    value: Math.round((r.steadyPerSec / lakeWriterPerSec) * 100) / 100,
    unit: "",
    goal: `≥ ${CATCH_UP_RATIO_GOAL}`,
    ok: r.steadyPerSec / lakeWriterPerSec >= CATCH_UP_RATIO_GOAL
  },
  { section: "stream", measure: "catch-up incl. process start-up", value: r.endToEndPerSec, unit: "events/s" },
  {
    section: "stream",
    measure: "processor CPU per event (user + system)",
    value: Math.round(r.cpuMicrosPerEvent * 10) / 10,
    unit: "µs"
  },
  { section: "stream", measure: "processor peak RSS", value: Math.round(r.rssPeakMB), unit: "MB" },
  { section: "stream", measure: "processor RSS at the end", value: Math.round(r.rssEndMB), unit: "MB" },
  { section: "stream", measure: "of which JS heap in use", value: Math.round(r.heapEndMB), unit: "MB" },
  { section: "stream", measure: "lake size (events + sessions)", value: Math.round(r.lakeMB), unit: "MB" },
  ...r.rssSamples.map(
    (sample): BenchRow => ({
      section: "stream",
      measure: `processor RSS at ${sample.events.toLocaleString("en-US")} events committed`,
      value: Math.round(sample.rssMB),
      unit: "MB"
    })
  )
]

export const streamBench: BenchSection = {
  name: "stream",
  setup: "1M-event backlog in events_raw (3 partitions) -> one processor process -> Parquet lake, checkpoints",
  run: async ({ scale }) => {
    const events = Math.max(50_000, Math.round(1_000_000 * scale))
    const lakeWriter = await measureLakeWriter(events)
    return rowsOf(await runStreamBench(events), lakeWriter.perSec)
  }
}

if (import.meta.main) {
  const events = Number(process.argv[2] ?? 1_000_000)
  const lakeWriter = await measureLakeWriter(Math.min(events, 1_000_000))
  console.log(formatTable(rowsOf(await runStreamBench(events), lakeWriter.perSec)))
}
