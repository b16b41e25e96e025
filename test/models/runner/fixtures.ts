/**
 * The model runner over real parts: a lake written by the lake writer and a warehouse DuckDB file, both
 * in a temporary data directory; hand-built events; and throwaway model projects (SQL files in a
 * temporary folder plus declarations) for the DAG and materialization tests.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import type { EnrichedEvent } from "../../../src/domain/Catalog.ts"
import { Settings } from "../../../src/domain/Settings.ts"
import { EventFileWriter } from "../../../src/lake/EventFileWriter.ts"
import type { EventLakeRow } from "../../../src/lake/LakeTable.ts"
import type { ModelDeclaration } from "../../../src/models/runner/Model.ts"
import { ModelDocs } from "../../../src/models/runner/ModelDocs.ts"
import { ModelRunner, type ModelRunnerConfig } from "../../../src/models/runner/ModelRunner.ts"
import { ModelProject, type ProjectDefinition } from "../../../src/models/runner/Project.ts"
import { RunStore } from "../../../src/models/runner/RunStore.ts"
import { modelDeclarations, modelsDirectory, sourceDeclarations } from "../../../src/models/sql/index.ts"
import { DuckDbClient } from "../../../src/sql/DuckDbClient.ts"
import { lakeLayerFor } from "../../lake/helpers.ts"

export { tempDataDir } from "../../lake/helpers.ts"

export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS

/** The real project of src/models/sql. */
export const realProject: ProjectDefinition = {
  directory: modelsDirectory,
  models: modelDeclarations,
  sources: sourceDeclarations
}

/** Writes a throwaway project's SQL files under `directory` and returns its definition. */
export const writeProject = (
  directory: string,
  models: ReadonlyArray<{ readonly declaration: ModelDeclaration; readonly sql: string }>
): ProjectDefinition => {
  for (const { declaration, sql } of models) {
    mkdirSync(path.join(directory, declaration.layer), { recursive: true })
    writeFileSync(path.join(directory, declaration.layer, `${declaration.name}.sql`), sql)
  }
  return { directory, models: models.map((m) => m.declaration), sources: sourceDeclarations }
}

/** A minimal declaration (no columns) for throwaway projects. */
export const model = (
  name: string,
  layer: ModelDeclaration["layer"],
  materialized: "view" | "table" = "table",
  extra: Partial<Pick<ModelDeclaration, "columns" | "tests">> = {}
): ModelDeclaration => ({
  name,
  layer,
  materialized,
  description: `test model ${name}`,
  columns: extra.columns ?? {},
  ...(extra.tests === undefined ? {} : { tests: extra.tests })
})

export const warehouseFile = (dataDir: string) => path.join(dataDir, "warehouse.duckdb")

/**
 * Lake writer + reader, the warehouse client, the run store, a project, the runner and the docs, all over
 * `dataDir`.
 */
export const runnerLayer = (
  dataDir: string,
  project: ProjectDefinition = realProject,
  config: ModelRunnerConfig = {}
) => {
  const settings = Settings.layerWith({ dataDir })
  const warehouse = DuckDbClient.layer({ filename: warehouseFile(dataDir), threads: 2 })
  return Layer.mergeAll(ModelRunner.layerWith(config), ModelDocs.layer).pipe(
    Layer.provideMerge(Layer.mergeAll(RunStore.layer, ModelProject.layerWith(project))),
    Layer.provideMerge(Layer.mergeAll(warehouse, lakeLayerFor(dataDir), settings))
  )
}

export interface EventSpec {
  readonly id: string
  readonly user: string
  /** Event time (epoch ms); also occurred_at_corrected. */
  readonly at: number
  /** When ingest received this copy (epoch ms); `at` unless given. */
  readonly receivedAt?: number
  readonly session?: string
  readonly device?: "desktop" | "mobile" | "tablet"
}

const iso = (ms: number) => new Date(ms).toISOString()

/** A `page_view` with the given envelope; everything else fixed. */
export const pageView = (spec: EventSpec): EnrichedEvent => ({
  event_type: "page_view",
  schema_version: 1,
  event_id: spec.id,
  user_id: spec.user,
  session_id: spec.session ?? `s-${spec.user}`,
  occurred_at: iso(spec.at),
  sent_at: iso(spec.at),
  context: { device_type: spec.device ?? "desktop", page_path: "/" },
  received_at: iso(spec.receivedAt ?? spec.at),
  occurred_at_corrected: iso(spec.at),
  request_id: `req-${spec.id.slice(0, 8)}`,
  properties: { title: "Home" }
})

/** Writes one micro-batch of events to the lake as the stream would: Kafka partition, offsets from `firstOffset`. */
export const writeEvents = (partition: number, firstOffset: number, events: ReadonlyArray<EnrichedEvent>) =>
  Effect.gen(function* () {
    if (events.length === 0) return
    const writer = yield* EventFileWriter
    const rows: ReadonlyArray<EventLakeRow> = events.map((event, i) => ({
      event,
      kafkaPartition: partition,
      kafkaOffset: firstOffset + i,
      isLate: false,
      processedAtMs: Date.parse(event.received_at)
    }))
    yield* writer.write({
      topic: "events_raw",
      partition,
      firstOffset,
      lastOffset: firstOffset + events.length - 1,
      rows
    })
  })

/** A UUID-shaped id from a number (event ids must be UUIDs). */
export const uuid = (n: number): string => {
  const hex = n.toString(16).padStart(12, "0")
  return `00000000-0000-4000-8000-${hex}`
}
