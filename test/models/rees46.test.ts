/**
 * Real data through the whole pipeline: the REES46 sample (17,434 recorded shop events, see
 * fixtures/rees46-2019-10-01-head.ATTRIBUTION.md) is mapped to catalog events (src/sim/Rees46.ts),
 * posted to the ingest HTTP API in file order, produced to the embedded broker, processed by the stream
 * processor into the Parquet lake, and modelled. Orders, revenue, DAU and sessions from the marts must
 * equal an independent computation over the raw CSV with DuckDB's read_csv, in this test.
 *
 * events_raw has one partition, so the processor reads events in the order they were posted (the file
 * is sorted by time): none is late, which the test checks, so the stream and the models sessionize the
 * same events. A last event a day later (user watermark-sentinel) moves the watermark past every session
 * of the sample, so the stream closes them all.
 */

import * as fs from "node:fs"
import * as path from "node:path"
import { gunzipSync } from "node:zlib"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { SqlClient } from "effect/sql"
import { decodeEvent } from "../../src/domain/EventCodec.ts"
import { ModelRunner } from "../../src/models/runner/ModelRunner.ts"
import { parseRees46Csv, REES46_USER_PREFIX, rees46Event } from "../../src/sim/Rees46.ts"
import { startIngest } from "../ingest/fixtures.ts"
import { removeTempDirs, startProcessor, tempDir, waitCommitted, waitFor } from "../stream/fixtures/pipeline.ts"
import { runnerLayer } from "./runner/fixtures.ts"

const CSV = path.join(import.meta.dirname, "fixtures", "rees46-2019-10-01-head.csv.gz")
const SENTINEL = "watermark-sentinel"

afterAll(removeTempDirs)

/** The independent computation: the raw CSV, read by DuckDB, nothing of Launchpad's. */
const rawCsv = `read_csv('${CSV}', header = true, columns = {
  'event_time': 'VARCHAR', 'event_type': 'VARCHAR', 'product_id': 'VARCHAR', 'category_id': 'VARCHAR',
  'category_code': 'VARCHAR', 'brand': 'VARCHAR', 'price': 'DECIMAL(18, 2)', 'user_id': 'VARCHAR',
  'user_session': 'VARCHAR'})`

describe("REES46 mapping", () => {
  const header = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
  it("maps each row type to a catalog event ingest accepts, with ids derived from source and line", () => {
    const csv = [
      header,
      "2019-10-01 00:00:01 UTC,view,17200506,2053013559792632471,,,543.10,519107250,566511c2-e2e3-422b-b695-cf8e6e792ca8",
      "2019-10-01 00:00:02 UTC,cart,1307067,2053013558920217191,computers.notebook,lenovo,251.74,550050854,7c90fc70",
      "2019-10-01 00:00:03 UTC,purchase,1307067,2053013558920217191,computers.notebook,lenovo,251.74,550050854,7c90fc70",
      "2019-10-01 00:00:04 UTC,remove_from_cart,1307067,2053013558920217191,,,251.74,550050854,7c90fc70",
      ""
    ].join("\n")
    const records = Result.getOrThrow(parseRees46Csv(csv))
    const events = records.map((r) => rees46Event("sample", r))
    for (const e of events) assert.isTrue(Result.isSuccess(decodeEvent(e)), JSON.stringify(e))
    assert.deepStrictEqual(
      events.map((e): ReadonlyArray<unknown> => [e.event_type, e.user_id, e.session_id, e.occurred_at, e.properties]),
      [
        [
          "product_viewed",
          "rees46-519107250",
          "566511c2-e2e3-422b-b695-cf8e6e792ca8",
          "2019-10-01T00:00:01.000Z",
          { product_id: "17200506", category: "category-2053013559792632471", price: 543.1, currency: "USD" }
        ],
        [
          "add_to_cart",
          "rees46-550050854",
          "7c90fc70",
          "2019-10-01T00:00:02.000Z",
          { cart_id: "cart-7c90fc70", product_id: "1307067", quantity: 1, unit_price: 251.74, currency: "USD" }
        ],
        [
          "purchase",
          "rees46-550050854",
          "7c90fc70",
          "2019-10-01T00:00:03.000Z",
          {
            order_id: "sample:4",
            revenue: 251.74,
            currency: "USD",
            items: [{ product_id: "1307067", quantity: 1, unit_price: 251.74 }]
          }
        ],
        [
          "remove_from_cart",
          "rees46-550050854",
          "7c90fc70",
          "2019-10-01T00:00:04.000Z",
          { cart_id: "cart-7c90fc70", product_id: "1307067", quantity: 1 }
        ]
      ]
    )
    // Same source and line, same id; another line or source, another id.
    const [first] = records
    if (first === undefined) return assert.fail("no record")
    assert.strictEqual(rees46Event("sample", first).event_id, events[0]?.event_id)
    assert.notStrictEqual(rees46Event("other", first).event_id, events[0]?.event_id)
    assert.strictEqual(new Set(events.map((e) => e.event_id)).size, 4)
  })

  it("a row that is not REES46's format is refused with its line", () => {
    const refused = (csv: string) => {
      const parsed = parseRees46Csv(csv)
      return Result.isFailure(parsed) ? [parsed.failure.line, parsed.failure.message] : assert.fail("parsed")
    }
    assert.deepStrictEqual(refused("a,b\n"), [1, `expected the header ${header}`])
    assert.deepStrictEqual(refused(`${header}\n2019-10-01 00:00:01 UTC,view,1,2,,,1.00,3\n`), [
      2,
      "expected 9 fields, found 8"
    ])
    const [line, message] = refused(`${header}\n2019-10-01 00:00:01 UTC,click,1,2,,,1.00,3,s\n`)
    assert.strictEqual(line, 2)
    assert.include(String(message), "event_type")
  })
})

