/** The writers: round-trip of arbitrary events through Parquet, partition placement, determinism. */
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Predicate, Result, Schema } from "effect"
import { enrichedEventArbitrary } from "../../src/domain/Arbitraries.ts"
import type { EnrichedEvent } from "../../src/domain/Catalog.ts"
import { columns, type DuckDbType, toRow } from "../../src/domain/Columns.ts"
import { decodeEnrichedEvent } from "../../src/domain/EventCodec.ts"
import { epochMillis } from "../../src/domain/Timestamp.ts"
import { EventFileWriter } from "../../src/lake/EventFileWriter.ts"
import { LakeEngine, queryRows } from "../../src/lake/LakeEngine.ts"
import { lakeRoot } from "../../src/lake/LakeLayout.ts"
import { LakeReader } from "../../src/lake/LakeReader.ts"
import { eventsTable, type SessionRow, sessionsTable } from "../../src/lake/LakeTable.ts"
import { SessionFileWriter } from "../../src/lake/SessionFileWriter.ts"
import { sqlIdent, sqlString } from "../../src/sql/SqlText.ts"
import { syntheticEvent, syntheticRows } from "./fixtures/events.ts"
import { lakeLayerFor, listFiles, tempDataDir } from "./helpers.ts"

const HOUR = 3_600_000
const PROCESSED_AT = Date.UTC(2026, 10, 22, 12)

const batchOf = (events: ReadonlyArray<EnrichedEvent>) => ({
  topic: "events_raw",
  partition: 2,
  firstOffset: 1000,
  lastOffset: 1000 + events.length - 1,
  rows: events.map((event, i) => ({
    event,
    kafkaPartition: 2,
    kafkaOffset: 1000n + BigInt(i),
    isLate: i % 2 === 0,
    processedAtMs: PROCESSED_AT
  }))
})

/** Every domain column as toRow encodes it: timestamps as epoch ms, JSON as text. */
const selectDomainColumns = columns
  .map((c) =>
    c.duckdbType === "TIMESTAMPTZ" ? `epoch_ms(${sqlIdent(c.name)}) AS ${sqlIdent(c.name)}` : sqlIdent(c.name)
  )
  .join(", ")

/** JSON has no negative zero (`JSON.stringify(-0)` is "0"), so a -0 property is stored as 0. */
const normalize = (value: unknown): unknown =>
  typeof value === "bigint" ? Number(value) : Object.is(value, -0) ? 0 : value

/**
 * A cell as compared: JSON parsed, everything else as is. Strings need no repair: the schemas accept
 * only well-formed Unicode, so what is accepted is exactly what is stored (a lone surrogate would
 * come back as U+FFFD).
 */
const cellOf = (type: DuckDbType, value: unknown): unknown =>
  type === "JSON" && typeof value === "string" ? JSON.parse(value) : normalize(value)

/** A UTF-16 code unit: a letter, a high or a low surrogate, so ids mix lone and paired surrogates. */
const codeUnit = Arbitrary.map(
  Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1_999 }))),
  (n) => (n < 500 ? 0x41 + (n % 26) : n < 1_250 ? 0xd800 + (n - 500) : 0xdc00 + (n - 1_250))
)
const surrogateHeavyId = Arbitrary.map(Arbitrary.array(codeUnit, { minLength: 1, maxLength: 6 }), (units) =>
  String.fromCharCode(...units)
)

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10)

