/**
 * JSON Schema (draft 2020-12) of every event type, derived from the catalog. `pnpm launchpad schemas`
 * prints them or writes `<event_type>.schema.json` files plus `index.json`; ingest serves
 * `eventJsonSchemas()` at `GET /api/v1/schemas`.
 */
import { Console, Effect, FileSystem, JsonSchema, Path, Record, Schema } from "effect"
import { Catalog, type CatalogEntry, catalogEntries, type EventType } from "./Catalog.ts"

/** The JSON Schema of one event type, standalone (own `$schema`, `$id` and `$defs`). */
export const eventJsonSchema = (entry: CatalogEntry): JsonSchema.JsonSchema => {
  // Unknown keys are refused by the decoder, so the documents say so too (additionalProperties: false).
  const document = Schema.toJsonSchemaDocument(entry.schema, { onExcessProperty: "error" })
  return {
    $schema: JsonSchema.META_SCHEMA_URI_DRAFT_2020_12,
    $id: `${entry.type}.schema.json`,
    ...document.schema,
    "x-event-type": entry.type,
    "x-schema-version": entry.version,
    "x-category": entry.category,
    ...(Object.keys(document.definitions).length === 0 ? {} : { $defs: document.definitions })
  }
}

/** `{ [event_type]: jsonSchema }` for the whole catalog: what `GET /api/v1/schemas` returns. */
export const eventJsonSchemas = (): { readonly [T in EventType]: JsonSchema.JsonSchema } =>
  Record.map(Catalog, (entry) => eventJsonSchema(entry))

/** Lists every event type with its version, category, description and schema file. */
export const schemaIndex = () => ({
  title: "Launchpad event catalog",
  events: catalogEntries.map((entry) => ({
    event_type: entry.type,
    schema_version: entry.version,
    category: entry.category,
    description: entry.description,
    schema: `${entry.type}.schema.json`
  }))
})

const toJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`

/** Writes one `<event_type>.schema.json` per event type and `index.json` into `dir`; returns the number of event schemas. */
export const writeSchemas = Effect.fn("JsonSchemas.writeSchemas")(function* (dir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  yield* fs.makeDirectory(dir, { recursive: true })
  yield* Effect.forEach(
    catalogEntries,
    (entry) => fs.writeFileString(path.join(dir, `${entry.type}.schema.json`), toJson(eventJsonSchema(entry))),
    { discard: true }
  )
  yield* fs.writeFileString(path.join(dir, "index.json"), toJson(schemaIndex()))
  return catalogEntries.length
})

/** Prints `{ index, schemas }` as one JSON document. */
export const printSchemas: Effect.Effect<void> = Effect.suspend(() =>
  Console.log(toJson({ index: schemaIndex(), schemas: eventJsonSchemas() }))
)
