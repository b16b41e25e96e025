/**
 * Compaction: one file per closed partition with the same rows, atomic for concurrent readers, a no-op
 * when re-run, exactly-once for re-run batches, and consistent after kill -9 at any point.
 */
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { Compaction } from "../../src/lake/Compaction.ts"
import { EventFileWriter } from "../../src/lake/EventFileWriter.ts"
import { isCompactionRecord, isTempFile, lakeRoot } from "../../src/lake/LakeLayout.ts"
import { LakeReader } from "../../src/lake/LakeReader.ts"
import { eventsTable, type SessionRow, sessionsTable } from "../../src/lake/LakeTable.ts"
import { SessionFileWriter } from "../../src/lake/SessionFileWriter.ts"
import { syntheticRows } from "./fixtures/events.ts"
import { lakeLayerFor, listFiles, seedEvents, spawnFixture, tempDataDir } from "./helpers.ts"

const HOUR = 3_600_000
const BASE = Date.UTC(2026, 0, 10, 0)

const sessionRow = (userId: string, startMs: number, kafkaPartition: number): SessionRow => ({
  userId,
  sessionKey: `${userId}:${startMs}`,
  kafkaPartition,
  startMs,
  endMs: startMs + 60_000,
  eventCount: 2,
  firstEventType: "page_view",
  lastEventType: "product_viewed",
  deviceType: "mobile",
  utmSource: null,
  utmMedium: null,
  utmCampaign: null,
  isBounce: false,
  isConverted: false,
  processedAtMs: startMs + HOUR
})

const readAll = LakeReader.use((reader) =>
  reader.query(eventsTable, (r) => `SELECT * FROM ${r} ORDER BY kafka_partition, kafka_offset`)
)

const countRows = LakeReader.use((reader) =>
  reader.query(
    eventsTable,
    (r) => `SELECT count(*) AS n, count(DISTINCT (kafka_partition, kafka_offset)) AS d FROM ${r}`
  )
).pipe(Effect.map((rows) => ({ n: Number(rows[0]?.n), distinct: Number(rows[0]?.d) })))

/** Data files per partition directory of the events table. */
const filesByPartition = (dataDir: string) => {
  const out = new Map<string, Array<string>>()
  for (const file of listFiles(path.join(lakeRoot(dataDir), "events"))) {
    const dir = path.dirname(file)
    out.set(dir, [...(out.get(dir) ?? []), path.basename(file)])
  }
  return out
}