describe("EventFileWriter", () => {
  it.effect.prop(
    "arbitrary events round-trip through Parquet, column by column, into their event_date/event_hour",
    { events: Arbitrary.array(enrichedEventArbitrary, { minLength: 1, maxLength: 12 }) },
    ({ events }) =>
      Effect.gen(function* () {
        const dataDir = yield* tempDataDir
        yield* Effect.gen(function* () {
          const written = yield* (yield* EventFileWriter).write(batchOf(events))
          assert.strictEqual(
            written.reduce((n, f) => n + f.rows, 0),
            events.length
          )
          const rows = yield* (yield* LakeReader).query(
            eventsTable,
            (relation) =>
              `SELECT ${selectDomainColumns}, kafka_partition, kafka_offset, is_late, epoch_ms(processed_at) AS processed_ms, ` +
              `strftime(event_date, '%Y-%m-%d') AS event_date, event_hour FROM ${relation} ORDER BY kafka_offset`
          )
          assert.strictEqual(rows.length, events.length)
          events.forEach((event, i) => {
            const row = rows[i] ?? {}
            const expected = toRow(event)
            columns.forEach((column, c) => {
              assert.deepStrictEqual(
                cellOf(column.duckdbType, row[column.name]),
                cellOf(column.duckdbType, expected[c]),
                `${column.name} of event ${i}`
              )
            })
            assert.strictEqual(row.kafka_partition, 2)
            assert.strictEqual(row.kafka_offset, 1000n + BigInt(i))
            assert.strictEqual(row.is_late, i % 2 === 0)
            assert.strictEqual(normalize(row.processed_ms), PROCESSED_AT)
            const eventTime = epochMillis(event.occurred_at_corrected)
            assert.strictEqual(row.event_date, utcDate(eventTime))
            assert.strictEqual(row.event_hour, new Date(eventTime).getUTCHours())
          })
        }).pipe(Effect.provide(lakeLayerFor(dataDir)))
      }),
    { timeout: 60_000, arbitrary: { runs: 25 } }
  )

  it.effect("writing a batch twice gives the same names and bytes, and leaves no temporary file", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      const base = Date.UTC(2026, 0, 5, 10)
      const batch = {
        topic: "events_raw",
        partition: 1,
        firstOffset: 0,
        lastOffset: 499,
        rows: syntheticRows(1, 0, 500, base, 3 * HOUR)
      }
      yield* Effect.gen(function* () {
        const writer = yield* EventFileWriter
        const reader = yield* LakeReader
        const readAll = reader.query(eventsTable, (r) => `SELECT * FROM ${r} ORDER BY kafka_offset`)
        const digest = () =>
          listFiles(lakeRoot(dataDir)).map((f) => [
            f,
            createHash("sha256")
              .update(readFileSync(path.join(lakeRoot(dataDir), f)))
              .digest("hex")
          ])

        const first = yield* writer.write(batch)
        const firstFiles = digest()
        const firstRows = yield* readAll
        const second = yield* writer.write(batch)

        assert.deepStrictEqual(
          second.map((f) => f.path),
          first.map((f) => f.path)
        )
        assert.isAtLeast(first.length, 2)
        assert.deepStrictEqual(digest(), firstFiles)
        assert.deepStrictEqual(yield* readAll, firstRows)
        assert.strictEqual(firstRows.length, 500)
        for (const [file] of firstFiles) {
          assert.match(
            file ?? "",
            /^events\/event_date=2026-01-05\/event_hour=1[0-2]\/part-events_raw-1-0{20}-0{17}499\.parquet$/
          )
        }
      }).pipe(Effect.provide(lakeLayerFor(dataDir)))
    })
  )

  it.effect("concurrent writes of several Kafka partitions do not interfere", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      const base = Date.UTC(2026, 0, 6, 10)
      yield* Effect.gen(function* () {
        const writer = yield* EventFileWriter
        const written = yield* Effect.forEach(
          [0, 1, 2, 3],
          (partition) =>
            writer.write({
              topic: "events_raw",
              partition,
              firstOffset: 0,
              lastOffset: 299,
              rows: syntheticRows(partition, 0, 300, base, HOUR)
            }),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(
          written.map((files) => files.reduce((n, f) => n + f.rows, 0)),
          [300, 300, 300, 300]
        )
        const rows = yield* (yield* LakeReader).query(
          eventsTable,
          (r) => `SELECT kafka_partition, count(*) AS n FROM ${r} GROUP BY ALL ORDER BY kafka_partition`
        )
        assert.deepStrictEqual(
          rows.map((r) => [r.kafka_partition, r.n]),
          [
            [0, 300n],
            [1, 300n],
            [2, 300n],
            [3, 300n]
          ]
        )
      }).pipe(Effect.provide(lakeLayerFor(dataDir)))
    })
  )

  it.effect("rows out of Kafka order, over several staging files, are written in Kafka order, deterministically", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      const size = 20_000
      const inOrder = syntheticRows(3, 0, size, Date.UTC(2026, 0, 7, 10), HOUR / 2)
      // The whole batch in reverse: the writer must restore Kafka order.
      const shuffled = Array.from({ length: size }, (_, i) => inOrder[size - 1 - i]).filter(Predicate.isNotUndefined)
      const batch = { topic: "events_raw", partition: 3, firstOffset: 0, lastOffset: size - 1, rows: shuffled }
      yield* Effect.gen(function* () {
        const writer = yield* EventFileWriter
        const first = yield* writer.write(batch)
        const hashes = () => first.map((f) => createHash("sha256").update(readFileSync(f.path)).digest("hex"))
        const before = hashes()
        yield* writer.write({ ...batch, rows: inOrder })
        assert.deepStrictEqual(hashes(), before)
        for (const file of first) {
          const [row] = yield* queryRows(
            yield* LakeEngine,
            `SELECT count(*) AS n, count(*) FILTER (WHERE kafka_offset <= previous) AS out_of_order FROM ` +
              `(SELECT kafka_offset, lag(kafka_offset) OVER () AS previous FROM read_parquet(${sqlString(file.path)}))`
          )
          assert.strictEqual(row?.n, BigInt(file.rows))
          assert.strictEqual(row?.out_of_order, 0n)
        }
        assert.strictEqual(
          first.reduce((n, f) => n + f.rows, 0),
          size
        )
        assert.deepStrictEqual(
          listFiles(lakeRoot(dataDir)).filter((f) => !f.endsWith(".parquet")),
          []
        )
      }).pipe(Effect.provide(lakeLayerFor(dataDir)))
    })
  )

  it.effect.prop(
    "every id the schemas accept round-trips through the lake unchanged; ill-formed ones are refused at decoding",
    { ids: Arbitrary.array(surrogateHeavyId, { minLength: 1, maxLength: 8 }) },
    ({ ids }) =>
      Effect.gen(function* () {
        const dataDir = yield* tempDataDir
        const accepted: Array<EnrichedEvent> = []
        ids.forEach((id: string, i: number) => {
          const base = syntheticEvent(i, Date.UTC(2026, 0, 8, 10), HOUR)
          const decoded = decodeEnrichedEvent({ ...base, user_id: id, session_id: `${id}-s` })
          // Refused exactly when the id is not well-formed (or breaks another Id rule: control characters).
          const wellFormedId = id.isWellFormed() && /^\P{Cc}+$/u.test(id)
          assert.strictEqual(Result.isSuccess(decoded), wellFormedId, JSON.stringify(id))
          if (Result.isSuccess(decoded)) accepted.push(decoded.success)
          else if (id.isWellFormed() === false) assert.strictEqual(decoded.failure.reason, "invalid_unicode")
        })
        if (accepted.length === 0) return
        yield* Effect.gen(function* () {
          yield* (yield* EventFileWriter).write(batchOf(accepted))
          const rows = yield* (yield* LakeReader).query(
            eventsTable,
            (r) => `SELECT user_id, session_id FROM ${r} ORDER BY kafka_offset`
          )
          assert.deepStrictEqual(
            rows.map((row) => [row.user_id, row.session_id]),
            accepted.map((event) => [event.user_id, event.session_id])
          )
        }).pipe(Effect.provide(lakeLayerFor(dataDir)))
      }),
    { arbitrary: { runs: 25 } }
  )

  it.effect(
    "NUL, line separators and surrogate-looking text survive; sub-millisecond times are truncated as epochMillis does",
    () =>
      Effect.gen(function* () {
        const dataDir = yield* tempDataDir
        const base = syntheticEvent(0, Date.UTC(2026, 0, 8, 10), HOUR)
        if (base.event_type !== "page_view") return assert.fail("syntheticEvent(0) is a page_view")
        const occurred = "2026-01-08T15:30:00.123456789+05:30"
        const event: EnrichedEvent = {
          ...base,
          occurred_at: occurred,
          context: { ...base.context, os: "a\ud83d\ude00b" },
          experiments: { "\ud83d\ude00key": "v", other: "b" },
          properties: { title: 'x\u0000y\u2028z \\ud800 "q"' }
        }
        yield* Effect.gen(function* () {
          yield* (yield* EventFileWriter).write(batchOf([event]))
          const [row] = yield* (yield* LakeReader).query(
            eventsTable,
            (r) =>
              `SELECT context_os, experiments, prop_title, properties, epoch_ms(occurred_at) AS occurred_ms FROM ${r}`
          )
          assert.strictEqual(row?.context_os, "a\ud83d\ude00b")
          assert.deepStrictEqual(JSON.parse(String(row?.experiments)), { "\ud83d\ude00key": "v", other: "b" })
          assert.strictEqual(row?.prop_title, 'x\u0000y\u2028z \\ud800 "q"')
          assert.deepStrictEqual(JSON.parse(String(row?.properties)), { title: 'x\u0000y\u2028z \\ud800 "q"' })
          assert.strictEqual(normalize(row?.occurred_ms), epochMillis(occurred))
        }).pipe(Effect.provide(lakeLayerFor(dataDir)))
      })
  )

  it.effect("an empty batch writes nothing", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      const written = yield* EventFileWriter.use((w) =>
        w.write({ topic: "events_raw", partition: 0, firstOffset: 5, lastOffset: 4, rows: [] })
      ).pipe(Effect.provide(lakeLayerFor(dataDir)))
      assert.deepStrictEqual(written, [])
      assert.deepStrictEqual(listFiles(lakeRoot(dataDir)), [])
    })
  )
})

