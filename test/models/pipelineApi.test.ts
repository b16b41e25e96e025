/**
 * Pipeline health (`GET /api/v1/pipeline`, src/models/pipeline/PipelineHealth.ts):
 * - the metric arithmetic on counters and gauges set by hand in a registry of its own, with the rate
 *   over a minute of 5-second samples on the test clock;
 * - a warehouse started alone over real HTTP: ingest and stream values are null with a note (this
 *   process does not run them), the last model run and test run are the run log's.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Metric } from "effect"
import { TestClock } from "effect/testing"
import { IngestMetrics } from "../../src/ingest/server/IngestMetrics.ts"
import { ConsumerMetrics } from "../../src/kafka/EventConsumer.ts"
import { WAREHOUSE_GROUP_ID } from "../../src/models/live/KpiMinuteSink.ts"
import { WarehouseMetrics } from "../../src/models/live/WarehouseMetrics.ts"
import { PipelineHealth, SAMPLE_INTERVAL_MS } from "../../src/models/pipeline/PipelineHealth.ts"
import { ModelDocs } from "../../src/models/runner/ModelDocs.ts"
import { StreamMetrics } from "../../src/stream/StreamMetrics.ts"
import { startWarehouse, type TestWarehouse } from "./fixtures.ts"

/** The run log stands empty here: the HTTP test below reads a real one. */
const noRuns = Layer.succeed(
  ModelDocs,
  ModelDocs.of({
    manifest: Effect.die("unused"),
    runs: () => Effect.succeed([]),
    runResults: () => Effect.succeed(undefined),
    testResults: () => Effect.succeed([])
  })
)

const add = <S>(metric: Metric.Metric<number, S>, n: number, attributes: Record<string, string> = {}) =>
  Metric.update(Metric.withAttributes(metric, attributes), n)

describe("PipelineHealth over this process's metrics", () => {
  it.effect("totals, lag per partition, dead letters by reason and the ingest rate over the last minute", () =>
    Effect.gen(function* () {
      const health = yield* PipelineHealth
      // Ingest: 100 events accepted, 3 refused (2 invalid_type, 1 too_large). Stream: 90 processed.
      yield* add(IngestMetrics.eventsAccepted, 100)
      yield* add(IngestMetrics.eventsRejected, 2, { reason: "invalid_type" })
      yield* add(IngestMetrics.eventsRejected, 1, { reason: "too_large" })
      yield* add(StreamMetrics.events, 90)
      yield* add(StreamMetrics.consumerLag, 7, { topic: "events_raw", partition: "0" })
      yield* add(StreamMetrics.consumerLag, 5, { topic: "events_raw", partition: "1" })
      yield* add(StreamMetrics.lateEvents, 4)
      yield* add(StreamMetrics.deadLettered, 2, { reason: "undecodable" })
      yield* add(ConsumerMetrics.consumerLag, 3, { group: WAREHOUSE_GROUP_ID, topic: "kpi_minute", partition: "0" })
      // Another group's lag is not the warehouse's.
      yield* add(ConsumerMetrics.consumerLag, 50, { group: "someone-else", topic: "kpi_minute", partition: "0" })
      yield* add(WarehouseMetrics.updatesApplied, 12)

      const first = yield* health.report
      assert.deepStrictEqual(first.roles_in_process, ["ingest", "stream", "warehouse"])
      assert.deepStrictEqual(first.ingest, {
        events_accepted_total: 100,
        // One sample (taken at start): no rate yet.
        events_per_second: null,
        events_rejected_total: 3,
        note: null
      })
      assert.deepInclude(first.stream, {
        events_processed_total: 90,
        consumer_lag: 12,
        late_events_total: 4,
        late_window_events_total: 0,
        note: null
      })
      assert.deepStrictEqual(first.stream.consumer_lag_by_partition, [
        { partition: "0", lag: 7 },
        { partition: "1", lag: 5 }
      ])
      assert.deepStrictEqual(first.dead_letters.by_reason, [
        { stage: "ingest", reason: "invalid_type", events: 2 },
        { stage: "stream", reason: "undecodable", events: 2 },
        { stage: "ingest", reason: "too_large", events: 1 }
      ])
      assert.strictEqual(first.dead_letters.total, 5)
      assert.include(first.dead_letters.replay, "dlq replay")
      assert.deepInclude(first.warehouse, { kpi_updates_applied_total: 12, kpi_minute_lag: 3 })
      assert.deepStrictEqual(first.models, { last_run: null, last_test: null })

      // 30 more events every 5 s for 80 s: the samples keep the last minute, so 30 / 5 = 6 per second;
      // the stream processes 10 per 5 s: 2 per second.
      for (let i = 0; i < 16; i++) {
        yield* add(IngestMetrics.eventsAccepted, 30)
        yield* add(StreamMetrics.events, 10)
        yield* TestClock.adjust(Duration.millis(SAMPLE_INTERVAL_MS))
      }
      const later = yield* health.report
      assert.strictEqual(later.ingest.events_accepted_total, 100 + 16 * 30)
      assert.closeTo(later.ingest.events_per_second ?? 0, 6, 1e-9)
      assert.closeTo(later.stream.events_per_second ?? 0, 2, 1e-9)
    }).pipe(
      Effect.provide(PipelineHealth.layer({ ingest: true, stream: true }).pipe(Layer.provide(noRuns))),
      Effect.provideService(Metric.MetricRegistry, new Map())
    )
  )

  it.effect("without ingest and stream in this process: their values are null and a note says why", () =>
    Effect.gen(function* () {
      yield* add(IngestMetrics.eventsAccepted, 100)
      const report = yield* Effect.flatMap(PipelineHealth, (health) => health.report)
      assert.deepStrictEqual(report.roles_in_process, ["warehouse"])
      assert.isNull(report.ingest.events_accepted_total)
      assert.isNull(report.stream.consumer_lag)
      assert.isNull(report.dead_letters.total)
      assert.include(report.ingest.note ?? "", "does not run the ingest role")
      assert.include(report.stream.note ?? "", "does not run the stream role")
      assert.include(report.dead_letters.note ?? "", "ingest")
    }).pipe(
      Effect.provide(PipelineHealth.layer({ ingest: false, stream: false }).pipe(Layer.provide(noRuns))),
      Effect.provideService(Metric.MetricRegistry, new Map())
    )
  )
})

