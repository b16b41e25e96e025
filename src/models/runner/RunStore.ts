/**
 * The run log in the warehouse database, read by the docs and the query API:
 *
 * - `_launchpad_model_runs`: one row per `models run` / `models test` (status, timing, counts);
 * - `_launchpad_model_run_results`: one row per model per run (status, timing, rows, message);
 * - `_launchpad_test_results`: one row per data test per test run (failures, up to N failing rows as JSON);
 * - `_launchpad_source_freshness`: one row per source per test run.
 *
 * A run's row is written when it starts (`running`) and updated when it ends, so an interrupted run
 * shows as `cancelled` and a crashed one stays `running` with no end.
 */
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { snakeCaseKeys } from "../../domain/SnakeCase.ts"
import {
  FreshnessResult,
  ModelResult,
  ModelRun,
  type ModelRun as ModelRunType,
  type TestResult,
  testResultFields
} from "./Results.ts"

const ddl = [
  `CREATE TABLE IF NOT EXISTS _launchpad_model_runs (
    run_id VARCHAR PRIMARY KEY,
    command VARCHAR NOT NULL,
    selector VARCHAR,
    full_refresh BOOLEAN NOT NULL,
    status VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    duration_ms DOUBLE,
    succeeded INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    skipped INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS _launchpad_model_run_results (
    run_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    model VARCHAR NOT NULL,
    layer VARCHAR NOT NULL,
    materialized VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    incremental BOOLEAN NOT NULL,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    duration_ms DOUBLE,
    row_count BIGINT,
    rows_affected BIGINT,
    message VARCHAR,
    PRIMARY KEY (run_id, model)
  )`,
  `CREATE TABLE IF NOT EXISTS _launchpad_test_results (
    run_id VARCHAR NOT NULL,
    test_id VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    column_name VARCHAR,
    test_type VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    failures BIGINT,
    failing_rows VARCHAR NOT NULL,
    sql VARCHAR NOT NULL,
    message VARCHAR,
    duration_ms DOUBLE NOT NULL,
    PRIMARY KEY (run_id, test_id)
  )`,
  `CREATE TABLE IF NOT EXISTS _launchpad_source_freshness (
    run_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    loaded_at_field VARCHAR NOT NULL,
    max_loaded_at TIMESTAMPTZ,
    checked_at TIMESTAMPTZ NOT NULL,
    age_ms DOUBLE,
    warn_after_ms DOUBLE NOT NULL,
    error_after_ms DOUBLE NOT NULL,
    status VARCHAR NOT NULL,
    message VARCHAR,
    PRIMARY KEY (run_id, source)
  )`
]

// The tables' columns are the results' encoded (snake_case) keys, except where SQL needs another name.
const runColumns = `run_id, command, selector, full_refresh, status, started_at, finished_at, duration_ms,
  succeeded, failed, skipped`

const resultColumns = `run_id, model, layer, materialized, status, incremental, started_at, finished_at,
  duration_ms, row_count AS "rows", rows_affected, message`

const testColumns = `run_id, test_id, model, column_name AS "column", test_type AS "type", severity, status,
  failures, failing_rows, sql, message, duration_ms`

const freshnessColumns = `run_id, source, loaded_at_field, max_loaded_at, checked_at, age_ms, warn_after_ms,
  error_after_ms, status, message`

/** Stored failing rows are JSON text; decoded back into objects. */
const StoredTestResult = snakeCaseKeys(
  Schema.Struct({
    ...testResultFields,
    failingRows: Schema.fromJsonString(testResultFields.failingRows)
  })
)

export class RunStoreError extends Schema.TaggedError<RunStoreError>()("RunStoreError", {
  message: Schema.String
}) {}

const decodeAll =
  <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, what: string) =>
  (rows: ReadonlyArray<unknown>) =>
    Schema.decodeUnknownEffect(Schema.Array(schema))(rows).pipe(
      Effect.mapError((error) => new RunStoreError({ message: `${what}: stored rows do not decode: ${error.message}` }))
    )

