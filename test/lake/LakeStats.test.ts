/** Stats from Parquet footers agree with a full scan of the data. */
import { statSync } from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { LakeReader } from "../../src/lake/LakeReader.ts"
import { LakeStats } from "../../src/lake/LakeStats.ts"
import { eventsTable } from "../../src/lake/LakeTable.ts"
import { lakeLayerFor, seedEvents, tempDataDir } from "./helpers.ts"

const HOUR = 3_600_000

describe("LakeStats", () => {
  it.effect("per-partition files, rows, bytes and time range match the data", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        const total = yield* seedEvents({
          partitions: [0, 1],
          batches: 3,
          size: 200,
          baseMs: Date.UTC(2026, 3, 1, 22),
          spreadMs: HOUR,
          stepMs: HOUR
        })
        const reader = yield* LakeReader
        const files = yield* reader.eventFiles
        const scanned = yield* reader.query(
          eventsTable,
          (r) =>
            `SELECT strftime(event_date, 'event_date=%Y-%m-%d') || '/event_hour=' || lpad(event_hour::VARCHAR, 2, '0') AS p, ` +
            `count(*) AS n, epoch_ms(min(occurred_at_corrected)) AS lo, epoch_ms(max(occurred_at_corrected)) AS hi ` +
            `FROM ${r} GROUP BY ALL ORDER BY p`
        )
        const filesIn = (partition: string) => files.filter((f) => path.dirname(f).endsWith(partition)).length
        const stats = (yield* (yield* LakeStats).partitions).filter((s) => s.table === "events")
        assert.deepStrictEqual(
          stats.map((s) => [s.partition, s.rows, s.files, s.minTimeMs, s.maxTimeMs]),
          scanned.map((row) => [row.p, Number(row.n), filesIn(String(row.p)), Number(row.lo), Number(row.hi)])
        )
        assert.strictEqual(
          stats.reduce((n, s) => n + s.rows, 0),
          total
        )
        assert.strictEqual(
          stats.reduce((n, s) => n + s.bytes, 0),
          files.reduce((n, f) => n + statSync(f).size, 0)
        )
      }).pipe(Effect.provide(lakeLayerFor(dataDir)))
    })
  )
})
