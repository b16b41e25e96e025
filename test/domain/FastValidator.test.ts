/**
 * The fast validator must agree with Effect's decoder on every input: `decodeEvent` trusts its "yes"
 * and skips the decoder. Agreement is checked on generated valid events (every type), on the same
 * events after one or two mutations at random places (each kind of rule the schemas have), and on
 * both forms again after a JSON round trip (what ingest actually validates).
 */
import { assert, describe, it } from "@effect/vitest"
import { Result, Schema, SchemaAST } from "effect"
import { enrichedEventArbitrary, eventArbitrary, trackEventArbitrary } from "../../src/domain/Arbitraries.ts"
import { Catalog, catalogEntries, EnrichedEvent, EVENT_TYPES, TrackEvent } from "../../src/domain/Catalog.ts"
import { decodeEnrichedEvent, decodeEvent, isValidEnrichedEvent, isValidEvent } from "../../src/domain/EventCodec.ts"
import { type CompileReport, compile } from "../../src/domain/FastValidator.ts"
import { MAX_ID_LENGTH, MAX_MAP_KEYS, MAX_TEXT_LENGTH, MAX_URL_LENGTH } from "../../src/domain/Primitives.ts"
import { nestedMap, validIdentify, validPurchase } from "./fixtures.ts"

const parseOptions = { onExcessProperty: "error" } as const
/** The oracle: Effect's decoder over the whole union, independent of the per-type dispatch in EventCodec. */
const effectDecodeEvent = Schema.decodeUnknownResult(TrackEvent, parseOptions)
const effectDecodeEnriched = Schema.decodeUnknownResult(EnrichedEvent, parseOptions)

type Path = ReadonlyArray<string | number>

/** Every path to a value in `value` (the root included), so a mutation can hit any node. */
const pathsOf = (value: unknown, prefix: Path = []): Array<Path> => {
  const out: Array<Path> = [prefix]
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) out.push(...pathsOf(item, [...prefix, i]))
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) out.push(...pathsOf(item, [...prefix, key]))
  }
  return out
}

const clone = (value: unknown): unknown => structuredClone(value)

type Container = Record<string, unknown> | Array<unknown>
const isContainer = (value: unknown): value is Container => typeof value === "object" && value !== null

/** The container holding `path`'s last step, in `root`, with that step (undefined for the root). */
const locate = (root: unknown, path: Path): { parent: Container; key: string | number } | undefined => {
  let current: unknown = root
  for (let i = 0; i < path.length - 1; i++) {
    if (!isContainer(current)) return undefined
    const step = path[i]
    current = Array.isArray(current) ? current[Number(step)] : current[String(step)]
  }
  const key = path[path.length - 1]
  return key === undefined || !isContainer(current) ? undefined : { parent: current, key }
}

const setAt = (root: unknown, path: Path, value: unknown): unknown => {
  if (path.length === 0) return value
  const copy = clone(root)
  const at = locate(copy, path)
  if (at === undefined) return copy
  if (Array.isArray(at.parent)) at.parent[Number(at.key)] = value
  else at.parent[String(at.key)] = value
  return copy
}

const deleteAt = (root: unknown, path: Path): unknown => {
  const copy = clone(root)
  const at = locate(copy, path)
  if (at === undefined) return copy
  if (Array.isArray(at.parent)) at.parent.splice(Number(at.key), 1)
  else delete at.parent[String(at.key)]
  return copy
}

const addKeyAt = (root: unknown, path: Path, key: string, value: unknown): unknown => {
  const copy = clone(root)
  let target: unknown = copy
  if (path.length > 0) {
    const at = locate(copy, path)
    target =
      at === undefined ? undefined : Array.isArray(at.parent) ? at.parent[Number(at.key)] : at.parent[String(at.key)]
  }
  if (Array.isArray(target)) target.push(value)
  else if (isContainer(target)) Object.assign(target, { [key]: value })
  return copy
}

