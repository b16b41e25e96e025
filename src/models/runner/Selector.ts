/**
 * `--select`, with dbt's graph operators: terms separated by spaces or commas, their union selected.
 *
 * | term           | selects                                                   |
 * | -------------- | --------------------------------------------------------- |
 * | `stg_events`   | the model                                                 |
 * | `marts`        | every model of a layer (`staging`, `intermediate`, `marts`) |
 * | `+fct_x`       | the model (or layer) and all its ancestors                |
 * | `stg_events+`  | the model (or layer) and all its descendants              |
 * | `+int_x+`      | both                                                      |
 *
 * No selection means every model. The result keeps the project's topological order.
 */
import { Effect, Schema } from "effect"
import { LAYERS, type ModelLayer } from "./Model.ts"
import type { ModelProjectShape } from "./Project.ts"

export class ModelSelectionError extends Schema.TaggedError<ModelSelectionError>()("ModelSelectionError", {
  selector: Schema.String,
  message: Schema.String
}) {}

const TERM = /^(\+?)([a-z][a-z0-9_]*)(\+?)$/

const isLayer = (name: string): name is ModelLayer => LAYERS.some((layer) => layer === name)

const closure = (project: ModelProjectShape, start: ReadonlyArray<string>, next: "parents" | "children") => {
  const out = new Set<string>()
  const queue = [...start]
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    for (const other of project.models.get(name)?.[next] ?? []) {
      if (!out.has(other)) {
        out.add(other)
        queue.push(other)
      }
    }
  }
  return out
}

/** The selected model names in execution order, or an error naming the term that selects nothing. */
export const selectModels = (
  project: ModelProjectShape,
  selector: string | undefined
): Effect.Effect<ReadonlyArray<string>, ModelSelectionError> => {
  const terms = (selector ?? "").split(/[\s,]+/).filter((term) => term !== "")
  if (terms.length === 0) return Effect.succeed(project.order)
  const selected = new Set<string>()
  for (const term of terms) {
    const match = TERM.exec(term)
    const name = match?.[2]
    if (match === null || name === undefined) {
      return Effect.fail(
        new ModelSelectionError({
          selector: selector ?? "",
          message: `"${term}" is not a selector: use a model or layer name, with + before (ancestors) or after (descendants)`
        })
      )
    }
    const base = isLayer(name)
      ? project.order.filter((model) => project.models.get(model)?.layer === name)
      : project.models.has(name)
        ? [name]
        : undefined
    if (base === undefined) {
      return Effect.fail(
        new ModelSelectionError({
          selector: selector ?? "",
          message: `"${term}": ${name} is neither a model nor a layer (${LAYERS.join(", ")})`
        })
      )
    }
    for (const model of base) selected.add(model)
    if (match[1] === "+") for (const model of closure(project, base, "parents")) selected.add(model)
    if (match[3] === "+") for (const model of closure(project, base, "children")) selected.add(model)
  }
  return Effect.succeed(project.order.filter((model) => selected.has(model)))
}