export interface RunStoreShape {
  readonly startRun: (run: ModelRunType) => Effect.Effect<void, SqlError.SqlError>
  readonly finishRun: (run: ModelRunType) => Effect.Effect<void, SqlError.SqlError>
  /** When the latest run started (undefined before the first). */
  readonly latestStart: Effect.Effect<Date | undefined, SqlError.SqlError>
  /** Records a model's result; `position` is its place in the run's execution order. */
  readonly recordModel: (result: ModelResult, position: number) => Effect.Effect<void, SqlError.SqlError>
  readonly recordTests: (results: ReadonlyArray<TestResult>) => Effect.Effect<void, SqlError.SqlError>
  readonly recordFreshness: (results: ReadonlyArray<FreshnessResult>) => Effect.Effect<void, SqlError.SqlError>
  /** The latest runs, newest first. */
  readonly runs: (limit: number) => Effect.Effect<ReadonlyArray<ModelRunType>, SqlError.SqlError | RunStoreError>
  readonly run: (runId: string) => Effect.Effect<ModelRunType | undefined, SqlError.SqlError | RunStoreError>
  /** A run's model results, in execution order. */
  readonly modelResults: (runId: string) => Effect.Effect<ReadonlyArray<ModelResult>, SqlError.SqlError | RunStoreError>
  /** Per model, its result in the latest run that built it (not skipped). */
  readonly latestModelResults: Effect.Effect<ReadonlyArray<ModelResult>, SqlError.SqlError | RunStoreError>
  /** A test run's results; the latest test run's when no id is given. */
  readonly testResults: (runId?: string) => Effect.Effect<ReadonlyArray<TestResult>, SqlError.SqlError | RunStoreError>
  /** Per test id, its latest result. */
  readonly latestTestResults: Effect.Effect<ReadonlyArray<TestResult>, SqlError.SqlError | RunStoreError>
  /** Per source, its latest freshness check. */
  readonly latestFreshness: Effect.Effect<ReadonlyArray<FreshnessResult>, SqlError.SqlError | RunStoreError>
}

const jsonText = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))

