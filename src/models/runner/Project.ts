/**
 * The model project: every declared model with its SQL file, parsed template and place in the DAG,
 * checked as a whole when the layer starts. Everything wrong is reported at once, each problem naming
 * its file (and line, for SQL):
 *
 * - a declaration problem (name, description, uniqueKey) or a model declared twice;
 * - a declared model without its `.sql` file, or a `.sql` file without a declaration;
 * - a template error (Template.ts), an unknown `ref` (`file:line: ref('x') names no model`) or source;
 * - a `var('x')` (in the SQL or a singular test) that the declaration's `vars` lacks;
 * - a `source(…)` outside a staging model, or in a view (a view would freeze the lake's file list of
 *   the moment it was created; make it a table or incremental);
 * - a `relationships` test towards an unknown model;
 * - a cycle, named in order: `cycle: a → b → c → a`.
 *
 * The execution order is topological, ties broken by layer then name, so runs are deterministic.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Context, Effect, Layer, Schema } from "effect"
import { modelDeclarations, modelsDirectory, sourceDeclarations } from "../sql/index.ts"
import { declarationProblems, LAYERS, type ModelDeclaration, type ModelLayer } from "./Model.ts"
import { type SourceDeclaration, sourceId } from "./Source.ts"
import { parseTemplate, type TemplateNode, templateNodes } from "./Template.ts"

export class ModelProjectError extends Schema.TaggedError<ModelProjectError>()("ModelProjectError", {
  message: Schema.String,
  problems: Schema.Array(Schema.String)
}) {}

export interface SingularTestNode {
  readonly name: string
  readonly description: string | undefined
  readonly severity: "error" | "warn"
  readonly sql: string
  readonly nodes: ReadonlyArray<TemplateNode>
}

export interface ModelNode {
  readonly name: string
  readonly layer: ModelLayer
  readonly declaration: ModelDeclaration
  /** The SQL file, relative to the working directory (as problems and docs show it). */
  readonly file: string
  readonly rawSql: string
  readonly nodes: ReadonlyArray<TemplateNode>
  /** Models this one refs, sorted. */
  readonly parents: ReadonlyArray<string>
  /** Sources it reads (`lake.events`), sorted. */
  readonly sources: ReadonlyArray<string>
  /** Models that ref this one, sorted. */
  readonly children: ReadonlyArray<string>
  readonly tests: ReadonlyArray<SingularTestNode>
}

export interface ModelProjectShape {
  readonly models: ReadonlyMap<string, ModelNode>
  /** Every model, parents before children. */
  readonly order: ReadonlyArray<string>
  readonly sources: ReadonlyMap<string, SourceDeclaration>
}

export interface ProjectDefinition {
  /** Holds `<layer>/<name>.sql` for every model. */
  readonly directory: string
  readonly models: ReadonlyArray<ModelDeclaration>
  readonly sources: ReadonlyArray<SourceDeclaration>
}

const displayPath = (file: string): string => {
  const relative = path.relative(process.cwd(), file)
  return relative.startsWith("..") ? file : relative
}

const sqlFilesIn = (directory: string): ReadonlyArray<{ readonly layer: string; readonly name: string }> =>
  LAYERS.flatMap((layer) => {
    const dir = path.join(directory, layer)
    if (!fs.existsSync(dir)) return []
    return fs
      .readdirSync(dir)
      .filter((file) => file.endsWith(".sql"))
      .map((file) => ({ layer, name: file.slice(0, -".sql".length) }))
  })

/** The folder of the macros (`{{ macro('name') }}`), beside the layers. */
const MACROS_FOLDER = "macros"

/** Every `macros/<name>.sql`, parsed (a macro cannot call another), with the problems of each. */
const loadMacros = (directory: string, problems: Array<string>): ReadonlyMap<string, ReadonlyArray<TemplateNode>> => {
  const dir = path.join(directory, MACROS_FOLDER)
  if (!fs.existsSync(dir)) return new Map()
  const macros = new Map<string, ReadonlyArray<TemplateNode>>()
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".sql"))) {
    const parsed = parseTemplate(fs.readFileSync(path.join(dir, file), "utf8"))
    const where = displayPath(path.join(dir, file))
    for (const problem of parsed.problems) problems.push(`${where}:${problem.line}: ${problem.message}`)
    macros.set(file.slice(0, -".sql".length), parsed.nodes)
  }
  return macros
}

