/**
 * The registry of src/models/sql: every SQL file has its declaration and the reverse, the project loads,
 * event types written in model SQL exist in the catalog, and the declarations agree with the domain
 * and lake definitions they describe.
 */
import { readdirSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, SchemaAST } from "effect"
import { EVENT_TYPES, PurchaseItem } from "../../../src/domain/Catalog.ts"
import { FUNNEL_BREAKDOWNS, MART_FUNNELS, MAX_FUNNEL_STEPS } from "../../../src/domain/Funnels.ts"
import { sessionsTable } from "../../../src/lake/LakeTable.ts"
import { LAYERS } from "../../../src/models/runner/Model.ts"
import { loadProject } from "../../../src/models/runner/Project.ts"
import { modelDeclarations, modelsDirectory } from "../../../src/models/sql/index.ts"
import stgSessions from "../../../src/models/sql/staging/stg_sessions.ts"
import { realProject } from "./fixtures.ts"

const filesIn = (extension: string) =>
  LAYERS.flatMap((layer) =>
    readdirSync(path.join(modelsDirectory, layer))
      .filter((file) => file.endsWith(extension))
      .map((file) => `${layer}/${file.slice(0, -extension.length)}`)
  ).sort()

/**
 * Quoted literals compared with an `event_type` column: `event_type = 'x'`, `<> 'x'`, `!= 'x'` and
 * `event_type [NOT] IN ('x', 'y')` (any qualifier before it, e.g. `e.event_type`).
 */
const eventTypeLiterals = (template: string): ReadonlyArray<string> => {
  // Template expressions (var('name'), ref('model')) and comments are not SQL literals.
  const sql = template.replaceAll(/\{\{[\s\S]*?\}\}|\{#[\s\S]*?#\}/g, "NULL")
  const found: Array<string> = []
  for (const m of sql.matchAll(/\bevent_type\s*(?:=|<>|!=)\s*'([^']*)'/gi)) found.push(m[1] ?? "")
  for (const m of sql.matchAll(/'([^']*)'\s*(?:=|<>|!=)\s*(?:\w+\.)?event_type\b/gi)) found.push(m[1] ?? "")
  for (const m of sql.matchAll(/\bevent_type\s+(?:NOT\s+)?IN\s*\(([^)]*)\)/gi)) {
    for (const q of (m[1] ?? "").matchAll(/'([^']*)'/g)) found.push(q[1] ?? "")
  }
  return found
}

describe("model registry", () => {
  it("lists every model: each .sql has a .ts declaration beside it, each declaration is registered, and the reverse", () => {
    const registered = modelDeclarations.map((d) => `${d.layer}/${d.name}`).sort()
    assert.deepStrictEqual(filesIn(".sql"), registered)
    assert.deepStrictEqual(filesIn(".ts"), registered)
  })

  it.effect("the project loads without problems, the identity map and the events at the root", () =>
    Effect.gen(function* () {
      const project = yield* loadProject(realProject)
      assert.deepStrictEqual(project.order.slice(0, 4), [
        "stg_events_deduplicated",
        "stg_identities",
        "stg_events",
        "stg_sessions"
      ])
      assert.deepStrictEqual(project.models.get("stg_events_deduplicated")?.sources, ["lake.events"])
      assert.deepStrictEqual(project.models.get("stg_events")?.parents, ["stg_events_deduplicated", "stg_identities"])
      assert.deepStrictEqual(project.models.get("stg_sessions")?.sources, ["lake.sessions"])
      assert.deepStrictEqual(project.models.get("fct_daily_activity")?.parents, ["int_user_days"])
      // Only staging reads the lake.
      for (const node of project.models.values()) {
        if (node.layer !== "staging") assert.deepStrictEqual(node.sources, [], node.name)
      }
    })
  )

  it("every event type written in a model's SQL or data tests is in the catalog", () => {
    const catalog = new Set<string>(EVENT_TYPES)
    const literals = modelDeclarations.flatMap((declaration) => {
      const sql = readFileSync(path.join(modelsDirectory, declaration.layer, `${declaration.name}.sql`), "utf8")
      const tests = (declaration.tests ?? []).map((t) => t.sql).join("\n")
      return eventTypeLiterals(`${sql}\n${tests}`).map((literal) => ({ model: declaration.name, literal }))
    })
    assert.isAbove(literals.length, 5, "the scan finds the literals the models use")
    assert.deepStrictEqual(
      literals.filter((l) => !catalog.has(l.literal)),
      []
    )
  })

  it("the literal scan finds every form of comparison", () => {
    assert.deepStrictEqual(
      eventTypeLiterals(
        "WHERE e.event_type = 'purchse' OR event_type<>'a' OR 'b' = x.event_type OR event_type NOT IN ('c', 'd') " +
          "OR first_event_type = 'not_scanned' OR event_type IN (SELECT unnest({{ var('not_a_literal') }}))"
      ),
      ["purchse", "a", "b", "c", "d"]
    )
  })

  it("stg_sessions describes every lake/sessions column but the partition", () => {
    assert.deepStrictEqual(Object.keys(stgSessions.columns).sort(), sessionsTable.columns.map((c) => c.name).sort())
  })

  it("stg_events_deduplicated types purchase items with the catalog's item fields", () => {
    const ast = SchemaAST.toType(PurchaseItem.ast)
    const fields = SchemaAST.isObjects(ast) ? ast.propertySignatures.map((p) => String(p.name)) : []
    const sql = readFileSync(path.join(modelsDirectory, "staging", "stg_events_deduplicated.sql"), "utf8")
    const struct = /STRUCT\(([^)]*)\)\[\]/.exec(sql)?.[1] ?? ""
    assert.deepStrictEqual(
      struct.split(",").map((f) => f.trim().split(/\s+/)[0]),
      fields
    )
  })

  it("the mart funnels fit the funnel rules: 2 to MAX steps, distinct event types (unordered mode needs them)", () => {
    for (const funnel of MART_FUNNELS) {
      const types = funnel.steps.map((s) => s.eventType)
      assert.isAtLeast(types.length, 2)
      assert.isAtMost(types.length, MAX_FUNNEL_STEPS)
      assert.strictEqual(new Set(types).size, types.length, funnel.funnel)
    }
    assert.deepStrictEqual([...FUNNEL_BREAKDOWNS], ["none", "device_type", "utm_source"])
  })
})
