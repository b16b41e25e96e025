/**
 * The model layer's endpoints: the manifest (every model with its SQL, columns, lineage, last run and
 * tests), the run log, test results, and running models or tests on demand. The warehouse process
 * owns `warehouse.duckdb`, so `launchpad models run|test` go through these when it runs.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { DecimalInt } from "../../domain/QueryParams.ts"
import { FreshnessResult, ModelResult, ModelRun, TestResult } from "../runner/Results.ts"
import { ModelManifest } from "./ModelManifest.ts"
import { InvalidRequest, NotFound, RunInProgress, WarehouseUnavailable } from "./WarehouseErrors.ts"

export const RunRequest = Schema.Struct({
  select: Schema.optionalKey(
    Schema.String.annotate({
      description:
        "models or layers to run, dbt syntax: `fct_funnel`, `marts`, `+fct_funnel` (ancestors), `stg_events+`"
    })
  ),
  full_refresh: Schema.optionalKey(Schema.Boolean.annotate({ description: "rebuild incremental models from scratch" }))
}).annotate({ title: "RunRequest" })

export const TestRequest = Schema.Struct({
  select: Schema.optionalKey(Schema.String.annotate({ description: "as for a run" })),
  failing_rows: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1000 })).annotate({
      description: "failing rows kept per test (default 10)"
    })
  )
}).annotate({ title: "TestRequest" })

export const RunReportJson = Schema.Struct({ run: ModelRun, results: Schema.Array(ModelResult) }).annotate({
  title: "RunReport"
})

export const TestReportJson = Schema.Struct({
  run: ModelRun,
  ok: Schema.Boolean.annotate({ description: "false when a test failed or errored or a source is stale" }),
  tests: Schema.Array(TestResult),
  freshness: Schema.Array(FreshnessResult)
}).annotate({ title: "TestReport" })

export class ModelsApi extends HttpApiGroup.make("models")
  .add(
    HttpApiEndpoint.get("manifest", "/api/v1/models", {
      success: ModelManifest,
      error: WarehouseUnavailable
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Every model: SQL (raw and compiled), columns, lineage, last run, rows and data-test results"
      })
    ),
    HttpApiEndpoint.get("runs", "/api/v1/models/runs", {
      query: { limit: Schema.optional(DecimalInt("limit", 1, 500)) },
      success: Schema.Struct({ runs: Schema.Array(ModelRun) }),
      error: WarehouseUnavailable
    }).annotateMerge(OpenApi.annotations({ summary: "The latest runs and test runs, newest first (default 20)" })),
    HttpApiEndpoint.get("run", "/api/v1/models/runs/:id", {
      params: { id: Schema.String },
      success: RunReportJson,
      error: [NotFound, WarehouseUnavailable]
    }).annotateMerge(OpenApi.annotations({ summary: "One run with its per-model timings, rows and status" })),
    HttpApiEndpoint.get("tests", "/api/v1/models/tests", {
      query: { run_id: Schema.optional(Schema.String) },
      success: Schema.Struct({ tests: Schema.Array(TestResult) }),
      error: WarehouseUnavailable
    }).annotateMerge(OpenApi.annotations({ summary: "Data-test results of a test run (the latest by default)" })),
    HttpApiEndpoint.post("runModels", "/api/v1/models/run", {
      payload: RunRequest,
      success: RunReportJson,
      error: [InvalidRequest, RunInProgress, WarehouseUnavailable]
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Run models now (incremental unless full_refresh); 409 while another run or test is in progress"
      })
    ),
    HttpApiEndpoint.post("testModels", "/api/v1/models/test", {
      payload: TestRequest,
      success: TestReportJson,
      error: [InvalidRequest, RunInProgress, WarehouseUnavailable]
    }).annotateMerge(OpenApi.annotations({ summary: "Run the data tests and source freshness checks now" }))
  )
  .annotateMerge(
    OpenApi.annotations({ title: "Models", description: "The SQL model DAG: manifest, lineage, runs and data tests" })
  ) {}
