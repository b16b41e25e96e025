/** Reading the lake: schema evolution across files, temporaries invisible to globs, the empty lake. */
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Compaction } from "../../src/lake/Compaction.ts"
import { EventFileWriter } from "../../src/lake/EventFileWriter.ts"
import { LakeEngine, queryRows, runStatement } from "../../src/lake/LakeEngine.ts"
import { lakeRoot, partFileName, tempName } from "../../src/lake/LakeLayout.ts"
import { LakeReader } from "../../src/lake/LakeReader.ts"
import { eventsTable } from "../../src/lake/LakeTable.ts"
import { sqlString } from "../../src/sql/SqlText.ts"
import { syntheticRows } from "./fixtures/events.ts"
import { lakeLayerFor, tempDataDir } from "./helpers.ts"

const HOUR_START = Date.UTC(2026, 1, 3, 10)

const writeHour = (partition: number) =>
  EventFileWriter.use((w) =>
    w.write({
      topic: "events_raw",
      partition,
      firstOffset: 0,
      lastOffset: 99,
      rows: syntheticRows(partition, 0, 100, HOUR_START, 30 * 60_000)
    })
  )

describe("LakeReader", () => {
  it.live("a file with a new optional column reads together with older files; compaction keeps it", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        const [old] = yield* writeHour(0)
        if (old === undefined) return assert.fail("no file written")
        // The next schema version: every current column plus prop_new_field, in the same hour.
        const newer = path.join(path.dirname(old.path), partFileName("events_raw", 1, 0, 99))
        yield* runStatement(
          yield* LakeEngine,
          `COPY (SELECT * REPLACE (1 AS kafka_partition), 'x' AS prop_new_field FROM read_parquet(${sqlString(old.path)})) ` +
            `TO ${sqlString(newer)} (FORMAT PARQUET)`
        )
        const reader = yield* LakeReader
        const split = reader.query(
          eventsTable,
          (r) =>
            `SELECT count(*) FILTER (WHERE prop_new_field IS NULL AND kafka_partition = 0) AS old_rows, ` +
            `count(*) FILTER (WHERE prop_new_field = 'x' AND kafka_partition = 1) AS new_rows, count(*) AS n FROM ${r}`
        )
        const expected = [{ old_rows: 100n, new_rows: 100n, n: 200n }]
        assert.deepStrictEqual(yield* split, expected)
        const report = yield* Compaction.use((c) => c.run)
        assert.strictEqual(report.compacted.length, 1)
        assert.deepStrictEqual(yield* split, expected)
      }).pipe(Effect.provide(lakeLayerFor(dataDir)))
    })
  )

  it.effect("temporary files are invisible to a raw *.parquet glob and to the reader", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        const [file] = yield* writeHour(0)
        if (file === undefined) return assert.fail("no file written")
        // What a writer killed mid-COPY leaves: garbage under a temporary name.
        writeFileSync(path.join(path.dirname(file.path), tempName(path.basename(file.path))), "PAR1 partial")
        const glob = path.join(lakeRoot(dataDir), "events", "**", "*.parquet")
        const [raw] = yield* queryRows(yield* LakeEngine, `SELECT count(*) AS n FROM read_parquet(${sqlString(glob)})`)
        assert.strictEqual(raw?.n, 100n)
        assert.deepStrictEqual(yield* (yield* LakeReader).eventFiles, [file.path])
      }).pipe(Effect.provide(lakeLayerFor(dataDir)))
    })
  )

  it.effect("the empty lake is an empty relation with the same columns and types", () =>
    Effect.gen(function* () {
      const emptyDir = yield* tempDataDir
      const fullDir = yield* tempDataDir
      const describe = LakeReader.use((reader) => reader.query(eventsTable, (r) => `DESCRIBE SELECT * FROM ${r}`)).pipe(
        Effect.map((rows) => rows.map((row) => [row.column_name, row.column_type]))
      )
      const empty = yield* describe.pipe(Effect.provide(lakeLayerFor(emptyDir)))
      const full = yield* Effect.andThen(writeHour(0), describe).pipe(Effect.provide(lakeLayerFor(fullDir)))
      assert.deepStrictEqual(empty, full)
      assert.deepStrictEqual(empty.slice(-2), [
        ["event_date", "DATE"],
        ["event_hour", "INTEGER"]
      ])
    })
  )
})
