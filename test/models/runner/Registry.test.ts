/** The registry of src/models/sql: every SQL file has its declaration and the reverse, and the project loads. */
import { readdirSync } from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { LAYERS } from "../../../src/models/runner/Model.ts"
import { loadProject } from "../../../src/models/runner/Project.ts"
import { modelDeclarations, modelsDirectory } from "../../../src/models/sql/index.ts"
import { realProject } from "./fixtures.ts"

const filesIn = (extension: string) =>
  LAYERS.flatMap((layer) =>
    readdirSync(path.join(modelsDirectory, layer))
      .filter((file) => file.endsWith(extension))
      .map((file) => `${layer}/${file.slice(0, -extension.length)}`)
  ).sort()

describe("model registry", () => {
  it("lists every model: each .sql has a .ts declaration beside it, each declaration is registered, and the reverse", () => {
    const registered = modelDeclarations.map((d) => `${d.layer}/${d.name}`).sort()
    assert.deepStrictEqual(filesIn(".sql"), registered)
    assert.deepStrictEqual(filesIn(".ts"), registered)
  })

  it.effect("the project loads without problems, with stg_events at the root", () =>
    Effect.gen(function* () {
      const project = yield* loadProject(realProject)
      assert.strictEqual(project.order[0], "stg_events")
      assert.deepStrictEqual(project.models.get("stg_events")?.sources, ["lake.events"])
      assert.deepStrictEqual(project.models.get("fct_daily_activity")?.parents, ["int_user_days"])
    })
  )
})