/** Values that break some rule somewhere (and are fine elsewhere, which is the point). */
const REPLACEMENTS: ReadonlyArray<unknown> = [
  null,
  true,
  false,
  0,
  -1,
  1,
  1.5,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  1e13,
  2_147_483_648,
  "",
  "x",
  "EUR",
  "XXX",
  "desktop",
  "laptop",
  "user\u0007bell",
  "x".repeat(MAX_ID_LENGTH + 1),
  "x".repeat(MAX_TEXT_LENGTH + 1),
  `https://example.com/${"x".repeat(MAX_URL_LENGTH)}`,
  "https://example.com/a",
  "/path",
  "not a url",
  "3b241101-e2bb-4255-8caf-4136c566a962",
  "3b241101-e2bb-4255-8caf-4136c566a96",
  "3b241101e2bb42558caf4136c566a962",
  "2026-11-22T10:00:00.000Z",
  "2026-11-22T10:00:00+02:00",
  "2026-02-30T10:00:00Z",
  "2026-11-22T24:00:00Z",
  "2026-11-22T10:00:00",
  "1999-12-31T23:59:59.999Z",
  "2100-01-01T00:00:00Z",
  "2099-12-31T23:59:59.999-01:00",
  [],
  ["a"],
  {},
  { a: 1 },
  nestedMap(4),
  nestedMap(5),
  Object.fromEntries(Array.from({ length: MAX_MAP_KEYS + 1 }, (_, i) => [`k${i}`, i])),
  Array.from({ length: 65 }, (_, i) => `p${i}`)
]

const EXTRA_KEYS = ["extra", "__proto__", "constructor", "", "x".repeat(MAX_ID_LENGTH + 1), "event_type"]

const Index = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1_000_000))

/**
 * One mutation: where (an index into the value's paths), what (replace with a listed value or a random
 * JSON value, delete, or add a key) and with what.
 */
const Mutation = Schema.Struct({
  kind: Schema.Literals(["replace", "replace_json", "delete", "add"]),
  at: Index,
  value: Index,
  json: Schema.Json
})
type Mutation = typeof Mutation.Type

const mutate = (event: unknown, m: Mutation): unknown => {
  const paths = pathsOf(event)
  const path = paths[m.at % paths.length] ?? []
  const value = REPLACEMENTS[m.value % REPLACEMENTS.length]
  switch (m.kind) {
    case "replace":
      return setAt(event, path, value)
    case "replace_json":
      return setAt(event, path, m.json)
    case "delete":
      return deleteAt(event, path)
    case "add":
      return addKeyAt(event, path, EXTRA_KEYS[m.at % EXTRA_KEYS.length] ?? "extra", value)
  }
}

/** JSON.parse creates `__proto__` as an own key, as a server would see it; a JS literal would not. */
const viaJson = (value: unknown): unknown => {
  const text = JSON.stringify(value)
  return text === undefined ? undefined : JSON.parse(text)
}

const agreesOnEvent = (input: unknown) => {
  const expected = Result.isSuccess(effectDecodeEvent(input))
  assert.strictEqual(isValidEvent(input), expected, JSON.stringify(input))
  // And decodeEvent itself (fast path or decoder) answers the same.
  assert.strictEqual(Result.isSuccess(decodeEvent(input)), expected)
}

const agreesOnEnriched = (input: unknown) => {
  const expected = Result.isSuccess(effectDecodeEnriched(input))
  assert.strictEqual(isValidEnrichedEvent(input), expected, JSON.stringify(input))
  assert.strictEqual(Result.isSuccess(decodeEnrichedEvent(input)), expected)
}

