/**
 * The scheduled lake maintenance: closed hours written in several files end up in one file each,
 * with the same rows, without anyone running `lake compact`; a run that finds the lake busy skips its
 * turn (counted) and the next one does the work.
 */
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Metric } from "effect"
import { Settings } from "../../src/domain/Settings.ts"
import { lakeRoot } from "../../src/lake/LakeLayout.ts"
import { LakeMaintenance } from "../../src/lake/LakeMaintenance.ts"
import { LakeReader } from "../../src/lake/LakeReader.ts"
import { eventsTable } from "../../src/lake/LakeTable.ts"
import { withMaintenanceLock } from "../../src/lake/MaintenanceLock.ts"
import { lakeLayerFor, listFiles, seedEvents, tempDataDir } from "./helpers.ts"

const HOUR = 3_600_000

/** The lake's services, and the settings the schedule reads. */
const layerFor = (dataDir: string, settings: { readonly lakeMaintenanceInterval: Duration.Duration }) =>
  Layer.merge(lakeLayerFor(dataDir, settings), Settings.layerWith({ dataDir, ...settings }))
const BASE = Date.UTC(2026, 0, 10, 0)

/** Parquet files per hour directory of the events table. */
const filesPerHour = (dataDir: string) => {
  const out = new Map<string, number>()
  for (const file of listFiles(path.join(lakeRoot(dataDir), "events"))) {
    if (!file.endsWith(".parquet")) continue
    out.set(path.dirname(file), (out.get(path.dirname(file)) ?? 0) + 1)
  }
  return out
}

const runs = (outcome: string) =>
  Effect.map(Metric.snapshot, (metrics) =>
    metrics
      .filter((m) => m.id === "launchpad_lake_maintenance_runs_total" && m.attributes?.outcome === outcome)
      .reduce((n, m) => n + (m.type === "Counter" ? Number(m.state.count) : 0), 0)
  )

const rowCount = LakeReader.use((reader) => reader.query(eventsTable, (r) => `SELECT count(*)::INTEGER AS n FROM ${r}`))

/** Polls until every hour directory holds one file, or fails after 20 s. */
const untilCompacted = (dataDir: string) =>
  Effect.gen(function* () {
    for (let i = 0; i < 200; i++) {
      if ([...filesPerHour(dataDir).values()].every((n) => n === 1)) return
      yield* Effect.sleep(Duration.millis(100))
    }
    assert.fail(`not compacted: ${JSON.stringify([...filesPerHour(dataDir)])}`)
  })

describe("LakeMaintenance", () => {
  it.live("compacts closed hours on its schedule, rows unchanged", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      const settings = { lakeMaintenanceInterval: Duration.millis(500) }
      yield* Effect.gen(function* () {
        const total = yield* seedEvents({
          partitions: [0, 1],
          batches: 3,
          size: 120,
          baseMs: BASE,
          spreadMs: HOUR,
          stepMs: 0
        })
        assert.isTrue([...filesPerHour(dataDir).values()].some((n) => n > 1))
        const succeeded = yield* runs("success")
        yield* Layer.build(LakeMaintenance.layer)
        yield* untilCompacted(dataDir)
        assert.deepStrictEqual(yield* rowCount, [{ n: total }])
        assert.isAbove(yield* runs("success"), succeeded)
      }).pipe(Effect.scoped, Effect.provide(layerFor(dataDir, settings)))
    })
  )

  it.live("a run that finds the lake busy skips its turn; the next one compacts", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      const settings = { lakeMaintenanceInterval: Duration.millis(300) }
      yield* Effect.gen(function* () {
        yield* seedEvents({ partitions: [0], batches: 3, size: 50, baseMs: BASE, spreadMs: HOUR, stepMs: 0 })
        const skipped = yield* runs("skipped")
        // Another job (a `lake compact` elsewhere) holds the lock for a while.
        const holder = yield* Effect.forkChild(withMaintenanceLock(dataDir, Effect.sleep(Duration.millis(1_500))))
        yield* Layer.build(LakeMaintenance.layer)
        yield* Fiber.join(holder)
        assert.isAbove(yield* runs("skipped"), skipped)
        yield* untilCompacted(dataDir)
      }).pipe(Effect.scoped, Effect.provide(layerFor(dataDir, settings)))
    })
  )

  it.live("an interval of 0 schedules nothing", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        yield* seedEvents({ partitions: [0], batches: 3, size: 50, baseMs: BASE, spreadMs: HOUR, stepMs: 0 })
        yield* Layer.build(LakeMaintenance.layer)
        yield* Effect.sleep(Duration.millis(500))
        assert.isTrue([...filesPerHour(dataDir).values()].some((n) => n > 1))
      }).pipe(Effect.scoped, Effect.provide(layerFor(dataDir, { lakeMaintenanceInterval: Duration.zero })))
    })
  )
})
