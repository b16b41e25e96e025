/** Retention deletes whole date partitions older than LAUNCHPAD_LAKE_RETENTION_DAYS, and nothing else. */
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { EventFileWriter } from "../../src/lake/EventFileWriter.ts"
import { lakeRoot, trashRoot } from "../../src/lake/LakeLayout.ts"
import { LakeReader } from "../../src/lake/LakeReader.ts"
import { eventsTable, type SessionRow } from "../../src/lake/LakeTable.ts"
import { Retention } from "../../src/lake/Retention.ts"
import { SessionFileWriter } from "../../src/lake/SessionFileWriter.ts"
import { syntheticRows } from "./fixtures/events.ts"
import { lakeLayerFor, listFiles, tempDataDir } from "./helpers.ts"

const DAY = 86_400_000

const session = (startMs: number): SessionRow => ({
  userId: "u",
  sessionKey: `u:${startMs}`,
  kafkaPartition: 0,
  startMs,
  endMs: startMs,
  eventCount: 1,
  firstEventType: "page_view",
  lastEventType: "page_view",
  deviceType: "desktop",
  utmSource: null,
  utmMedium: null,
  utmCampaign: null,
  isBounce: true,
  isConverted: false,
  processedAtMs: startMs
})

const dateDirs = (dataDir: string, table: string) =>
  [...new Set(listFiles(path.join(lakeRoot(dataDir), table)).map((f) => f.split("/")[0]))].sort()

describe("Retention", () => {
  it.live("deletes the date partitions older than the retention, of events and sessions", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      const today = Math.floor(Date.now() / DAY) * DAY
      const ageDays = [45, 31, 30, 1, 0]
      const day = (age: number) => new Date(today - age * DAY).toISOString().slice(0, 10)
      yield* Effect.gen(function* () {
        const events = yield* EventFileWriter
        const sessions = yield* SessionFileWriter
        for (const [k, age] of ageDays.entries()) {
          const batch = { topic: "events_raw", partition: 0, firstOffset: k * 10, lastOffset: k * 10 + 9 }
          yield* events.write({ ...batch, rows: syntheticRows(0, k * 10, 10, today - age * DAY + 3_600_000, 60_000) })
          yield* sessions.write({ ...batch, rows: [session(today - age * DAY + 7_200_000)] })
        }
        const deleted = yield* Retention.use((r) => r.run)

        assert.deepStrictEqual(
          deleted.map((d) => `${d.table}/${d.partition}`),
          [
            `events/event_date=${day(45)}`,
            `events/event_date=${day(31)}`,
            `sessions/session_date=${day(45)}`,
            `sessions/session_date=${day(31)}`
          ]
        )
        const kept = [30, 1, 0].map(day)
        assert.deepStrictEqual(
          dateDirs(dataDir, "events"),
          kept.map((d) => `event_date=${d}`)
        )
        assert.deepStrictEqual(
          dateDirs(dataDir, "sessions"),
          kept.map((d) => `session_date=${d}`)
        )
        assert.deepStrictEqual(listFiles(trashRoot(dataDir)), [])
        const [row] = yield* (yield* LakeReader).query(eventsTable, (r) => `SELECT count(*) AS n FROM ${r}`)
        assert.strictEqual(row?.n, 30n)
        assert.deepStrictEqual(yield* Retention.use((r) => r.run), [])
      }).pipe(Effect.provide(lakeLayerFor(dataDir, { lakeRetentionDays: 30 })))
    })
  )
})