/** A cycle of the ref graph, in data-flow order (`a → b`: b refs a), or `undefined`. */
const findCycle = (parents: ReadonlyMap<string, ReadonlyArray<string>>): ReadonlyArray<string> | undefined => {
  const state = new Map<string, "visiting" | "done">()
  const stack: Array<string> = []
  const visit = (name: string): ReadonlyArray<string> | undefined => {
    const seen = state.get(name)
    if (seen === "done") return undefined
    if (seen === "visiting") return [...stack.slice(stack.indexOf(name)), name]
    state.set(name, "visiting")
    stack.push(name)
    for (const parent of parents.get(name) ?? []) {
      const cycle = visit(parent)
      if (cycle !== undefined) return cycle
    }
    stack.pop()
    state.set(name, "done")
    return undefined
  }
  for (const name of [...parents.keys()].sort()) {
    const cycle = visit(name)
    // Found walking parents: reverse it so it reads in data-flow order (a → b: b refs a).
    if (cycle !== undefined) return [...cycle].reverse()
  }
  return undefined
}

const topologicalOrder = (models: ReadonlyMap<string, ModelNode>): ReadonlyArray<string> => {
  const rank = (name: string) => {
    const node = models.get(name)
    return node === undefined ? 0 : LAYERS.indexOf(node.layer)
  }
  const byLayerThenName = (a: string, b: string) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)
  const pending = new Map([...models.values()].map((m) => [m.name, m.parents.length]))
  const ready = [...models.values()].filter((m) => m.parents.length === 0).map((m) => m.name)
  const order: Array<string> = []
  while (ready.length > 0) {
    ready.sort(byLayerThenName)
    const next = ready.shift()
    if (next === undefined) break
    order.push(next)
    for (const child of models.get(next)?.children ?? []) {
      const left = (pending.get(child) ?? 0) - 1
      pending.set(child, left)
      if (left === 0) ready.push(child)
    }
  }
  return order
}

