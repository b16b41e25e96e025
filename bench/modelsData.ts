/**
 * The models bench's lake: simulator journeys (src/sim/Journeys.ts) enriched as ingest would and written
 * straight to the lake layout by the lake writer (not through Kafka), spread over `DAYS` days. Users come
 * back: each journey picks its user from a pool with a skew towards the first users, so retention,
 * segments and sessions have something to measure. Closed hours are then compacted into one file each,
 * as a running deployment's lake is. Seeded, so the same count gives the same lake; it is cached in `bench/.cache/models-<events>/` and reused while `GENERATOR_VERSION` is unchanged.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import type { EnrichedEvent } from "../src/domain/Catalog.ts"
import { enrich } from "../src/domain/Enrichment.ts"
import { Settings } from "../src/domain/Settings.ts"
import { Compaction } from "../src/lake/Compaction.ts"
import { EventFileWriter } from "../src/lake/EventFileWriter.ts"
import { LakeEngine } from "../src/lake/LakeEngine.ts"
import type { EventLakeRow } from "../src/lake/LakeTable.ts"
import { journey, makeRandom } from "../src/sim/Journeys.ts"

/** Bump when the generated events change, so old caches are rebuilt. */
const GENERATOR_VERSION = 2
export const DAYS = 30
const DAY_MS = 86_400_000
/** The lake's first day; its last is DAYS - 1 days later. */
export const FIRST_DAY_MS = Date.UTC(2026, 9, 1)
/** A day of a partition in one write: one file per hour partition, as compaction would leave it. */
const BATCH = 200_000
const PARTITIONS = 3

const CACHE_ROOT = path.join(import.meta.dirname, ".cache")

/** Events of the day `day`, in `journeysPerDay` journeys, with ingest's enrichment (received 1 s later). */
const dayEvents = (day: number, journeysPerDay: number, users: number): Array<EnrichedEvent> => {
  const random = makeRandom(1_000 + day)
  const out: Array<EnrichedEvent> = []
  for (let j = 0; j < journeysPerDay; j++) {
    // Skewed towards low user numbers: a few users come back often, most rarely.
    const user = 1 + Math.floor(users * random.next() ** 2)
    const start = FIRST_DAY_MS + day * DAY_MS + Math.floor(random.next() * (DAY_MS - 3_600_000))
    for (const timed of journey(random, user, start)) {
      out.push(enrich(timed.event, { receivedAtMs: timed.atMs + 1_000, requestId: `bench-${day}-${j}` }))
    }
  }
  // In time order, as a stream reading the log would write them: each write spans few hour partitions.
  return out.sort((x, y) => (x.occurred_at_corrected < y.occurred_at_corrected ? -1 : 1))
}

/** Writes events to the lake as the stream would: partition by user, offsets per partition. */
export const writeToLake = (events: ReadonlyArray<EnrichedEvent>, offsets: Array<number>) =>
  Effect.gen(function* () {
    const writer = yield* EventFileWriter
    const byPartition: Array<Array<EnrichedEvent>> = Array.from({ length: PARTITIONS }, () => [])
    for (const event of events) {
      let hash = 0
      for (let i = 0; i < event.user_id.length; i++) hash = (hash * 31 + event.user_id.charCodeAt(i)) | 0
      byPartition[Math.abs(hash) % PARTITIONS]?.push(event)
    }
    for (const [partition, partitionEvents] of byPartition.entries()) {
      for (let i = 0; i < partitionEvents.length; i += BATCH) {
        const slice = partitionEvents.slice(i, i + BATCH)
        const first = offsets[partition] ?? 0
        const rows: ReadonlyArray<EventLakeRow> = slice.map((event, k) => ({
          event,
          kafkaPartition: partition,
          kafkaOffset: first + k,
          isLate: false,
          processedAtMs: Date.parse(event.received_at)
        }))
        yield* writer.write({
          topic: "events_raw",
          partition,
          firstOffset: first,
          lastOffset: first + slice.length - 1,
          rows
        })
        offsets[partition] = first + slice.length
      }
    }
  })

export const lakeLayer = (dataDir: string) =>
  Layer.mergeAll(EventFileWriter.layer, Compaction.layer).pipe(
    Layer.provide(LakeEngine.layer),
    Layer.provide(Settings.layerWith({ dataDir }))
  )

export interface BenchLake {
  /** A data dir whose `lake/` holds the events (copy it before writing more). */
  readonly dataDir: string
  readonly events: number
  readonly users: number
  /** Next Kafka offset per partition, to append more events. */
  readonly offsets: ReadonlyArray<number>
  /** Seconds spent generating and writing (0 when cached). */
  readonly builtSeconds: number
}

/** The cached lake of about `events` events, built on first use. */
export const benchLake = async (events: number): Promise<BenchLake> => {
  const dataDir = path.join(CACHE_ROOT, `models-${events}`)
  const manifest = path.join(dataDir, "bench-lake.json")
  if (existsSync(manifest)) {
    const stored = JSON.parse(readFileSync(manifest, "utf8")) as BenchLake & { readonly version: number }
    if (stored.version === GENERATOR_VERSION) return { ...stored, dataDir, builtSeconds: 0 }
  }
  rmSync(dataDir, { recursive: true, force: true })
  mkdirSync(dataDir, { recursive: true })
  const started = performance.now()
  // ~13.8 events per journey on average (measured over 10k journeys).
  const journeysPerDay = Math.max(1, Math.round(events / 13.8 / DAYS))
  const users = Math.max(10, Math.round((journeysPerDay * DAYS) / 3))
  const offsets = [0, 0, 0]
  let written = 0
  await Effect.runPromise(
    Effect.gen(function* () {
      for (let day = 0; day < DAYS; day++) {
        const batch = dayEvents(day, journeysPerDay, users)
        yield* writeToLake(batch, offsets)
        written += batch.length
        console.error(`bench models: day ${day + 1}/${DAYS} written (${written.toLocaleString("en-US")} events)`)
      }
      // What a running deployment's lake looks like: closed hours compacted into one file each.
      const compaction = yield* Compaction
      const report = yield* compaction.run
      console.error(`bench models: ${report.compacted.length} hour partitions compacted`)
    }).pipe(Effect.provide(lakeLayer(dataDir)))
  )
  const lake = { events: written, users, offsets, builtSeconds: (performance.now() - started) / 1000 }
  writeFileSync(manifest, JSON.stringify({ ...lake, version: GENERATOR_VERSION, dataDir }))
  return { ...lake, dataDir }
}

/** `count` more events on the day after the lake's last day, appended at `offsets`. */
export const moreEvents = (count: number, users: number): Array<EnrichedEvent> =>
  // A journey has at least two events: count / 2 journeys always give enough.
  dayEvents(DAYS, Math.ceil(count / 2), users).slice(0, count)
