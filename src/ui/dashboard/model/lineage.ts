/**
 * The lineage graph of the model project (GET /api/v1/models), left to right by depth: sources in the
 * first column, each model one column right of its deepest parent (so every edge points right), each
 * column in manifest order; an edge from each parent or source to the model that reads it.
 */
import type { ModelManifest } from "../../../models/api/ModelManifest.ts"
import type { ModelLayer } from "../../../models/runner/Model.ts"

export interface LineageNode {
  readonly id: string
  readonly kind: "source" | ModelLayer
  readonly column: number
  readonly row: number
  readonly status: "success" | "error" | "skipped" | "never run" | "source"
}

export interface LineageEdge {
  readonly from: string
  readonly to: string
}

export const lineageOf = (
  manifest: ModelManifest
): { readonly nodes: Array<LineageNode>; readonly edges: Array<LineageEdge> } => {
  const rows = new Map<number, number>()
  const place = (column: number) => {
    const row = rows.get(column) ?? 0
    rows.set(column, row + 1)
    return row
  }
  const nodes: Array<LineageNode> = manifest.sources.map((source) => ({
    id: source.id,
    kind: "source",
    column: 0,
    row: place(0),
    status: "source"
  }))
  const models = new Map(manifest.models.map((model) => [model.name, model]))
  const depths = new Map<string, number>()
  // The manifest lists models in DAG order, but a depth is computed from its parents whatever the order.
  const depthOf = (name: string, seen: ReadonlySet<string>): number => {
    const known = depths.get(name)
    if (known !== undefined) return known
    const model = models.get(name)
    if (model === undefined || seen.has(name)) return 0
    const next = new Set([...seen, name])
    const depth = 1 + Math.max(0, ...model.parents.map((parent) => depthOf(parent, next)))
    depths.set(name, depth)
    return depth
  }
  for (const model of manifest.models) {
    const column = depthOf(model.name, new Set())
    nodes.push({
      id: model.name,
      kind: model.layer,
      column,
      row: place(column),
      status: model.lastRun?.status ?? "never run"
    })
  }
  const edges = manifest.models.flatMap((model) => [
    ...model.sources.map((source) => ({ from: source, to: model.name })),
    ...model.parents.map((parent) => ({ from: parent, to: model.name }))
  ])
  return { nodes, edges }
}

/** The tallest column, for the graph's height. */
export const tallestColumn = (nodes: ReadonlyArray<LineageNode>): number =>
  nodes.reduce((max, node) => Math.max(max, node.row + 1), 0)

/** The rightmost column, for the graph's least width. */
export const deepestColumn = (nodes: ReadonlyArray<LineageNode>): number =>
  nodes.reduce((max, node) => Math.max(max, node.column), 0)
