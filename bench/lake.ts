/**
 * `pnpm bench lake`: 1M synthetic enriched events (four event types, the full column set) written in
 * micro-batches of 50k through EventFileWriter (NDJSON staging → DuckDB read_json → COPY → fsync →
 * rename, see src/lake/EventJsonStaging.ts), as the stream processor does. Only the writer calls are
 * timed; each batch is generated just before its call. Peak RSS is the whole process's, the generated
 * events included.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { Settings } from "../src/domain/Settings.ts"
import { EventFileWriter } from "../src/lake/EventFileWriter.ts"
import { LakeEngine } from "../src/lake/LakeEngine.ts"
import { syntheticRows } from "../test/lake/fixtures/events.ts"
import type { BenchRow, BenchSection } from "./Bench.ts"

const EVENTS = 1_000_000
const BATCH = 50_000
/** Each batch covers the next 5 minutes of event time, so batches touch one or two hour partitions. */
const BATCH_SPAN_MS = 5 * 60_000
const BASE_MS = Date.UTC(2026, 10, 1)

export interface LakeWriterResult {
  readonly events: number
  readonly perSec: number
  readonly bytes: number
  readonly files: number
}

/** The lake writer alone: `events` synthetic events in batches of 50k, only the writer calls timed. */
export const measureLakeWriter = async (events: number): Promise<LakeWriterResult> => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "launchpad-bench-lake-"))
  const layer = EventFileWriter.layer.pipe(
    Layer.provide(LakeEngine.layer),
    Layer.provide(Settings.layerWith({ dataDir }))
  )
  try {
    const totals = await Effect.runPromise(
      Effect.gen(function* () {
        const writer = yield* EventFileWriter
        let seconds = 0
        let bytes = 0
        let files = 0
        for (let first = 0, batch = 0; first < events; first += BATCH, batch++) {
          const size = Math.min(BATCH, events - first)
          const rows = syntheticRows(0, first, size, BASE_MS + batch * BATCH_SPAN_MS, BATCH_SPAN_MS)
          const started = performance.now()
          const written = yield* writer.write({
            topic: "events_raw",
            partition: 0,
            firstOffset: first,
            lastOffset: first + size - 1,
            rows
          })
          seconds += (performance.now() - started) / 1000
          bytes += written.reduce((n, f) => n + f.bytes, 0)
          files += written.length
        }
        return { seconds, bytes, files }
      }).pipe(Effect.provide(layer))
    )
    return { events, perSec: events / totals.seconds, bytes: totals.bytes, files: totals.files }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const run = async ({ scale }: { readonly scale: number }): Promise<ReadonlyArray<BenchRow>> => {
  const events = Math.max(BATCH, Math.round(EVENTS * scale))
  const result = await measureLakeWriter(events)
  const section = "lake"
  return [
    { section, measure: "write throughput", value: Math.round(result.perSec), unit: "events/s" },
    { section, measure: "written", value: result.bytes / 1_048_576, unit: "MB" },
    { section, measure: "size", value: result.bytes / events, unit: "bytes/event" },
    { section, measure: "files", value: result.files, unit: "files" },
    { section, measure: "peak RSS", value: Math.round(process.resourceUsage().maxRSS / 1024), unit: "MB" }
  ]
}

export const lakeBench: BenchSection = {
  name: "lake",
  setup: "1M synthetic enriched events, batches of 50k, EventFileWriter with fsync",
  run
}
