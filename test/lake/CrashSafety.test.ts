/**
 * kill -9 of a writer process at random points: no visible `*.parquet` is ever partial, and after a
 * restart that re-does the interrupted batch every (partition, offset) is in the lake exactly once.
 */
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { LakeEngine, queryRows } from "../../src/lake/LakeEngine.ts"
import { isTempFile, lakeRoot } from "../../src/lake/LakeLayout.ts"
import { LakeReader } from "../../src/lake/LakeReader.ts"
import { eventsTable } from "../../src/lake/LakeTable.ts"
import { sqlString } from "../../src/sql/SqlText.ts"
import { globParquet, lakeLayerFor, listFiles, spawnFixture, tempDataDir } from "./helpers.ts"

const BATCHES = 24
const SIZE = 400
const KILLS = 4
const BASE = Date.UTC(2026, 5, 1, 8)
const SPREAD = 3 * 3_600_000

describe("writer crash safety", () => {
  it.live(
    "visible files are always complete; the final lake has each offset exactly once",
    () =>
      Effect.gen(function* () {
        const dataDir = yield* tempDataDir
        const eventsDir = path.join(lakeRoot(dataDir), "events")
        const args = [dataDir, String(BATCHES), String(SIZE), String(BASE), String(SPREAD)]
        yield* Effect.gen(function* () {
          const duck = yield* LakeEngine
          let filesOpened = 0
          /** Opens every visible file: a partial Parquet file fails to open (no footer). */
          const openVisible = Effect.suspend(() =>
            Effect.forEach(
              globParquet(eventsDir),
              (file) =>
                Effect.map(
                  queryRows(duck, `SELECT count(*) AS n FROM read_parquet(${sqlString(path.join(eventsDir, file))})`),
                  (rows) => {
                    assert.isAbove(Number(rows[0]?.n), 0, file)
                    filesOpened += 1
                  }
                ),
              { discard: true }
            )
          )
          const runChild = (killAfterMs: number | undefined) =>
            Effect.gen(function* () {
              const child = spawnFixture("writer-child.ts", args)
              let code: number | null | undefined
              child.exited.then((c) => {
                code = c
              })
              const killAt = killAfterMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + killAfterMs
              while (code === undefined && Date.now() < killAt) {
                yield* openVisible
                yield* Effect.sleep(10)
              }
              if (code === undefined) child.process.kill("SIGKILL")
              return yield* Effect.promise(() => child.exited)
            })

          for (let round = 0; round < KILLS; round++) yield* runChild(300 + Math.random() * 1500)
          assert.strictEqual(yield* runChild(undefined), 0)
          yield* openVisible
          assert.isAbove(filesOpened, 0)

          const [stats] = yield* (yield* LakeReader).query(
            eventsTable,
            (r) =>
              `SELECT count(*) AS n, count(DISTINCT (kafka_partition, kafka_offset)) AS distinct_offsets, ` +
              `min(kafka_offset) AS lo, max(kafka_offset) AS hi FROM ${r}`
          )
          assert.deepStrictEqual(
            [stats?.n, stats?.distinct_offsets, stats?.lo, stats?.hi],
            [BigInt(BATCHES * SIZE), BigInt(BATCHES * SIZE), 0n, BigInt(BATCHES * SIZE - 1)]
          )
          // Temporaries of killed writers may remain, but never under a name a glob would read.
          for (const file of listFiles(eventsDir)) {
            const name = path.basename(file)
            assert.isTrue(name.endsWith(".parquet") || isTempFile(name), file)
          }
        }).pipe(Effect.provide(lakeLayerFor(dataDir)))
      }),
    60_000
  )
})