/** Loads and checks a project; fails with every problem found. */
export const loadProject = (definition: ProjectDefinition): Effect.Effect<ModelProjectShape, ModelProjectError> =>
  Effect.suspend(() => {
    const problems: Array<string> = []
    const sources = new Map(definition.sources.map((s) => [sourceId(s), s]))
    const declared = new Map<string, ModelDeclaration>()
    for (const declaration of definition.models) {
      const where = `${displayPath(path.join(definition.directory, declaration.layer, declaration.name))}.ts`
      for (const problem of declarationProblems(declaration)) problems.push(`${where}: ${problem}`)
      if (declared.has(declaration.name)) problems.push(`${where}: model ${declaration.name} is declared twice`)
      declared.set(declaration.name, declaration)
    }
    for (const file of sqlFilesIn(definition.directory)) {
      const declaration = declared.get(file.name)
      if (declaration === undefined || declaration.layer !== file.layer) {
        const where = displayPath(path.join(definition.directory, file.layer, `${file.name}.sql`))
        problems.push(
          `${where}: no model declaration for this file (add ${file.name}.ts beside it and list it in the registry)`
        )
      }
    }

    const macros = loadMacros(definition.directory, problems)
    const parsed = new Map<string, Omit<ModelNode, "children" | "parents"> & { readonly refs: ReadonlyArray<string> }>()
    for (const declaration of declared.values()) {
      const absolute = path.join(definition.directory, declaration.layer, `${declaration.name}.sql`)
      const file = displayPath(absolute)
      if (!fs.existsSync(absolute)) {
        problems.push(`${file}: missing (model ${declaration.name} is declared but has no SQL file)`)
        continue
      }
      const rawSql = fs.readFileSync(absolute, "utf8")
      const template = parseTemplate(rawSql, macros)
      for (const problem of template.problems) problems.push(`${file}:${problem.line}: ${problem.message}`)
      const refs = new Set<string>()
      const modelSources = new Set<string>()
      const vars = declaration.vars ?? {}
      const unknownVar = (name: string) =>
        Object.hasOwn(vars, name)
          ? undefined
          : `var('${name}') is not in the declaration's vars (known: ${Object.keys(vars).join(", ") || "none"})`
      for (const node of templateNodes(template.nodes)) {
        if (node._tag === "Var") {
          const problem = unknownVar(node.name)
          if (problem !== undefined) problems.push(`${file}:${node.line}: ${problem}`)
        } else if (node._tag === "Ref") {
          if (node.model === declaration.name) {
            problems.push(`${file}:${node.line}: ref('${node.model}') is the model itself (use {{ this }})`)
          } else if (!declared.has(node.model)) {
            problems.push(`${file}:${node.line}: ref('${node.model}') names no model`)
          } else refs.add(node.model)
        } else if (node._tag === "Source") {
          const id = `${node.source}.${node.name}`
          if (!sources.has(id)) {
            problems.push(
              `${file}:${node.line}: source('${node.source}', '${node.name}') is not a source (known: ${[...sources.keys()].join(", ")})`
            )
          } else if (declaration.layer !== "staging") {
            problems.push(
              `${file}:${node.line}: source('${node.source}', '${node.name}') in ${declaration.layer} model ${declaration.name}: only staging models may read a source`
            )
          } else if (declaration.materialized === "view") {
            problems.push(
              `${file}:${node.line}: staging model ${declaration.name} reads a source but is a view: a view would freeze the lake's files of the moment it was built (make it a table or incremental)`
            )
          } else modelSources.add(id)
        }
      }
      for (const [column, spec] of Object.entries(declaration.columns)) {
        for (const test of spec.tests ?? []) {
          if (test.type === "relationships" && !declared.has(test.to)) {
            problems.push(`${file}: column ${column}: relationships test towards ${test.to}, which is no model`)
          }
        }
      }
      const tests: Array<SingularTestNode> = []
      for (const test of declaration.tests ?? []) {
        const where = `${displayPath(absolute.replace(/\.sql$/, ".ts"))} test ${test.name}`
        const testTemplate = parseTemplate(test.sql)
        for (const problem of testTemplate.problems) problems.push(`${where}:${problem.line}: ${problem.message}`)
        for (const node of templateNodes(testTemplate.nodes)) {
          if (node._tag === "Ref" && !declared.has(node.model)) {
            problems.push(`${where}:${node.line}: ref('${node.model}') names no model`)
          }
          if (node._tag === "Source") problems.push(`${where}:${node.line}: tests read models, not sources`)
          if (node._tag === "Var") {
            const problem = unknownVar(node.name)
            if (problem !== undefined) problems.push(`${where}:${node.line}: ${problem}`)
          }
        }
        tests.push({
          name: test.name,
          description: test.description,
          severity: test.severity ?? "error",
          sql: test.sql,
          nodes: testTemplate.nodes
        })
      }
      parsed.set(declaration.name, {
        name: declaration.name,
        layer: declaration.layer,
        declaration,
        file,
        rawSql,
        nodes: template.nodes,
        refs: [...refs].sort(),
        sources: [...modelSources].sort(),
        tests
      })
    }

    const parents = new Map([...parsed.values()].map((m) => [m.name, m.refs]))
    const cycle = findCycle(parents)
    if (cycle !== undefined) {
      const files = cycle.slice(0, -1).map((name) => parsed.get(name)?.file ?? name)
      problems.push(`cycle: ${cycle.join(" → ")} (${files.join(", ")})`)
    }
    if (problems.length > 0) {
      return Effect.fail(
        new ModelProjectError({
          message: `the model project has ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join("\n")}`,
          problems
        })
      )
    }

    const children = new Map<string, Array<string>>()
    for (const model of parsed.values()) {
      for (const parent of model.refs) children.set(parent, [...(children.get(parent) ?? []), model.name])
    }
    const models = new Map<string, ModelNode>(
      [...parsed.values()].map(({ refs, ...model }) => [
        model.name,
        { ...model, parents: refs, children: [...(children.get(model.name) ?? [])].sort() }
      ])
    )
    return Effect.succeed({ models, order: topologicalOrder(models), sources })
  })

export class ModelProject extends Context.Service<ModelProject, ModelProjectShape>()("launchpad/models/ModelProject") {
  /** A project from explicit declarations and SQL directory (tests, tools). */
  static readonly layerWith = (definition: ProjectDefinition): Layer.Layer<ModelProject, ModelProjectError> =>
    Layer.effect(ModelProject, loadProject(definition))

  /** The project of `src/models/sql` (its registry, index.ts). */
  static readonly layer: Layer.Layer<ModelProject, ModelProjectError> = ModelProject.layerWith({
    directory: modelsDirectory,
    models: modelDeclarations,
    sources: sourceDeclarations
  })
}