describe("FastValidator", () => {
  it("is compiled from the catalog schemas without falling back on the decoder", () => {
    for (const entry of catalogEntries) {
      for (const schema of [entry.schema, entry.enriched]) {
        const report: CompileReport = { fallbacks: [] }
        compile(schema.ast, report)
        assert.deepStrictEqual(report.fallbacks, [], entry.type)
      }
    }
  })

  it("relies on Type == Encoded: no catalog schema node has a transformation", () => {
    const transformed: Array<string> = []
    const walk = (ast: SchemaAST.AST, path: string): void => {
      if (ast.encoding !== undefined) transformed.push(path)
      if (SchemaAST.isObjects(ast)) {
        for (const ps of ast.propertySignatures) walk(ps.type, `${path}.${String(ps.name)}`)
        for (const is of ast.indexSignatures) {
          walk(is.parameter, `${path}[key]`)
          walk(is.type, `${path}[*]`)
        }
      } else if (SchemaAST.isUnion(ast)) {
        for (const [i, t] of ast.types.entries()) walk(t, `${path}|${i}`)
      } else if (SchemaAST.isArrays(ast)) {
        for (const [i, t] of ast.elements.entries()) walk(t, `${path}[${i}]`)
        for (const t of ast.rest) walk(t, `${path}[]`)
      }
    }
    for (const entry of catalogEntries) {
      walk(entry.schema.ast, entry.type)
      walk(entry.enriched.ast, `${entry.type}(enriched)`)
    }
    assert.deepStrictEqual(transformed, [])
  })

  it("falls back on the decoder for a node it does not compile, and still agrees", () => {
    const schema = Schema.Struct({ n: Schema.NumberFromString, t: Schema.Tuple([Schema.String]) })
    const report: CompileReport = { fallbacks: [] }
    const validate = compile(schema.ast, report)
    assert.isTrue(report.fallbacks.length > 0)
    const decode = Schema.decodeUnknownResult(schema, parseOptions)
    for (const input of [
      { n: "1", t: ["a"] },
      { n: 1, t: ["a"] },
      { n: "x", t: [] },
      { n: "2", t: ["a"], extra: 1 }
    ]) {
      assert.strictEqual(validate(input), Result.isSuccess(decode(input)), JSON.stringify(input))
    }
  })

  it.prop(
    "agrees with the decoder on valid events of any type",
    [trackEventArbitrary],
    ([event]) => {
      assert.isTrue(isValidEvent(event))
      agreesOnEvent(event)
      agreesOnEvent(viaJson(event))
    },
    { arbitrary: { runs: 300 } }
  )

  for (const eventType of EVENT_TYPES) {
    it.prop(
      `agrees with the decoder on mutated ${eventType} events`,
      [eventArbitrary(eventType), Mutation, Mutation],
      ([event, first, second]) => {
        const once = mutate(event, first)
        agreesOnEvent(once)
        agreesOnEvent(viaJson(once))
        const twice = mutate(once, second)
        agreesOnEvent(twice)
        agreesOnEvent(viaJson(twice))
      },
      { arbitrary: { runs: 150 } }
    )
  }

  it.prop(
    "agrees with the decoder on mutated enriched events",
    [enrichedEventArbitrary, Mutation],
    ([event, m]) => {
      agreesOnEnriched(event)
      const mutated = mutate(event, m)
      agreesOnEnriched(mutated)
      agreesOnEnriched(viaJson(mutated))
    },
    { arbitrary: { runs: 300 } }
  )

  it.prop("agrees with the decoder on arbitrary JSON", [Schema.Json], ([value]) => {
    agreesOnEvent(value)
    agreesOnEnriched(value)
  })

  it("agrees on the edge cases the rules are about", () => {
    const cases: ReadonlyArray<unknown> = [
      validPurchase,
      validIdentify,
      { ...validPurchase, event_type: "purchased" },
      { ...validPurchase, event_type: 42 },
      { ...validPurchase, schema_version: 2 },
      { ...validPurchase, properties: { ...validPurchase.properties, revenue: Number.NaN } },
      { ...validPurchase, properties: { ...validPurchase.properties, items: [] } },
      { ...validPurchase, user_id: undefined },
      { ...validPurchase, anonymous_id: undefined },
      { ...validPurchase, [Symbol("s")]: 1 },
      Object.defineProperty({ ...validPurchase }, "hidden", { value: 1, enumerable: false }),
      Object.assign(Object.create({ inherited: 1 }), validPurchase),
      JSON.parse(`{"__proto__": 1, ${JSON.stringify(validPurchase).slice(1)}`),
      { ...validIdentify, properties: { traits: nestedMap(4) } },
      { ...validIdentify, properties: { traits: nestedMap(5) } },
      { ...validIdentify, properties: { traits: { "": 1 } } },
      [validPurchase],
      null,
      "purchase",
      { event_type: "purchase" }
    ]
    for (const input of cases) {
      const expected = Result.isSuccess(effectDecodeEvent(input))
      assert.strictEqual(isValidEvent(input), expected, String(JSON.stringify(input)))
      assert.strictEqual(Result.isSuccess(decodeEvent(input)), expected)
    }
  })

  it("decodeEvent answers a valid event with the value the decoder builds", () => {
    for (const input of [validPurchase, validIdentify]) {
      const fast = decodeEvent(input)
      const slow = Schema.decodeUnknownResult(Catalog[input.event_type].schema, parseOptions)(input)
      assert.isTrue(Result.isSuccess(fast) && Result.isSuccess(slow))
      if (Result.isSuccess(fast) && Result.isSuccess(slow)) assert.deepStrictEqual(fast.success, slow.success)
    }
  })
})
