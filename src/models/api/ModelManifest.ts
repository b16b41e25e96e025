/**
 * The manifest `GET /api/v1/models` serves, as Schemas that import nothing but Schemas, so the typed
 * client (and the browser bundle of the dashboard) can carry the contract without the model runner.
 * `runner/ModelDocs.ts` builds the manifest with them and `launchpad models docs` writes it.
 */
import { Schema } from "effect"
import { snakeCaseKeys } from "../../domain/SnakeCase.ts"
import { LAYERS, MATERIALIZATIONS } from "../runner/Model.ts"
import { FreshnessResult, ModelResult, TestResult } from "../runner/Results.ts"

export const ColumnTestDoc = snakeCaseKeys(
  Schema.Struct({
    testId: Schema.String,
    type: Schema.Literals(["unique", "not_null", "accepted_values", "relationships"]),
    severity: Schema.Literals(["error", "warn"]),
    values: Schema.optionalKey(Schema.Array(Schema.Union([Schema.String, Schema.Number, Schema.Boolean]))),
    to: Schema.optionalKey(Schema.String),
    field: Schema.optionalKey(Schema.String)
  })
)

export const ModelDoc = snakeCaseKeys(
  Schema.Struct({
    name: Schema.String,
    layer: Schema.Literals(LAYERS),
    materialized: Schema.Literals(MATERIALIZATIONS),
    uniqueKey: Schema.NullOr(Schema.Array(Schema.String)),
    description: Schema.String,
    /** The SQL file, relative to the working directory. */
    file: Schema.String,
    rawSql: Schema.String,
    /** As a full build runs it (`is_incremental()` false). */
    compiledSql: Schema.String,
    /** As an incremental build runs it; null unless the model is incremental. */
    compiledIncrementalSql: Schema.NullOr(Schema.String),
    columns: Schema.Array(
      Schema.Struct({ name: Schema.String, description: Schema.String, tests: Schema.Array(ColumnTestDoc) })
    ),
    singularTests: Schema.Array(
      snakeCaseKeys(
        Schema.Struct({
          testId: Schema.String,
          name: Schema.String,
          description: Schema.NullOr(Schema.String),
          severity: Schema.Literals(["error", "warn"]),
          sql: Schema.String
        })
      )
    ),
    /** Lineage: the models it refs, the sources it reads, the models that ref it. */
    parents: Schema.Array(Schema.String),
    sources: Schema.Array(Schema.String),
    children: Schema.Array(Schema.String),
    /** Its latest build (not skipped), or null if it never ran. */
    lastRun: Schema.NullOr(ModelResult),
    /** The latest result of each of its tests. */
    tests: Schema.Array(TestResult)
  })
)
export type ModelDoc = typeof ModelDoc.Type

export const SourceDoc = snakeCaseKeys(
  Schema.Struct({
    id: Schema.String,
    description: Schema.String,
    /** The lake table's folder, e.g. `lake/events`. */
    location: Schema.String,
    loadedAtField: Schema.String,
    warnAfterMs: Schema.Number,
    errorAfterMs: Schema.Number,
    columns: Schema.Array(Schema.Struct({ name: Schema.String, type: Schema.String })),
    /** The models that read it. */
    children: Schema.Array(Schema.String),
    freshness: Schema.NullOr(FreshnessResult)
  })
)
export type SourceDoc = typeof SourceDoc.Type

export const ModelManifest = snakeCaseKeys(
  Schema.Struct({
    generatedAt: Schema.Date,
    models: Schema.Array(ModelDoc),
    sources: Schema.Array(SourceDoc)
  })
)
export type ModelManifest = typeof ModelManifest.Type
