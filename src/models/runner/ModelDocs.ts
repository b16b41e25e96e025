/**
 * The docs of the model project: a manifest of every model (raw and compiled SQL, columns with their
 * descriptions and tests, lineage both ways, the last build and the latest test results) and of every
 * source (columns, freshness rule and latest check). `models docs` prints it and `GET /api/v1/models`
 * serves it; the run log (runs, one run's results, test results) is read through here too.
 *
 * The compiled SQL shows a source as a glob over its lake folder, runnable by hand; in a run the source
 * is the list of live files (LakeReader), which a glob can differ from while a compaction commits.
 *
 * The manifest's Schemas are the API contract's (api/ModelManifest.ts), which the browser client carries.
 */
import * as path from "node:path"
import { Clock, Context, Effect, Layer } from "effect"
import type { SqlError } from "effect/sql"
import { Settings } from "../../domain/Settings.ts"
import { tableRoot } from "../../lake/LakeLayout.ts"
import { quoteString } from "../../sql/DuckDbCompiler.ts"
import type { ModelDoc, ModelManifest, SourceDoc } from "../api/ModelManifest.ts"
import { dataTestsOf, genericTestId, singularTestId } from "./DataTests.ts"
import { compileModel } from "./Materialize.ts"
import { ModelProject } from "./Project.ts"
import type { ModelResult, ModelRun, TestResult } from "./Results.ts"
import { RunStore, type RunStoreError } from "./RunStore.ts"
import { sourceId } from "./Source.ts"

export type ModelDocsError = SqlError.SqlError | RunStoreError

export interface ModelDocsShape {
  readonly manifest: Effect.Effect<ModelManifest, ModelDocsError>
  /** The latest runs and test runs, newest first. */
  readonly runs: (limit: number) => Effect.Effect<ReadonlyArray<ModelRun>, ModelDocsError>
  /** One run's model results; undefined when there is no such run. */
  readonly runResults: (
    runId: string
  ) => Effect.Effect<
    { readonly run: ModelRun; readonly results: ReadonlyArray<ModelResult> } | undefined,
    ModelDocsError
  >
  /** A test run's results (the latest test run's when no id is given). */
  readonly testResults: (runId?: string) => Effect.Effect<ReadonlyArray<TestResult>, ModelDocsError>
}

export class ModelDocs extends Context.Service<ModelDocs, ModelDocsShape>()("launchpad/models/ModelDocs") {
  static readonly layer = Layer.effect(
    ModelDocs,
    Effect.gen(function* () {
      const project = yield* ModelProject
      const store = yield* RunStore
      const { dataDir } = yield* Settings

      const shown = (id: string): string => {
        const source = project.sources.get(id)
        if (source === undefined) return id
        const glob = path.join(tableRoot(dataDir, source.table), "**", "*.parquet")
        return `read_parquet(${quoteString(glob)}, hive_partitioning = true, union_by_name = true)`
      }

      const manifest = Effect.gen(function* () {
        const lastRuns = new Map((yield* store.latestModelResults).map((r) => [r.model, r]))
        const tests = yield* store.latestTestResults
        // The compiled SQL as a run starting now would send it.
        const now = new Date(yield* Clock.currentTimeMillis)
        const freshness = new Map((yield* store.latestFreshness).map((f) => [f.source, f]))
        const models = project.order.flatMap((name): ReadonlyArray<ModelDoc> => {
          const node = project.models.get(name)
          if (node === undefined) return []
          const declaration = node.declaration
          const testIds = new Set(dataTestsOf(node).map((t) => t.testId))
          return [
            {
              name,
              layer: node.layer,
              materialized: declaration.materialized,
              uniqueKey: declaration.materialized === "incremental" ? declaration.uniqueKey : null,
              description: declaration.description,
              file: node.file,
              rawSql: node.rawSql,
              compiledSql: compileModel(node, shown, false, now),
              compiledIncrementalSql:
                declaration.materialized === "incremental" ? compileModel(node, shown, true, now) : null,
              columns: Object.entries(declaration.columns).map(([column, spec]) => ({
                name: column,
                description: spec.description,
                tests: (spec.tests ?? []).map((test) => {
                  const testId = genericTestId(name, column, test)
                  switch (test.type) {
                    case "accepted_values":
                      return { testId, type: test.type, severity: test.severity, values: test.values }
                    case "relationships":
                      return { testId, type: test.type, severity: test.severity, to: test.to, field: test.field }
                    default:
                      return { testId, type: test.type, severity: test.severity }
                  }
                })
              })),
              singularTests: node.tests.map((test) => ({
                testId: singularTestId(name, test.name),
                name: test.name,
                description: test.description ?? null,
                severity: test.severity,
                sql: test.sql
              })),
              parents: node.parents,
              sources: node.sources,
              children: node.children,
              lastRun: lastRuns.get(name) ?? null,
              tests: tests.filter((t) => testIds.has(t.testId))
            }
          ]
        })
        const sources = [...project.sources.values()].map(
          (source): SourceDoc => ({
            id: sourceId(source),
            description: source.description,
            location: path.join("lake", source.table.name),
            loadedAtField: source.loadedAtField,
            warnAfterMs: source.freshness.warnAfterMs,
            errorAfterMs: source.freshness.errorAfterMs,
            columns: source.table.columns.map((c) => ({ name: c.name, type: c.duckdbType })),
            children: models.filter((m) => m.sources.includes(sourceId(source))).map((m) => m.name),
            freshness: freshness.get(sourceId(source)) ?? null
          })
        )
        return { generatedAt: new Date(yield* Clock.currentTimeMillis), models, sources }
      })

      const runResults = (runId: string) =>
        Effect.gen(function* () {
          const run = yield* store.run(runId)
          if (run === undefined) return undefined
          return { run, results: yield* store.modelResults(runId) }
        })

      return ModelDocs.of({ manifest, runs: store.runs, runResults, testResults: store.testResults })
    })
  )
}