describe("REES46 sample through the pipeline", () => {
  it("orders, revenue, DAU and sessions equal a computation over the raw CSV", { timeout: 240_000 }, async () => {
    const records = Result.getOrThrow(parseRees46Csv(gunzipSync(fs.readFileSync(CSV)).toString("utf8")))
    assert.strictEqual(records.length, 17_434)
    const events = records.map((record) => rees46Event("rees46-2019-10-01-head", record))
    const dataDir = tempDir("rees46")
    const ingest = await startIngest({ partitions: 1 })
    const processor = await startProcessor({
      brokers: ingest.broker().brokers,
      dataDir,
      groupId: "rees46-replay",
      partitionsSetting: 1
    })
    try {
      await waitFor("ingest readiness", async () => (await fetch(`${ingest.baseUrl}/health/ready`)).ok, 30_000)
      const post = async (batch: ReadonlyArray<unknown>) => {
        const answer = await fetch(`${ingest.baseUrl}/api/v1/events/batch`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ events: batch })
        })
        const body = (await answer.json()) as { accepted: number; rejected: number }
        assert.deepStrictEqual([answer.status, body.accepted, body.rejected], [200, batch.length, 0])
      }
      for (let i = 0; i < events.length; i += 500) await post(events.slice(i, i + 500))
      await post([
        {
          event_id: "00000000-0000-4000-8000-000000000001",
          event_type: "page_view",
          schema_version: 1,
          user_id: SENTINEL,
          session_id: SENTINEL,
          occurred_at: "2019-10-02T00:00:00.000Z",
          context: { device_type: "desktop" },
          properties: {}
        }
      ])
      await waitCommitted(ingest.kafka, [processor], 120_000)
    } finally {
      await processor.close()
      await ingest.close()
    }

    await Effect.runPromise(
      Effect.gen(function* () {
        const runner = yield* ModelRunner
        const run = yield* runner.run()
        assert.deepStrictEqual(
          run.results.filter((r) => r.status !== "success").map((r) => `${r.model}: ${r.message}`),
          []
        )
        const sql = yield* SqlClient.SqlClient
        const one = <A>(text: string) => Effect.map(sql.unsafe<{ v: A }>(text), ([row]) => row?.v)
        const count = (text: string) => Effect.map(one<number>(text), (v) => v ?? Number.NaN)

        // Every row arrived once, none late (one partition, posted in time order).
        assert.strictEqual(yield* one<number>("SELECT count(*)::INTEGER AS v FROM stg_events"), 17_434 + 1)
        assert.strictEqual(
          yield* one<number>("SELECT count(*) FILTER (WHERE is_late)::INTEGER AS v FROM stg_events"),
          0
        )

        // Orders: one per purchase row. Revenue: the sum of their prices (USD, exact to the cent).
        const csvOrders = yield* one<number>(
          `SELECT count(*)::INTEGER AS v FROM ${rawCsv} WHERE event_type = 'purchase'`
        )
        const csvRevenue = yield* one<number>(
          `SELECT sum(price)::DOUBLE AS v FROM ${rawCsv} WHERE event_type = 'purchase'`
        )
        assert.strictEqual(csvOrders, 214)
        assert.deepStrictEqual(
          yield* sql.unsafe(
            "SELECT currency, sum(orders)::INTEGER AS orders, round(sum(revenue), 2) AS revenue FROM fct_revenue GROUP BY 1"
          ),
          [{ currency: "USD", orders: csvOrders, revenue: csvRevenue }]
        )

        // DAU of 2019-10-01: distinct users of the file.
        const csvUsers = yield* count(`SELECT count(DISTINCT user_id)::INTEGER AS v FROM ${rawCsv}`)
        assert.strictEqual(csvUsers, 4_504)
        assert.strictEqual(
          yield* one<number>(
            "SELECT dau AS v FROM fct_daily_engagement WHERE event_date = DATE '2019-10-01' AND device_type = 'all'"
          ),
          csvUsers
        )

        // Sessions by the 30-minute rule, per user in time order, computed from the CSV alone. The file
        // spans under 3 hours, so the 24-hour cap cannot apply (checked).
        assert.isBelow(
          (yield* one<number>(
            `SELECT epoch(max(strptime(event_time, '%Y-%m-%d %H:%M:%S UTC')) - min(strptime(event_time, '%Y-%m-%d %H:%M:%S UTC'))) AS v FROM ${rawCsv}`
          )) ?? Number.NaN,
          24 * 3600
        )
        const csvSessions = yield* one<number>(`
          WITH timed AS (
            SELECT user_id, strptime(event_time, '%Y-%m-%d %H:%M:%S UTC') AS t FROM ${rawCsv}
          ), marked AS (
            SELECT CASE WHEN t - lag(t) OVER (PARTITION BY user_id ORDER BY t) <= INTERVAL 30 MINUTE THEN 0 ELSE 1 END AS starts
            FROM timed
          )
          SELECT sum(starts)::INTEGER AS v FROM marked`)
        assert.isAbove(csvSessions ?? 0, csvUsers)
        // The stream's sessions (lake/sessions; the sentinel's own session is still open) and the models'.
        assert.strictEqual(yield* one<number>("SELECT count(*)::INTEGER AS v FROM stg_sessions"), csvSessions)
        assert.strictEqual(
          yield* one<number>(`SELECT count(*)::INTEGER AS v FROM int_sessions WHERE user_id <> '${SENTINEL}'`),
          csvSessions
        )
        assert.strictEqual(
          yield* one<number>(
            "SELECT sessions AS v FROM fct_daily_engagement WHERE event_date = DATE '2019-10-01' AND device_type = 'all'"
          ),
          csvSessions
        )
        // The client's own session ids (user_session) survive the trip.
        assert.strictEqual(
          yield* one<number>(
            `SELECT count(DISTINCT session_id)::INTEGER AS v FROM stg_events WHERE user_id LIKE '${REES46_USER_PREFIX}%'`
          ),
          yield* one<number>(`SELECT count(DISTINCT user_session)::INTEGER AS v FROM ${rawCsv}`)
        )
        // And the models' tests pass on real data, batch = stream included.
        const tested = yield* runner.test()
        assert.deepStrictEqual(
          tested.tests.filter((t) => t.status !== "pass").map((t) => `${t.testId}: ${t.message}`),
          []
        )
      }).pipe(Effect.provide(runnerLayer(dataDir)), Effect.scoped)
    )
  })
})