describe("Compaction", () => {
  it.live(
    "merges each closed hour into one file with the same rows; readers during it always see every row once",
    () =>
      Effect.gen(function* () {
        const dataDir = yield* tempDataDir
        yield* Effect.gen(function* () {
          const total = yield* seedEvents({
            partitions: [0, 1],
            batches: 5,
            size: 240,
            baseMs: BASE,
            spreadMs: 2 * HOUR,
            stepMs: HOUR
          })
          // An hour that is still open: written, never compacted.
          const openBase = Date.now() - 20 * 60_000
          const writer = yield* EventFileWriter
          for (const first of [0, 50]) {
            yield* writer.write({
              topic: "events_raw",
              partition: 7,
              firstOffset: first,
              lastOffset: first + 49,
              rows: syntheticRows(7, first, 50, openBase, 60_000)
            })
          }
          const before = yield* readAll
          assert.strictEqual(before.length, total + 100)
          const isOpen = (files: ReadonlyArray<string>) => files.some((f) => f.startsWith("part-events_raw-7-"))
          const closedBefore = [...filesByPartition(dataDir)].filter(([, files]) => !isOpen(files) && files.length > 1)
          assert.isAtLeast(closedBefore.length, 2)

          let compacting = true
          const counts: Array<{ n: number; distinct: number }> = []
          const readers = yield* Effect.forkChild(
            Effect.gen(function* () {
              while (compacting || counts.length < 5) counts.push(yield* countRows)
            })
          )
          const report = yield* Compaction.use((c) => c.run).pipe(
            Effect.ensuring(
              Effect.sync(() => {
                compacting = false
              })
            )
          )
          yield* Fiber.join(readers)

          assert.isAtLeast(counts.length, 5)
          for (const c of counts) assert.deepStrictEqual(c, { n: total + 100, distinct: total + 100 })
          assert.deepStrictEqual(
            report.compacted.map((c) => [c.partition, c.inputs]),
            closedBefore.map(([dir, files]) => [dir, files.length])
          )

          const byPartition = filesByPartition(dataDir)
          for (const [dir, files] of byPartition) {
            const data = files.filter((f) => f.endsWith(".parquet"))
            if (isOpen(data)) {
              assert.strictEqual(data.length, 2, dir)
              continue
            }
            assert.strictEqual(data.length, 1, dir)
            assert.isFalse(files.some(isTempFile), dir)
            if (!closedBefore.some(([d]) => d === dir)) continue
            assert.match(data[0] ?? "", /^compacted-[0-9a-f]{16}\.parquet$/)
            assert.strictEqual(files.filter(isCompactionRecord).length, 1, dir)
          }
          assert.deepStrictEqual(yield* readAll, before)

          // Re-running changes nothing.
          const again = yield* Compaction.use((c) => c.run)
          assert.deepStrictEqual(again, { compacted: [], repaired: 0, tempsRemoved: 0 })
          assert.deepStrictEqual(filesByPartition(dataDir), byPartition)

          // A stream processor re-doing a batch writes nothing where its file was compacted: exactly-once holds.
          const rerun = yield* writer.write({
            topic: "events_raw",
            partition: 0,
            firstOffset: 0,
            lastOffset: 239,
            rows: syntheticRows(0, 0, 240, BASE, 2 * HOUR)
          })
          for (const file of rerun)
            assert.isFalse(
              closedBefore.some(([dir]) => dir === file.partition),
              file.partition
            )
          assert.deepStrictEqual(yield* countRows, { n: total + 100, distinct: total + 100 })
        }).pipe(Effect.provide(lakeLayerFor(dataDir)))
      }),
    60_000
  )

  it.live(
    "kill -9 mid-compaction, then a restart, leaves every row exactly once and no leftovers",
    () =>
      Effect.gen(function* () {
        const dataDir = yield* tempDataDir
        yield* Effect.gen(function* () {
          const total = yield* seedEvents({
            partitions: [0, 1],
            batches: 6,
            size: 150,
            baseMs: BASE,
            spreadMs: 2 * HOUR,
            stepMs: 2 * HOUR
          })
          const before = yield* readAll

          for (let round = 0; round < 3; round++) {
            const records = () =>
              listFiles(lakeRoot(dataDir)).filter((f) => isCompactionRecord(path.basename(f))).length
            const recordsBefore = records()
            const child = spawnFixture("compaction-child.ts", [dataDir])
            let exited = false
            child.exited.then(() => {
              exited = true
            })
            // Kill once this run writes its first compaction record (a swap is under way), a little later at random.
            while (!exited && records() === recordsBefore) yield* Effect.sleep(5)
            yield* Effect.sleep(Math.random() * 60)
            child.process.kill("SIGKILL")
            yield* Effect.promise(() => child.exited)
            assert.deepStrictEqual(yield* countRows, { n: total, distinct: total })
          }

          yield* Compaction.use((c) => c.run)
          for (const [dir, files] of filesByPartition(dataDir)) {
            assert.strictEqual(files.filter((f) => f.endsWith(".parquet")).length, 1, dir)
            assert.isFalse(files.some(isTempFile), dir)
          }
          assert.deepStrictEqual(yield* readAll, before)
          assert.deepStrictEqual((yield* Compaction.use((c) => c.run)).compacted, [])
        }).pipe(Effect.provide(lakeLayerFor(dataDir)))
      }),
    60_000
  )

  it.live("compacts a closed sessions day too", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        const writer = yield* SessionFileWriter
        for (let batch = 0; batch < 3; batch++) {
          yield* writer.write({
            topic: "events_raw",
            partition: batch % 2,
            firstOffset: batch * 100,
            lastOffset: batch * 100 + 99,
            rows: Array.from({ length: 10 }, (_, k) =>
              sessionRow(`u${batch}-${k}`, BASE + (batch * 10 + k) * 60_000, batch % 2)
            )
          })
        }
        const sessions = LakeReader.use((reader) =>
          reader.query(sessionsTable, (r) => `SELECT * FROM ${r} ORDER BY kafka_partition, session_start, user_id`)
        )
        const before = yield* sessions
        const report = yield* Compaction.use((c) => c.run)
        assert.deepStrictEqual(
          report.compacted.map((c) => [c.table, c.partition, c.inputs, c.rows]),
          [["sessions", "session_date=2026-01-10", 3, 30]]
        )
        assert.deepStrictEqual(yield* sessions, before)
        assert.strictEqual((yield* LakeReader.use((r) => r.sessionFiles)).length, 1)
      }).pipe(Effect.provide(lakeLayerFor(dataDir)))
    })
  )

  it.live("late files are merged into an already compacted hour; replays of twice-compacted batches stay out", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        const writer = yield* EventFileWriter
        const batch = (partition: number, first: number) => ({
          topic: "events_raw",
          partition,
          firstOffset: first,
          lastOffset: first + 99,
          rows: syntheticRows(partition, first, 100, BASE, 10 * 60_000)
        })
        yield* writer.write(batch(0, 0))
        yield* writer.write(batch(1, 0))
        const first = yield* Compaction.use((c) => c.run)
        assert.strictEqual(first.compacted.length, 1)
        // A late batch lands in the compacted hour, then a second compaction merges it with the first output.
        yield* writer.write(batch(0, 100))
        const second = yield* Compaction.use((c) => c.run)
        assert.deepStrictEqual(
          second.compacted.map((c) => [c.inputs, c.rows]),
          [[2, 300]]
        )
        const [dir, files] = [...filesByPartition(dataDir)][0] ?? ["", []]
        assert.strictEqual(files.filter((f) => f.endsWith(".parquet")).length, 1, dir)
        assert.strictEqual(files.filter(isCompactionRecord).length, 2, dir)
        // Replays of all three batches: their rows are already live in the second output.
        for (const replay of [batch(0, 0), batch(1, 0), batch(0, 100)])
          assert.deepStrictEqual(yield* writer.write(replay), [])
        assert.deepStrictEqual(yield* countRows, { n: 300, distinct: 300 })
      }).pipe(Effect.provide(lakeLayerFor(dataDir)))
    })
  )

  it.live("one maintenance job at a time: a concurrent run fails with LakeBusy", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        yield* seedEvents({ partitions: [0], batches: 3, size: 50, baseMs: BASE, spreadMs: HOUR, stepMs: HOUR })
        const results = yield* Effect.all([Compaction.use((c) => c.run), Compaction.use((c) => c.run)], {
          concurrency: 2,
          mode: "result"
        })
        const tags = results.map((r) => (r._tag === "Success" ? "ok" : r.failure._tag)).sort()
        assert.deepStrictEqual(tags, ["LakeBusy", "ok"])
        // The lock is released: the next run works.
        assert.deepStrictEqual((yield* Compaction.use((c) => c.run)).compacted, [])
      }).pipe(Effect.provide(lakeLayerFor(dataDir)))
    })
  )
})
