/**
 * The manifest contract the API and its browser client use (src/models/api/ModelManifest.ts) is the
 * one `runner/ModelDocs.ts` builds and `models docs` writes: same JSON Schema, same encoding of a
 * manifest. (ModelDocs declares its own copy until it imports the contract's; this holds them equal.)
 */
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { ModelManifest as ApiManifest } from "../../src/models/api/ModelManifest.ts"
import { ModelManifest as RunnerManifest } from "../../src/models/runner/ModelDocs.ts"

const manifest: typeof RunnerManifest.Type = {
  generatedAt: new Date("2026-11-02T10:00:00Z"),
  models: [
    {
      name: "fct_funnel",
      layer: "marts",
      materialized: "table",
      uniqueKey: null,
      description: "funnel",
      file: "src/models/sql/marts/fct_funnel.sql",
      rawSql: "select 1",
      compiledSql: "select 1",
      compiledIncrementalSql: null,
      columns: [
        {
          name: "users",
          description: "users",
          tests: [{ testId: "not_null.fct_funnel.users", type: "not_null", severity: "error" }]
        }
      ],
      singularTests: [],
      parents: ["int_funnel_steps"],
      sources: [],
      children: [],
      lastRun: null,
      tests: []
    }
  ],
  sources: []
}

describe("the manifest contract", () => {
  it("has the runner's JSON Schema", () => {
    assert.deepStrictEqual(Schema.toJsonSchemaDocument(ApiManifest), Schema.toJsonSchemaDocument(RunnerManifest))
  })

  it("encodes a manifest as the runner does (snake_case keys)", () => {
    const api = Schema.encodeSync(ApiManifest)(manifest)
    assert.deepStrictEqual(api, Schema.encodeSync(RunnerManifest)(manifest))
    assert.property(api.models[0], "compiled_incremental_sql")
  })
})
