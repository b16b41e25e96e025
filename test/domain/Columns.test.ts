import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { enrichedEventArbitrary } from "../../src/domain/Arbitraries.ts"
import { columns, DUCKDB_TYPES, deriveColumns, makeToRow, toRow } from "../../src/domain/Columns.ts"
import { enrich } from "../../src/domain/Enrichment.ts"
import { Id, IntBetween } from "../../src/domain/Primitives.ts"
import { validPurchase } from "./fixtures.ts"

const column = (name: string) => {
  const found = columns.find((c) => c.name === name)
  if (found === undefined) return assert.fail(`no column ${name}`)
  return found
}

describe("lake columns", () => {
  it("have unique names and allowed DuckDB types", () => {
    const names = columns.map((c) => c.name)
    assert.strictEqual(new Set(names).size, names.length)
    for (const c of columns) assert.include(DUCKDB_TYPES, c.duckdbType, c.name)
  })

  it("are ordered envelope, context, ingest, experiments, properties", () => {
    const names = columns.map((c) => c.name)
    assert.deepStrictEqual(names.slice(0, 8), [
      "event_id",
      "event_type",
      "schema_version",
      "user_id",
      "anonymous_id",
      "session_id",
      "occurred_at",
      "sent_at"
    ])
    assert.strictEqual(names[8], "context_device_type")
    assert.isBelow(names.indexOf("context_screen_height"), names.indexOf("received_at"))
    assert.isBelow(names.indexOf("ip_hash"), names.indexOf("experiments"))
    assert.isBelow(names.indexOf("experiments"), names.indexOf("prop_booking_id"))
    assert.strictEqual(names.at(-1), "properties")
    assert.notInclude(names, "is_late")
  })

  it("type scalars from the schemas", () => {
    assert.deepInclude(column("occurred_at"), { duckdbType: "TIMESTAMPTZ", nullable: false })
    assert.deepInclude(column("sent_at"), { duckdbType: "TIMESTAMPTZ", nullable: true })
    assert.deepInclude(column("schema_version"), { duckdbType: "INTEGER" })
    assert.deepInclude(column("context_device_type"), { duckdbType: "VARCHAR", nullable: false })
    assert.deepInclude(column("context_screen_width"), { duckdbType: "INTEGER", nullable: true })
    assert.deepInclude(column("experiments"), { duckdbType: "JSON" })
    assert.deepInclude(column("prop_revenue"), { duckdbType: "DOUBLE", nullable: true })
    assert.deepInclude(column("prop_step_index"), { duckdbType: "INTEGER" })
    assert.deepInclude(column("prop_variant"), { duckdbType: "VARCHAR" })
    assert.deepInclude(column("prop_selected"), { duckdbType: "BOOLEAN" })
    assert.deepInclude(column("prop_starts_at"), { duckdbType: "TIMESTAMPTZ" })
    assert.deepStrictEqual(column("context_device_type").source, ["context", "device_type"])
    assert.isFalse(columns.some((c) => c.name === "prop_items" || c.name === "prop_traits"))
  })

  it("resolve a property name used with different types deterministically", () => {
    const event = (type: string, properties: Schema.Struct.Fields) =>
      Schema.Struct({ event_type: Schema.Literal(type), properties: Schema.Struct(properties) })
    const schemas = [
      event("a", { size: IntBetween(0, 10), label: Id, flag: Schema.Boolean }),
      event("b", { size: Schema.Number, label: IntBetween(0, 10), flag: Schema.Boolean })
    ]
    const derived = deriveColumns(schemas)
    const typeOf = (name: string) => derived.find((c) => c.name === name)?.duckdbType
    assert.strictEqual(typeOf("prop_size"), "DOUBLE")
    assert.strictEqual(typeOf("prop_label"), "VARCHAR")
    assert.strictEqual(typeOf("prop_flag"), "BOOLEAN")
    assert.deepStrictEqual(
      deriveColumns([...schemas].reverse())
        .map((c) => [c.name, c.duckdbType])
        .sort(),
      [...derived.map((c) => [c.name, c.duckdbType])].sort()
    )
    const row = makeToRow(derived)({ event_type: "b", properties: { size: 2.5, label: 7, flag: true } })
    assert.deepStrictEqual(row, ["b", true, "7", 2.5, '{"size":2.5,"label":7,"flag":true}'])
  })

  it.prop(
    "toRow yields one value per column",
    [enrichedEventArbitrary],
    ([event]) => {
      assert.strictEqual(toRow(event).length, columns.length)
    },
    { arbitrary: { runs: 100 } }
  )

  it("toRow extracts typed values", () => {
    const enriched = enrich(validPurchase, {
      receivedAtMs: Date.UTC(2026, 10, 22, 8, 0, 6),
      requestId: "req-1",
      writeKeyId: "web"
    })
    const row = toRow(enriched)
    const value = (name: string) => row[columns.indexOf(column(name))]
    assert.strictEqual(value("event_id"), validPurchase.event_id)
    assert.strictEqual(value("occurred_at"), Date.UTC(2026, 10, 22, 8, 0, 0))
    // sent_at 08:00:05Z, received 08:00:06Z: the client clock is 1 s behind.
    assert.strictEqual(value("occurred_at_corrected"), Date.UTC(2026, 10, 22, 8, 0, 1))
    assert.strictEqual(value("context_screen_width"), 1440)
    assert.strictEqual(value("context_os"), null)
    assert.strictEqual(value("write_key_id"), "web")
    assert.strictEqual(value("ip_hash"), null)
    assert.strictEqual(value("experiments"), '{"new_configurator":"treatment"}')
    assert.strictEqual(value("prop_revenue"), 59.9)
    assert.strictEqual(value("prop_currency"), "EUR")
    assert.strictEqual(value("prop_step_index"), null)
    assert.deepStrictEqual(JSON.parse(String(value("properties"))), validPurchase.properties)
  })
})