export class RunStore extends Context.Service<RunStore, RunStoreShape>()("launchpad/models/RunStore") {
  /** Creates the tables if missing. */
  static readonly layer: Layer.Layer<RunStore, SqlError.SqlError, SqlClient.SqlClient> = Layer.effect(
    RunStore,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql.withTransaction(Effect.forEach(ddl, (statement) => sql.unsafe(statement), { discard: true }))

      const startRun = (run: ModelRunType) =>
        sql`INSERT INTO _launchpad_model_runs VALUES (${run.runId}, ${run.command}, ${run.selector},
          ${run.fullRefresh}, ${run.status}, ${run.startedAt}, ${run.finishedAt}, ${run.durationMs},
          ${run.succeeded}, ${run.failed}, ${run.skipped})`.pipe(Effect.asVoid)

      const finishRun = (run: ModelRunType) =>
        sql`UPDATE _launchpad_model_runs SET status = ${run.status}, finished_at = ${run.finishedAt},
          duration_ms = ${run.durationMs}, succeeded = ${run.succeeded}, failed = ${run.failed},
          skipped = ${run.skipped} WHERE run_id = ${run.runId}`.pipe(Effect.asVoid)

      const latestStart = Effect.map(
        sql<{ readonly ms: number | null }>`SELECT epoch_ms(max(started_at)) AS ms FROM _launchpad_model_runs`,
        ([row]) => (row?.ms === null || row?.ms === undefined ? undefined : new Date(row.ms))
      )

      const recordModel = (r: ModelResult, position: number) =>
        sql`INSERT INTO _launchpad_model_run_results VALUES (${r.runId}, ${position}, ${r.model}, ${r.layer}, ${r.materialized},
          ${r.status}, ${r.incremental}, ${r.startedAt}, ${r.finishedAt}, ${r.durationMs}, ${r.rows},
          ${r.rowsAffected}, ${r.message})`.pipe(Effect.asVoid)

      const recordTests = (results: ReadonlyArray<TestResult>) =>
        Effect.forEach(
          results,
          (t) =>
            sql`INSERT INTO _launchpad_test_results VALUES (${t.runId}, ${t.testId}, ${t.model}, ${t.column}, ${t.type},
              ${t.severity}, ${t.status}, ${t.failures}, ${jsonText(t.failingRows)}, ${t.sql}, ${t.message},
              ${t.durationMs})`,
          { discard: true }
        )

      const recordFreshness = (results: ReadonlyArray<FreshnessResult>) =>
        Effect.forEach(
          results,
          (f) =>
            sql`INSERT INTO _launchpad_source_freshness VALUES (${f.runId}, ${f.source}, ${f.loadedAtField},
              ${f.maxLoadedAt}, ${f.checkedAt}, ${f.ageMs}, ${f.warnAfterMs}, ${f.errorAfterMs}, ${f.status},
              ${f.message})`,
          { discard: true }
        )

      const runs = (limit: number) =>
        Effect.flatMap(
          sql.unsafe(`SELECT ${runColumns} FROM _launchpad_model_runs ORDER BY started_at DESC, run_id LIMIT $1`, [
            limit
          ]),
          decodeAll(ModelRun, "runs")
        )

      const run = (runId: string) =>
        Effect.map(
          Effect.flatMap(
            sql.unsafe(`SELECT ${runColumns} FROM _launchpad_model_runs WHERE run_id = $1`, [runId]),
            decodeAll(ModelRun, "run")
          ),
          (rows) => rows[0]
        )

      const modelResults = (runId: string) =>
        Effect.flatMap(
          sql.unsafe(`SELECT ${resultColumns} FROM _launchpad_model_run_results WHERE run_id = $1 ORDER BY position`, [
            runId
          ]),
          decodeAll(ModelResult, "model results")
        )

      const latestModelResults = Effect.flatMap(
        sql.unsafe(`SELECT ${resultColumns} FROM _launchpad_model_run_results WHERE status <> 'skipped'
          QUALIFY row_number() OVER (PARTITION BY model ORDER BY started_at DESC, run_id DESC) = 1 ORDER BY model`),
        decodeAll(ModelResult, "latest model results")
      )

      const testResults = (runId?: string) =>
        Effect.flatMap(
          runId === undefined
            ? sql.unsafe(`SELECT ${testColumns} FROM _launchpad_test_results
                WHERE run_id = (SELECT run_id FROM _launchpad_model_runs WHERE command = 'test'
                  ORDER BY started_at DESC, run_id DESC LIMIT 1)
                ORDER BY test_id`)
            : sql.unsafe(`SELECT ${testColumns} FROM _launchpad_test_results WHERE run_id = $1 ORDER BY test_id`, [
                runId
              ]),
          decodeAll(StoredTestResult, "test results")
        )

      const latestTestResults = Effect.flatMap(
        sql.unsafe(`SELECT ${testColumns} FROM (
            SELECT t.* FROM _launchpad_test_results t JOIN _launchpad_model_runs r USING (run_id)
            QUALIFY row_number() OVER (PARTITION BY t.test_id ORDER BY r.started_at DESC, r.run_id DESC) = 1
          ) ORDER BY test_id`),
        decodeAll(StoredTestResult, "latest test results")
      )

      const latestFreshness = Effect.flatMap(
        sql.unsafe(`SELECT ${freshnessColumns} FROM _launchpad_source_freshness
          QUALIFY row_number() OVER (PARTITION BY source ORDER BY checked_at DESC, run_id DESC) = 1 ORDER BY source`),
        decodeAll(FreshnessResult, "freshness")
      )

      return RunStore.of({
        startRun,
        finishRun,
        latestStart,
        recordModel,
        recordTests,
        recordFreshness,
        runs,
        run,
        modelResults,
        latestModelResults,
        testResults,
        latestTestResults,
        latestFreshness
      })
    })
  )
}
