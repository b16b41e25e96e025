import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Path } from "effect"
import { Catalog, catalogEntries, EVENT_TYPES } from "../../src/domain/Catalog.ts"
import { EnvelopeFields } from "../../src/domain/Envelope.ts"
import { eventJsonSchemas, schemaIndex, writeSchemas } from "../../src/domain/JsonSchemas.ts"
import type { EventType, PropertiesOf, TrackInput } from "../../src/domain/SdkTypes.ts"

const requiredEnvelope = ["event_id", "event_type", "schema_version", "user_id", "session_id", "occurred_at", "context"]

describe("catalog", () => {
  it("has at least 20 event types, each keyed by its own event_type, described and versioned", () => {
    assert.isAtLeast(catalogEntries.length, 20)
    for (const [key, entry] of Object.entries(Catalog)) {
      assert.strictEqual(entry.type, key)
      assert.isTrue(entry.description.length > 10, key)
      assert.isTrue(Number.isInteger(entry.version) && entry.version >= 1, key)
    }
  })

  it("covers the capabilities the product needs", () => {
    for (const required of [
      "quiz_started",
      "quiz_step_viewed",
      "slider_adjusted",
      "option_selected",
      "quiz_step_completed",
      "quiz_completed",
      "quiz_abandoned",
      "result_viewed",
      "result_shared",
      "recommendation_clicked",
      "page_view",
      "signup",
      "login",
      "identify",
      "product_viewed",
      "add_to_cart",
      "remove_from_cart",
      "checkout_started",
      "purchase",
      "search_performed",
      "search_result_clicked",
      "booking_completed",
      "experiment_exposure"
    ]) {
      assert.include(EVENT_TYPES, required)
    }
  })

  it("derives SDK types that pair each event type with its properties", () => {
    const input: TrackInput = { event_type: "experiment_exposure", properties: { experiment_key: "e", variant: "b" } }
    const properties: PropertiesOf<"slider_adjusted"> = {
      quiz_id: "q",
      step_id: "s",
      slider_id: "x",
      value: 1,
      min: 0,
      max: 2
    }
    const type: EventType = input.event_type
    assert.strictEqual(type, "experiment_exposure")
    assert.strictEqual(properties.value, 1)
  })
})

describe("JSON Schemas", () => {
  it("one valid object per event type, requiring the envelope, titled and described", () => {
    const schemas = eventJsonSchemas()
    assert.deepStrictEqual(Object.keys(schemas), [...EVENT_TYPES])
    for (const entry of catalogEntries) {
      const schema = schemas[entry.type]
      assert.strictEqual(schema.type, "object")
      assert.strictEqual(schema.$schema, "https://json-schema.org/draft/2020-12/schema")
      assert.strictEqual(schema.title, entry.type)
      assert.strictEqual(schema.description, entry.description)
      assert.strictEqual(schema.additionalProperties, false)
      const required = schema.required
      assert.isTrue(Array.isArray(required))
      for (const field of [...requiredEnvelope, "properties"]) assert.include(required, field, entry.type)
      assert.deepStrictEqual(JSON.parse(JSON.stringify(schema)), schema)
    }
  })

  it("envelope fields are the ones the schemas require or allow", () => {
    const schema = eventJsonSchemas().purchase
    const properties = schema.properties
    assert.isTrue(typeof properties === "object" && properties !== null)
    for (const field of Object.keys(EnvelopeFields)) assert.property(properties, field)
  })

  it("the index lists every event type with its schema file", () => {
    const index = schemaIndex()
    assert.deepStrictEqual(
      index.events.map((event) => event.schema),
      EVENT_TYPES.map((type) => `${type}.schema.json`)
    )
  })

  it.effect("writeSchemas writes one file per event type plus the index", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped()
      const written = yield* writeSchemas(path.join(dir, "schemas"))
      assert.strictEqual(written, EVENT_TYPES.length)
      const files = yield* fs.readDirectory(path.join(dir, "schemas"))
      assert.strictEqual(files.length, EVENT_TYPES.length + 1)
      const purchase = JSON.parse(yield* fs.readFileString(path.join(dir, "schemas", "purchase.schema.json")))
      assert.deepStrictEqual(purchase, eventJsonSchemas().purchase)
    }).pipe(Effect.provide(NodeServices.layer))
  )
})
