/**
 * Runs the model DAG and its data tests against the warehouse (`DuckDbClient`) over the lake
 * (`LakeReader`), logging every run in the run store.
 *
 * - `run({ select, fullRefresh })`: the selected models (Selector.ts) in topological order, independent
 *   ones concurrently (at most `concurrency` builds at once). A model that fails marks every selected
 *   descendant `skipped`, with the failed model named in its message; the others still run. Per-model
 *   failures are results, not failures of the effect, which fails only when the selection is invalid,
 *   another run is in progress, or the run log cannot be written.
 * - `test({ select, failingRows })`: every data test of the selected models (DataTests.ts) and the
 *   freshness of every source they (or their ancestors) read; `ok` is false when a test fails or errors
 *   or a source is stale past its error threshold.
 * - `freshness`: the freshness of every source, not logged.
 *
 * **Runs never overlap**: one `run` or `test` at a time per process. A second request while one is in
 * progress is refused at once with `ModelRunBusy` (naming the run in progress and when it started),
 * rather than queued: a caller (the scheduler, `POST /api/v1/models/run`) decides whether to retry.
 */
import { randomUUID } from "node:crypto"
import { Clock, Context, Deferred, Effect, Exit, Layer, Ref, Schema, Semaphore } from "effect"
import type { SqlError } from "effect/sql"
import { LakeReader } from "../../lake/LakeReader.ts"
import { DuckDbClient } from "../../sql/DuckDbClient.ts"
import { type DataTest, dataTestsOf } from "./DataTests.ts"
import { checkFreshness } from "./Freshness.ts"
import { build } from "./Materialize.ts"
import { ModelProject, type ModelProjectShape } from "./Project.ts"
import type { FreshnessResult, ModelResult, ModelRun, RunReport, TestReport, TestResult } from "./Results.ts"
import { RunStore } from "./RunStore.ts"
import { type ModelSelectionError, selectModels } from "./Selector.ts"

export class ModelRunBusy extends Schema.TaggedError<ModelRunBusy>()("ModelRunBusy", {
  message: Schema.String,
  runId: Schema.String,
  startedAt: Schema.Date
}) {}

export interface RunOptions {
  /** Selector (Selector.ts); every model when absent. */
  readonly select?: string | undefined
  /** Rebuild incremental models from scratch (`is_incremental()` false). */
  readonly fullRefresh?: boolean | undefined
}

export interface TestRunOptions {
  readonly select?: string | undefined
  /** Failing rows kept per test (default: the runner's `failingRows`). */
  readonly failingRows?: number | undefined
}

export interface ModelRunnerConfig {
  /** Models built at once (default 4). */
  readonly concurrency?: number
  /** Failing rows kept per test (default 10). */
  readonly failingRows?: number
}

export type ModelRunError = ModelRunBusy | ModelSelectionError | SqlError.SqlError

export interface ModelRunnerShape {
  readonly run: (options?: RunOptions) => Effect.Effect<RunReport, ModelRunError>
  readonly test: (options?: TestRunOptions) => Effect.Effect<TestReport, ModelRunError>
  /** Every source's freshness now, not logged (its `runId` is empty). */
  readonly freshness: Effect.Effect<ReadonlyArray<FreshnessResult>>
}

/** JSON-safe copies of failing rows (dates as ISO text, bigints as text, bytes as arrays). */
const jsonSafe = (row: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key,
      JSON.parse(
        JSON.stringify(value, (_, v: unknown) =>
          typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? [...v] : v
        ) ?? "null"
      )
    ])
  )

/** Models whose sources the given models, or their ancestors, read. */
const sourcesUnder = (project: ModelProjectShape, models: ReadonlyArray<string>): ReadonlyArray<string> => {
  const seen = new Set<string>()
  const sources = new Set<string>()
  const queue = [...models]
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    if (seen.has(name)) continue
    seen.add(name)
    const node = project.models.get(name)
    for (const source of node?.sources ?? []) sources.add(source)
    queue.push(...(node?.parents ?? []))
  }
  return [...sources].sort()
}

