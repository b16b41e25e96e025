/**
 * What runs, tests and freshness checks report, as Schemas: the runner returns these, the run store
 * (RunStore.ts) writes and reads them back, and the query API can serve them as they are. Encoded
 * (in JSON and in the run tables), keys are snake_case.
 */
import { Schema } from "effect"
import { snakeCaseKeys } from "../../domain/SnakeCase.ts"
import { LAYERS, MATERIALIZATIONS } from "./Model.ts"

const Time = Schema.NullOr(Schema.Date)
const Count = Schema.NullOr(Schema.Number)

export const ModelStatus = Schema.Literals(["success", "error", "skipped"])
export type ModelStatus = typeof ModelStatus.Type

/** One model in one run. */
export const modelResultFields = {
  runId: Schema.String,
  model: Schema.String,
  layer: Schema.Literals(LAYERS),
  materialized: Schema.Literals(MATERIALIZATIONS),
  status: ModelStatus,
  /** The build ran `is_incremental()` true (delete+insert into the existing table). */
  incremental: Schema.Boolean,
  startedAt: Time,
  finishedAt: Time,
  durationMs: Count,
  /** Rows of the table after the build; null for views (not materialized) and failed or skipped models. */
  rows: Count,
  /** Rows this build wrote: the whole table, or the rows an incremental build inserted. */
  rowsAffected: Count,
  /** The error, why the model was skipped, or a note (e.g. a column change forced a full rebuild). */
  message: Schema.NullOr(Schema.String)
}
export const ModelResult = snakeCaseKeys(Schema.Struct(modelResultFields))
export type ModelResult = typeof ModelResult.Type

export const RunCommand = Schema.Literals(["run", "test"])
export const RunStatus = Schema.Literals(["running", "success", "error", "cancelled"])
export type RunStatus = typeof RunStatus.Type

/** One `models run` or `models test`. */
export const modelRunFields = {
  runId: Schema.String,
  command: RunCommand,
  selector: Schema.NullOr(Schema.String),
  fullRefresh: Schema.Boolean,
  /** `error`: a model failed (run), or a test or freshness check errored (test). */
  status: RunStatus,
  startedAt: Schema.Date,
  finishedAt: Time,
  durationMs: Count,
  succeeded: Schema.Number,
  failed: Schema.Number,
  skipped: Schema.Number
}
export const ModelRun = snakeCaseKeys(Schema.Struct(modelRunFields))
export type ModelRun = typeof ModelRun.Type

export const TestType = Schema.Literals(["unique", "not_null", "accepted_values", "relationships", "singular"])
export const TestStatus = Schema.Literals(["pass", "fail", "warn", "error"])
export type TestStatus = typeof TestStatus.Type

/** One data test in one `models test`. */
export const testResultFields = {
  runId: Schema.String,
  /** `not_null.stg_events.event_id`, `singular.stg_events.<name>`, … */
  testId: Schema.String,
  model: Schema.String,
  column: Schema.NullOr(Schema.String),
  type: TestType,
  severity: Schema.Literals(["error", "warn"]),
  /** `fail` (severity error) or `warn` (severity warn) when rows fail; `error` when the test could not run. */
  status: TestStatus,
  failures: Count,
  /** Up to the requested number of failing rows, as JSON-safe objects. */
  failingRows: Schema.Array(Schema.Record(Schema.String, Schema.Unknown)),
  /** The test's SQL, as run. */
  sql: Schema.String,
  message: Schema.NullOr(Schema.String),
  durationMs: Schema.Number
}
export const TestResult = snakeCaseKeys(Schema.Struct(testResultFields))
export type TestResult = typeof TestResult.Type

export const FreshnessStatus = Schema.Literals(["pass", "warn", "error"])

/** The freshness of one source at one check. */
export const freshnessResultFields = {
  runId: Schema.String,
  source: Schema.String,
  loadedAtField: Schema.String,
  /** The newest `loadedAtField` value; null when the source has no rows. */
  maxLoadedAt: Time,
  checkedAt: Schema.Date,
  ageMs: Count,
  warnAfterMs: Schema.Number,
  errorAfterMs: Schema.Number,
  /** `warn` also when the source has no rows yet (a new install), `error` when it cannot be read. */
  status: FreshnessStatus,
  message: Schema.NullOr(Schema.String)
}
export const FreshnessResult = snakeCaseKeys(Schema.Struct(freshnessResultFields))
export type FreshnessResult = typeof FreshnessResult.Type

/** What `ModelRunner.run` returns. */
export interface RunReport {
  readonly run: ModelRun
  readonly results: ReadonlyArray<ModelResult>
}

/** What `ModelRunner.test` returns; `ok` is false when a test failed or errored or a source is stale. */
export interface TestReport {
  readonly run: ModelRun
  readonly ok: boolean
  readonly tests: ReadonlyArray<TestResult>
  readonly freshness: ReadonlyArray<FreshnessResult>
}
