/**
 * The model project and its DAG: problems named with file and line, cycles named in order, the
 * topological order, and `--select` with dbt's graph operators.
 */
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { loadProject, type ModelProjectError } from "../../../src/models/runner/Project.ts"
import { selectModels } from "../../../src/models/runner/Selector.ts"
import { model, tempDataDir, writeProject } from "./fixtures.ts"

const problemsOf = (exit: Exit.Exit<unknown, ModelProjectError>): ReadonlyArray<string> => {
  if (Exit.isSuccess(exit)) return assert.fail("the project loaded")
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  return failure?._tag === "Fail" ? failure.error.problems : assert.fail(String(exit.cause))
}

/** Paths as problems show them: relative to the working directory when inside it, else absolute. */
const shown = (dir: string, file: string) => {
  const relative = path.relative(process.cwd(), path.join(dir, file))
  return relative.startsWith("..") ? path.join(dir, file) : relative
}

describe("model project", () => {
  it.effect("a cycle is an error that names it in data-flow order, with its files", () =>
    Effect.gen(function* () {
      const dir = yield* tempDataDir
      const project = writeProject(dir, [
        { declaration: model("stg_a", "staging"), sql: "SELECT 1 AS x" },
        { declaration: model("int_b", "intermediate"), sql: "SELECT * FROM {{ ref('int_c') }}" },
        { declaration: model("int_c", "intermediate"), sql: "SELECT * FROM {{ ref('fct_d') }}" },
        {
          declaration: model("fct_d", "marts"),
          sql: "SELECT * FROM {{ ref('int_b') }} JOIN {{ ref('stg_a') }} USING (x)"
        }
      ])
      const problems = problemsOf(yield* Effect.exit(loadProject(project)))
      assert.deepStrictEqual(problems, [
        `cycle: fct_d → int_c → int_b → fct_d (${shown(dir, "marts/fct_d.sql")}, ${shown(dir, "intermediate/int_c.sql")}, ${shown(dir, "intermediate/int_b.sql")})`
      ])
    })
  )

  it.effect(
    "an unknown ref, a source outside staging, a view over a source and file mismatches name file and line",
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDataDir
        const project = writeProject(dir, [
          { declaration: model("stg_view", "staging", "view"), sql: "SELECT *\nFROM {{ source('lake', 'events') }}" },
          { declaration: model("stg_ok", "staging"), sql: "SELECT * FROM {{ source('lake', 'sessions') }}" },
          {
            declaration: model("int_x", "intermediate"),
            sql: "SELECT *\nFROM {{ ref('stg_ok') }}\nJOIN {{ ref('stg_nope') }} USING (id)\nJOIN {{ source('lake', 'events') }} USING (id)"
          },
          { declaration: model("fct_y", "marts"), sql: "SELECT * FROM {{ source('lake', 'orders') }} {% for %}" }
        ])
        writeFileSync(path.join(dir, "marts", "fct_stray.sql"), "SELECT 1")
        const missing = model("fct_missing", "marts")
        const badName = { ...model("Bad-Name", "marts"), description: " " }
        const incremental = { ...model("fct_inc", "marts"), materialized: "incremental" as const, uniqueKey: [] }
        const problems = problemsOf(
          yield* Effect.exit(loadProject({ ...project, models: [...project.models, missing, badName, incremental] }))
        )
        assert.deepStrictEqual(problems, [
          `${shown(dir, "marts/Bad-Name.ts")}: the name must match [a-z][a-z0-9_]*`,
          `${shown(dir, "marts/Bad-Name.ts")}: a description is required`,
          `${shown(dir, "marts/fct_inc.ts")}: an incremental model needs a uniqueKey`,
          `${shown(dir, "marts/fct_stray.sql")}: no model declaration for this file (add fct_stray.ts beside it and list it in the registry)`,
          `${shown(dir, "staging/stg_view.sql")}:2: staging model stg_view reads a source but is a view: a view would freeze the lake's files of the moment it was built (make it a table or incremental)`,
          `${shown(dir, "intermediate/int_x.sql")}:3: ref('stg_nope') names no model`,
          `${shown(dir, "intermediate/int_x.sql")}:4: source('lake', 'events') in intermediate model int_x: only staging models may read a source`,
          `${shown(dir, "marts/fct_y.sql")}:1: unsupported tag {% for %}: the template knows if is_incremental(), else and endif`,
          `${shown(dir, "marts/fct_y.sql")}:1: source('lake', 'orders') is not a source (known: lake.events, lake.sessions)`,
          `${shown(dir, "marts/fct_missing.sql")}: missing (model fct_missing is declared but has no SQL file)`,
          `${shown(dir, "marts/Bad-Name.sql")}: missing (model Bad-Name is declared but has no SQL file)`,
          `${shown(dir, "marts/fct_inc.sql")}: missing (model fct_inc is declared but has no SQL file)`
        ])
      })
  )
})