describe("SessionFileWriter", () => {
  it.effect("closed sessions round-trip into session_date partitions", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      const start = Date.UTC(2026, 2, 1, 23, 50)
      const sessions: ReadonlyArray<SessionRow> = [
        {
          userId: "u1",
          sessionKey: `u1:${start}`,
          kafkaPartition: 0,
          startMs: start,
          endMs: start + 20 * 60_000,
          eventCount: 4,
          firstEventType: "page_view",
          lastEventType: "purchase",
          deviceType: "mobile",
          utmSource: "google",
          utmMedium: null,
          utmCampaign: null,
          isBounce: false,
          isConverted: true,
          processedAtMs: PROCESSED_AT
        },
        {
          userId: "u2",
          sessionKey: `u2:${start + HOUR}`,
          kafkaPartition: 0,
          startMs: start + HOUR,
          endMs: start + HOUR,
          eventCount: 1,
          firstEventType: "page_view",
          lastEventType: "page_view",
          deviceType: "desktop",
          utmSource: null,
          utmMedium: null,
          utmCampaign: null,
          isBounce: true,
          isConverted: false,
          processedAtMs: PROCESSED_AT
        }
      ]
      yield* Effect.gen(function* () {
        const written = yield* (yield* SessionFileWriter).write({
          topic: "events_raw",
          partition: 0,
          firstOffset: 10,
          lastOffset: 20,
          rows: sessions
        })
        assert.deepStrictEqual(
          written.map((f) => f.partition),
          ["session_date=2026-03-01", "session_date=2026-03-02"]
        )
        const rows = yield* (yield* LakeReader).query(
          sessionsTable,
          (r) =>
            `SELECT user_id, session_key, epoch_ms(session_start) AS s, epoch_ms(session_end) AS e, event_count, ` +
            `is_bounce, is_converted, utm_source, strftime(session_date, '%Y-%m-%d') AS d FROM ${r} ORDER BY user_id`
        )
        assert.deepStrictEqual(
          rows.map((r) => [
            r.user_id,
            r.session_key,
            normalize(r.s),
            normalize(r.e),
            r.event_count,
            r.is_bounce,
            r.is_converted,
            r.utm_source,
            r.d
          ]),
          [
            ["u1", `u1:${start}`, start, start + 20 * 60_000, 4, false, true, "google", "2026-03-01"],
            ["u2", `u2:${start + HOUR}`, start + HOUR, start + HOUR, 1, true, false, null, "2026-03-02"]
          ]
        )
      }).pipe(Effect.provide(lakeLayerFor(dataDir)))
    })
  )
})
