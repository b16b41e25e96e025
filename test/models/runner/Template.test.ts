/** The template syntax: what each construct renders to, and errors that name their line. */
import { assert, describe, it } from "@effect/vitest"
import { sqlLiteral } from "../../../src/models/runner/Model.ts"
import { parseTemplate, renderTemplate, templateNodes } from "../../../src/models/runner/Template.ts"

const context = (isIncremental: boolean) => ({
  ref: (model: string) => `"${model}"`,
  source: (source: string, name: string) => `read_parquet('${source}/${name}')`,
  this: '"me"',
  var: (name: string) => `<${name}>`,
  isIncremental,
  runStartedAt: "TIMESTAMPTZ '2026-03-01 00:00:00+00'"
})

describe("Template", () => {
  it("renders run_started_at as the run's timestamp literal", () => {
    const parsed = parseTemplate("SELECT {{ run_started_at }} AS _loaded_at, {{run_started_at}} AS again")
    assert.deepStrictEqual(parsed.problems, [])
    assert.strictEqual(
      renderTemplate(parsed.nodes, context(false)),
      "SELECT TIMESTAMPTZ '2026-03-01 00:00:00+00' AS _loaded_at, TIMESTAMPTZ '2026-03-01 00:00:00+00' AS again"
    )
  })

  it("splices macro('name'): its refs are the model's and its nodes take the call's line; an unknown macro is named", () => {
    const macro = parseTemplate(
      "picked AS (SELECT * FROM {{ ref('a') }}\n{% if is_incremental() %}WHERE t > 0{% endif %})"
    )
    assert.deepStrictEqual(macro.problems, [])
    const macros = new Map([["picked", macro.nodes]])
    const parsed = parseTemplate("WITH\n{{ macro('picked') }}\nSELECT * FROM picked", macros)
    assert.deepStrictEqual(parsed.problems, [])
    assert.strictEqual(
      renderTemplate(parsed.nodes, context(true)),
      'WITH\npicked AS (SELECT * FROM "a"\nWHERE t > 0)\nSELECT * FROM picked'
    )
    const refs = templateNodes(parsed.nodes).flatMap((n) => (n._tag === "Ref" ? [`${n.model}@${n.line}`] : []))
    assert.deepStrictEqual(refs, ["a@2"])
    assert.deepStrictEqual(parseTemplate("SELECT 1\n{{ macro('nope') }}", macros).problems, [
      { line: 2, message: "unknown macro 'nope' (known: picked)" }
    ])
    // A macro cannot call another: macros are parsed without any.
    assert.deepStrictEqual(parseTemplate("{{ macro('picked') }}").problems, [
      { line: 1, message: "unknown macro 'picked' (known: none)" }
    ])
  })

  it("renders ref, source, this and both branches of is_incremental(), nested, with comments dropped", () => {
    const text = [
      "{# header #}SELECT * FROM {{ ref('a') }} JOIN {{ref(\"b\")}} USING (id)",
      "JOIN {{ source('lake', 'events') }} e USING (id)",
      "{% if is_incremental() %}WHERE t > (SELECT max(t) FROM {{ this }}){% if not is_incremental() %}never{% endif %}",
      "{% else %}-- full{% endif %}"
    ].join("\n")
    const parsed = parseTemplate(text)
    assert.deepStrictEqual(parsed.problems, [])
    assert.strictEqual(
      renderTemplate(parsed.nodes, context(true)),
      `SELECT * FROM "a" JOIN "b" USING (id)\nJOIN read_parquet('lake/events') e USING (id)\nWHERE t > (SELECT max(t) FROM "me")\n`
    )
    assert.strictEqual(
      renderTemplate(parsed.nodes, context(false)),
      `SELECT * FROM "a" JOIN "b" USING (id)\nJOIN read_parquet('lake/events') e USING (id)\n-- full`
    )
    // Refs in either branch are dependencies.
    const refs = templateNodes(
      parseTemplate("{% if is_incremental() %}{{ ref('x') }}{% else %}{{ ref('y') }}{% endif %}").nodes
    ).flatMap((n) => (n._tag === "Ref" ? [`${n.model}@${n.line}`] : []))
    assert.deepStrictEqual(refs, ["x@1", "y@1"])
  })

  it("renders var('name') through the context, and var values as SQL literals", () => {
    const parsed = parseTemplate("SELECT {{ var('gap') }} AS g, {{var(\"steps\")}} AS s")
    assert.deepStrictEqual(parsed.problems, [])
    assert.strictEqual(renderTemplate(parsed.nodes, context(false)), "SELECT <gap> AS g, <steps> AS s")
    assert.strictEqual(sqlLiteral(1_800_000), "1800000")
    assert.strictEqual(sqlLiteral(0.5), "0.5")
    assert.strictEqual(sqlLiteral(true), "TRUE")
    assert.strictEqual(sqlLiteral("it's"), "'it''s'")
    assert.strictEqual(
      sqlLiteral([
        { name: "a", steps: ["x", "y"] },
        { name: "b", steps: [] }
      ]),
      "[{'name': 'a', 'steps': ['x', 'y']}, {'name': 'b', 'steps': []}]"
    )
  })

  it("reports every unsupported or unbalanced construct with its line", () => {
    const parsed = parseTemplate(
      [
        "SELECT 1",
        "{{ config(materialized='table') }}",
        "{% for x in y %}",
        "{% endif %}",
        "{% else %}",
        "{% if is_incremental() %}",
        "{{ ref('a') "
      ].join("\n")
    )
    assert.deepStrictEqual(parsed.problems, [
      {
        line: 2,
        message:
          "unsupported expression {{ config(materialized='table') }}: the template knows ref('model'), source('lake', 'table'), var('name'), macro('name'), this and run_started_at"
      },
      { line: 3, message: "unsupported tag {% for x in y %}: the template knows if is_incremental(), else and endif" },
      { line: 4, message: "{% endif %} without {% if %}" },
      { line: 5, message: "{% else %} without {% if %}" },
      { line: 6, message: "{% if %} without {% endif %}" },
      { line: 7, message: "unclosed {{" }
    ])
  })
})