const make = (config: ModelRunnerConfig) =>
  Effect.gen(function* () {
    const duck = yield* DuckDbClient
    const reader = yield* LakeReader
    const project = yield* ModelProject
    const store = yield* RunStore
    const lock = yield* Semaphore.make(1)
    const current = yield* Ref.make<{ readonly runId: string; readonly startedAt: Date } | undefined>(undefined)
    const builds = yield* Semaphore.make(Math.max(1, config.concurrency ?? 4))
    const defaultFailingRows = config.failingRows ?? 10

    /** Runs `body` as the process's only run, logged from start to end (cancelled if interrupted). */
    const exclusive = <A>(
      command: "run" | "test",
      selector: string | undefined,
      fullRefresh: boolean,
      body: (
        runId: string,
        startedAt: Date
      ) => Effect.Effect<{ readonly value: A; readonly run: (base: ModelRun) => ModelRun }, ModelRunError>
    ): Effect.Effect<{ readonly value: A; readonly run: ModelRun }, ModelRunError> => {
      const refuse = Effect.flatMap(Ref.get(current), (busy) =>
        Effect.fail(
          new ModelRunBusy({
            message: `a model ${command} cannot start: run ${busy?.runId ?? "?"} is in progress since ${busy?.startedAt.toISOString() ?? "?"}`,
            runId: busy?.runId ?? "",
            startedAt: busy?.startedAt ?? new Date(0)
          })
        )
      )
      const logged = Effect.gen(function* () {
        const runId = randomUUID()
        // Strictly after the previous run's start even if the clock stepped back: models stamp the rows
        // they write with it ({{ run_started_at }}) and their children read what is newer than their own.
        const previous = yield* store.latestStart
        const startedAt = new Date(Math.max(yield* Clock.currentTimeMillis, (previous?.getTime() ?? 0) + 1))
        yield* Ref.set(current, { runId, startedAt })
        const base: ModelRun = {
          runId,
          command,
          selector: selector ?? null,
          fullRefresh,
          status: "running",
          startedAt,
          finishedAt: null,
          durationMs: null,
          succeeded: 0,
          failed: 0,
          skipped: 0
        }
        yield* store.startRun(base)
        const finish = (run: ModelRun) =>
          Effect.gen(function* () {
            const end = yield* Clock.currentTimeMillis
            const finished = { ...run, finishedAt: new Date(end), durationMs: end - startedAt.getTime() }
            yield* store.finishRun(finished)
            return finished
          })
        return yield* body(runId, startedAt).pipe(
          Effect.onExit((exit) => {
            if (Exit.isSuccess(exit)) return Effect.void
            const cancelled = exit.cause.reasons.some((r) => r._tag === "Interrupt")
            return Effect.ignore(finish({ ...base, status: cancelled ? "cancelled" : "error" }))
          }),
          Effect.flatMap(({ value, run }) => Effect.map(finish(run(base)), (finished) => ({ value, run: finished })))
        )
      })
      // Taking the lock and arranging its release happen together: an interruption cannot leak it.
      return Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(lock.takeIfAvailable(1), (taken) =>
          taken
            ? restore(logged).pipe(Effect.ensuring(Effect.andThen(Ref.set(current, undefined), lock.release(1))))
            : refuse
        )
      )
    }

    const buildOne = (runId: string, runStartedAt: Date, name: string, fullRefresh: boolean) =>
      Effect.gen(function* () {
        const node = project.models.get(name)
        if (node === undefined) return yield* Effect.die(`model ${name} vanished from the project`)
        const started = yield* Clock.currentTimeMillis
        const exit = yield* Effect.exit(build(duck, reader, project, node, fullRefresh, runStartedAt))
        const finished = yield* Clock.currentTimeMillis
        const common = {
          runId,
          model: name,
          layer: node.layer,
          materialized: node.declaration.materialized,
          startedAt: new Date(started),
          finishedAt: new Date(finished),
          durationMs: finished - started
        }
        return Exit.isSuccess(exit)
          ? ({ ...common, status: "success", ...exit.value } satisfies ModelResult)
          : ({
              ...common,
              status: "error",
              incremental: false,
              rows: null,
              rowsAffected: null,
              message: exit.cause.reasons
                .map((r) => (r._tag === "Fail" ? r.error.message : r._tag === "Die" ? String(r.defect) : "interrupted"))
                .join("; ")
            } satisfies ModelResult)
      })

    const run = (options: RunOptions = {}) => {
      const fullRefresh = options.fullRefresh ?? false
      return Effect.gen(function* () {
        const selected = yield* selectModels(project, options.select)
        return yield* exclusive("run", options.select, fullRefresh, (runId, runStartedAt) =>
          Effect.gen(function* () {
            const inRun = new Set(selected)
            /** Per model: undefined when it succeeded, else the failed model that stops its descendants. */
            const outcomes = new Map<string, Deferred.Deferred<string | undefined>>()
            for (const name of selected) outcomes.set(name, yield* Deferred.make<string | undefined>())
            const results = yield* Effect.forEach(
              selected,
              (name, position) =>
                Effect.gen(function* () {
                  const node = project.models.get(name)
                  const parents = (node?.parents ?? []).filter((p) => inRun.has(p))
                  const blocked = yield* Effect.forEach(parents, (p) => {
                    const outcome = outcomes.get(p)
                    return outcome === undefined ? Effect.succeed(undefined) : Deferred.await(outcome)
                  })
                  const failedUpstream = blocked.find((b) => b !== undefined)
                  const result: ModelResult =
                    failedUpstream !== undefined && node !== undefined
                      ? {
                          runId,
                          model: name,
                          layer: node.layer,
                          materialized: node.declaration.materialized,
                          status: "skipped",
                          incremental: false,
                          startedAt: null,
                          finishedAt: null,
                          durationMs: null,
                          rows: null,
                          rowsAffected: null,
                          message: `skipped: upstream model ${failedUpstream} failed`
                        }
                      : yield* builds.withPermit(buildOne(runId, runStartedAt, name, fullRefresh))
                  yield* store.recordModel(result, position)
                  const outcome = outcomes.get(name)
                  if (outcome !== undefined) {
                    yield* Deferred.succeed(
                      outcome,
                      result.status === "success" ? undefined : result.status === "error" ? name : failedUpstream
                    )
                  }
                  if (result.status === "error")
                    yield* Effect.logWarning(`model ${name} failed: ${result.message ?? ""}`)
                  return result
                }),
              { concurrency: "unbounded" }
            )
            const count = (status: ModelResult["status"]) => results.filter((r) => r.status === status).length
            return {
              value: results,
              run: (base: ModelRun): ModelRun => ({
                ...base,
                status: count("error") > 0 ? "error" : "success",
                succeeded: count("success"),
                failed: count("error"),
                skipped: count("skipped")
              })
            }
          })
        ).pipe(Effect.map(({ value, run }): RunReport => ({ run, results: value })))
      })
    }

    const runTest = (test: DataTest, runId: string, limit: number) =>
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const exit = yield* Effect.exit(
          Effect.all([
            duck.unsafe<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM (${test.sql})`),
            duck.unsafe<Record<string, unknown>>(`SELECT * FROM (${test.sql}) LIMIT ${Math.max(0, Math.trunc(limit))}`)
          ])
        )
        const durationMs = (yield* Clock.currentTimeMillis) - started
        const common = {
          runId,
          testId: test.testId,
          model: test.model,
          column: test.column,
          type: test.type,
          severity: test.severity,
          sql: test.sql,
          durationMs
        }
        if (Exit.isFailure(exit)) {
          const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
          return {
            ...common,
            status: "error",
            failures: null,
            failingRows: [],
            message: reason?._tag === "Fail" ? reason.error.message : "the test could not run"
          } satisfies TestResult
        }
        const [[counted], rows] = exit.value
        const failures = counted?.n ?? 0
        return {
          ...common,
          status: failures === 0 ? "pass" : test.severity === "warn" ? "warn" : "fail",
          failures,
          failingRows: rows.map(jsonSafe),
          message: failures === 0 ? null : `${failures} failing row(s)`
        } satisfies TestResult
      })

    const freshnessOf = (runId: string, sources: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        return yield* Effect.forEach(sources, (id) => {
          const source = project.sources.get(id)
          return source === undefined
            ? Effect.succeed([])
            : Effect.map(checkFreshness(duck, reader, source, runId, now), (r) => [r])
        }).pipe(Effect.map((nested) => nested.flat()))
      })

    const test = (options: TestRunOptions = {}) =>
      Effect.gen(function* () {
        const selected = yield* selectModels(project, options.select)
        const limit = options.failingRows ?? defaultFailingRows
        return yield* exclusive("test", options.select, false, (runId) =>
          Effect.gen(function* () {
            const built = new Set(
              (yield* duck<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
                WHERE table_schema = 'main'`).map((r) => r.name)
            )
            const tests = selected.flatMap((name) => {
              const node = project.models.get(name)
              return node === undefined ? [] : dataTestsOf(node)
            })
            const results = yield* Effect.forEach(
              tests,
              (t) =>
                built.has(t.model)
                  ? builds.withPermit(runTest(t, runId, limit))
                  : Effect.succeed<TestResult>({
                      runId,
                      testId: t.testId,
                      model: t.model,
                      column: t.column,
                      type: t.type,
                      severity: t.severity,
                      status: "error",
                      failures: null,
                      failingRows: [],
                      sql: t.sql,
                      message: `model ${t.model} has not been built (run it first)`,
                      durationMs: 0
                    }),
              { concurrency: "unbounded" }
            )
            const freshness = yield* freshnessOf(runId, sourcesUnder(project, selected))
            yield* store.recordTests(results)
            yield* store.recordFreshness(freshness)
            const failed = results.filter((r) => r.status === "fail" || r.status === "error").length
            const stale = freshness.filter((f) => f.status === "error").length
            return {
              value: { tests: results, freshness, ok: failed === 0 && stale === 0 },
              run: (base: ModelRun): ModelRun => ({
                ...base,
                status: failed + stale > 0 ? "error" : "success",
                succeeded: results.length - failed,
                failed,
                skipped: 0
              })
            }
          })
        ).pipe(Effect.map(({ value, run }): TestReport => ({ ...value, run })))
      })

    const freshness = Effect.suspend(() => freshnessOf("", [...project.sources.keys()].sort()))

    return ModelRunner.of({ run, test, freshness })
  })

export class ModelRunner extends Context.Service<ModelRunner, ModelRunnerShape>()("launchpad/models/ModelRunner") {
  static readonly layerWith = (config: ModelRunnerConfig) => Layer.effect(ModelRunner, make(config))
  static readonly layer = ModelRunner.layerWith({})
}