describe("GET /api/v1/pipeline on a warehouse started alone", () => {
  let warehouse: TestWarehouse
  beforeAll(async () => {
    warehouse = await startWarehouse({ settings: { modelsInterval: Duration.zero } })
  }, 60_000)
  afterAll(() => warehouse?.close())

  const pipeline = async () => {
    const response = await fetch(`${warehouse.baseUrl}/api/v1/pipeline`)
    assert.strictEqual(response.status, 200)
    return (await response.json()) as {
      roles_in_process: Array<string>
      ingest: Record<string, unknown>
      stream: Record<string, unknown>
      dead_letters: { total: number | null; note: string | null }
      models: {
        last_run: { run: { run_id: string }; results: Array<{ model: string; duration_ms: number }> } | null
        last_test: { run: { run_id: string }; tests: Array<{ test_id: string; status: string }> } | null
      }
    }
  }

  it("says which roles it has no metrics of, and shows the last run and test run of the run log", async () => {
    const before = await pipeline()
    assert.deepStrictEqual(before.roles_in_process, ["warehouse"])
    assert.deepInclude(before.ingest, { events_accepted_total: null, events_per_second: null })
    assert.include(String(before.ingest.note), "ingest")
    assert.isNull(before.dead_letters.total)
    assert.deepStrictEqual(before.models, { last_run: null, last_test: null })

    const post = (path: string) =>
      fetch(`${warehouse.baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}"
      }).then((r) => r.json() as Promise<{ run: { run_id: string } }>)
    const run = await post("/api/v1/models/run")
    const test = await post("/api/v1/models/test")
    const after = await pipeline()
    const logged = (await (await fetch(`${warehouse.baseUrl}/api/v1/models/runs/${run.run.run_id}`)).json()) as object
    assert.deepStrictEqual(after.models.last_run, logged)
    const tests = (await (await fetch(`${warehouse.baseUrl}/api/v1/models/tests`)).json()) as { tests: Array<unknown> }
    assert.strictEqual(after.models.last_test?.run.run_id, test.run.run_id)
    assert.deepStrictEqual(after.models.last_test?.tests, tests.tests)
    assert.isAbove(after.models.last_test?.tests.length ?? 0, 0)
  }, 120_000)
})