describe("vars", () => {
  it.effect(
    "an unknown var in the SQL or a test, a bad var name and a non-finite number are named; known vars render",
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDataDir
        const withVars = {
          ...model("fct_v", "marts", "table", {
            tests: [{ name: "t", sql: "SELECT * FROM {{ this }} WHERE g > {{ var('gap') }} OR h = {{ var('nope') }}" }]
          }),
          vars: { gap: 30, "Bad-Var": 1, ratio: Number.NaN, steps: [["a"], [Number.POSITIVE_INFINITY]] }
        }
        const project = writeProject(dir, [
          { declaration: withVars, sql: "SELECT {{ var('gap') }} AS g,\n{{ var('missing') }} AS h" },
          {
            declaration: { ...model("fct_w", "marts"), vars: { steps: ["a", "b"] } },
            sql: "SELECT {{ var('steps') }} AS s"
          }
        ])
        const problems = problemsOf(yield* Effect.exit(loadProject(project)))
        assert.deepStrictEqual(problems, [
          `${shown(dir, "marts/fct_v.ts")}: var name Bad-Var must match [a-z][a-z0-9_]*`,
          `${shown(dir, "marts/fct_v.ts")}: var ratio must be a finite number`,
          `${shown(dir, "marts/fct_v.ts")}: var steps[1][0] must be a finite number`,
          `${shown(dir, "marts/fct_v.sql")}:2: var('missing') is not in the declaration's vars (known: gap, Bad-Var, ratio, steps)`,
          `${shown(dir, "marts/fct_v.ts")} test t:1: var('nope') is not in the declaration's vars (known: gap, Bad-Var, ratio, steps)`
        ])
        const fine = yield* loadProject({ ...project, models: project.models.filter((m) => m.name === "fct_w") }).pipe(
          Effect.exit
        )
        // fct_v.sql is still on disk, so the smaller project names it as undeclared; fct_w itself is fine.
        assert.deepStrictEqual(problemsOf(fine), [
          `${shown(dir, "marts/fct_v.sql")}: no model declaration for this file (add fct_v.ts beside it and list it in the registry)`
        ])
      })
  )
})

describe("--select", () => {
  const graph = Effect.gen(function* () {
    const dir = yield* tempDataDir
    return yield* loadProject(
      writeProject(dir, [
        { declaration: model("fct_y", "marts"), sql: "SELECT * FROM {{ ref('int_c') }}, {{ ref('int_ab') }}" },
        { declaration: model("stg_b", "staging"), sql: "SELECT 2 AS x" },
        { declaration: model("int_ab", "intermediate"), sql: "SELECT * FROM {{ ref('stg_a') }}, {{ ref('stg_b') }}" },
        { declaration: model("stg_a", "staging"), sql: "SELECT 1 AS x" },
        { declaration: model("int_c", "intermediate"), sql: "SELECT * FROM {{ ref('stg_b') }}" },
        { declaration: model("fct_x", "marts"), sql: "SELECT * FROM {{ ref('int_ab') }}" }
      ])
    )
  })

  it.effect(
    "orders parents first (ties by layer, then name) and selects names, layers, ancestors and descendants",
    () =>
      Effect.gen(function* () {
        const project = yield* graph
        assert.deepStrictEqual(project.order, ["stg_a", "stg_b", "int_ab", "int_c", "fct_x", "fct_y"])
        assert.deepStrictEqual(project.models.get("stg_b")?.children, ["int_ab", "int_c"])
        const select = (selector: string | undefined) => selectModels(project, selector)
        assert.deepStrictEqual(yield* select(undefined), project.order)
        assert.deepStrictEqual(yield* select(" "), project.order)
        assert.deepStrictEqual(yield* select("fct_x"), ["fct_x"])
        assert.deepStrictEqual(yield* select("+fct_x"), ["stg_a", "stg_b", "int_ab", "fct_x"])
        assert.deepStrictEqual(yield* select("stg_b+"), ["stg_b", "int_ab", "int_c", "fct_x", "fct_y"])
        assert.deepStrictEqual(yield* select("+int_c+"), ["stg_b", "int_c", "fct_y"])
        assert.deepStrictEqual(yield* select("marts"), ["fct_x", "fct_y"])
        assert.deepStrictEqual(yield* select("+intermediate"), ["stg_a", "stg_b", "int_ab", "int_c"])
        assert.deepStrictEqual(yield* select("stg_a, int_c fct_x"), ["stg_a", "int_c", "fct_x"])
      })
  )

  it.effect("a term that is no model or layer, or not a selector, is an error naming it", () =>
    Effect.gen(function* () {
      const project = yield* graph
      const message = (selector: string) =>
        Effect.flip(selectModels(project, selector)).pipe(Effect.map((error) => error.message))
      assert.strictEqual(
        yield* message("fct_x fct_nope"),
        '"fct_nope": fct_nope is neither a model nor a layer (staging, intermediate, marts)'
      )
      assert.strictEqual(
        yield* message("++fct_x"),
        '"++fct_x" is not a selector: use a model or layer name, with + before (ancestors) or after (descendants)'
      )
      assert.strictEqual(
        yield* message("tag:x"),
        '"tag:x" is not a selector: use a model or layer name, with + before (ancestors) or after (descendants)'
      )
    })
  )
})
