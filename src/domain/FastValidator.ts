/**
 * A yes/no validator DERIVED from a schema's AST, for the hot path (ingest validates every event).
 *
 * Effect's decoder builds an output object, threads an Effect/Result through every node and allocates
 * issues; for a well-formed event that costs tens of µs. Most events are well-formed, so `compile`
 * walks the AST once at startup and returns plain closures that only answer "would the decoder
 * accept this?" without allocating. The rules are not copied: every limit is still the schema's own
 * check (`Filter.run`, called with the node it belongs to), and the structure (required and optional
 * keys, literals, unions, arrays, records, excess keys refused) is read from the AST. A node kind the
 * compiler does not know is validated by running Effect's decoder on just that node, so `compile`
 * never guesses.
 *
 * Contract, checked by a property test against the Effect decoder: `compile(ast)(x)` is true exactly
 * when decoding `x` (with `onExcessProperty: "error"`) succeeds. Callers use "true" to skip the decoder
 * and "false" to run it for the precise rejection. It is only sound for schemas whose decoded value
 * equals their input (no transformations: Type == Encoded); `compile` refuses (falls back on) any node
 * with an encoding, so a transformation added later can never be skipped.
 */
import { Result, Schema, type SchemaAST } from "effect"

export type Validate = (input: unknown) => boolean

/** The options every domain decoder uses: unknown keys are errors (see EventCodec). */
const parseOptions: SchemaAST.ParseOptions = { onExcessProperty: "error" }

/** What a compilation did, for tests and diagnostics: which nodes had to use Effect's decoder. */
export interface CompileReport {
  readonly fallbacks: Array<string>
}

/** Validators that decode their whole node (its checks included) with Effect. */
const wholeNode = new WeakSet<Validate>()

const fallback = (ast: SchemaAST.AST, report: CompileReport | undefined, why: string): Validate => {
  report?.fallbacks.push(`${ast._tag}: ${why}`)
  const decode = Schema.decodeUnknownResult(Schema.make<Schema.Codec<unknown>>(ast), parseOptions)
  const validate: Validate = (input) => Result.isSuccess(decode(input))
  wholeNode.add(validate)
  return validate
}

/** Flattens `checks` (FilterGroups run every member) into the filters in the order Effect runs them. */
const filtersOf = (checks: SchemaAST.Checks | undefined): Array<SchemaAST.Filter<unknown>> => {
  const out: Array<SchemaAST.Filter<unknown>> = []
  const go = (list: ReadonlyArray<SchemaAST.Check<unknown>>) => {
    for (const check of list) {
      if (check._tag === "Filter") out.push(check)
      else go(check.checks)
    }
  }
  if (checks !== undefined) go(checks)
  return out
}

/** The node's own checks, run after its structure matched; each is the schema's filter, unchanged. */
const withChecks = (ast: SchemaAST.AST, structural: Validate): Validate => {
  const filters = filtersOf(ast.checks)
  if (filters.length === 0) return structural
  return (input) => {
    if (!structural(input)) return false
    for (let i = 0; i < filters.length; i++) {
      const filter = filters[i]
      if (filter !== undefined && filter.run(input, ast, parseOptions) !== undefined) return false
    }
    return true
  }
}

const isPlainRecord = (input: unknown): input is Record<PropertyKey, unknown> =>
  typeof input === "object" && input !== null && !Array.isArray(input)

/** Effect reads a declared key when `key in input` (own or inherited), except `__proto__` (own only). */
const hasKey = (input: object, key: PropertyKey): boolean =>
  key === "__proto__" ? Object.hasOwn(input, key) : key in input

/** An enumerable own symbol key is an excess key (strings are checked by the caller). */
const hasEnumerableSymbol = (input: object): boolean => {
  const symbols = Object.getOwnPropertySymbols(input)
  for (const symbol of symbols) if (Object.prototype.propertyIsEnumerable.call(input, symbol)) return true
  return false
}

const compileStruct = (ast: SchemaAST.Objects, report: CompileReport | undefined): Validate => {
  const props = ast.propertySignatures.map((ps) => ({
    name: ps.name,
    optional: ps.type.context?.isOptional === true,
    validate: compileNode(ps.type, report)
  }))
  const declared = new Set<string>()
  for (const ps of ast.propertySignatures) declared.add(String(ps.name))
  return (input) => {
    if (!isPlainRecord(input)) return false
    for (let i = 0; i < props.length; i++) {
      const prop = props[i]
      if (prop === undefined) continue
      if (hasKey(input, prop.name)) {
        if (!prop.validate(input[prop.name])) return false
      } else if (!prop.optional) {
        return false
      }
    }
    // Excess keys: only enumerable own keys count (as in Effect); for-in is allocation-free.
    for (const key in input) {
      if (!declared.has(key) && Object.hasOwn(input, key)) return false
    }
    return !hasEnumerableSymbol(input)
  }
}

const compileRecord = (index: SchemaAST.IndexSignature, report: CompileReport | undefined) => {
  const key = compileNode(index.parameter, report)
  const value = compileNode(index.type, report)
  const validate: Validate = (input) => {
    if (!isPlainRecord(input)) return false
    for (const name in input) {
      if (!Object.hasOwn(input, name)) continue
      if (!key(name) || !value(input[name])) return false
    }
    return !hasEnumerableSymbol(input)
  }
  return validate
}

const compileObjects = (ast: SchemaAST.Objects, report: CompileReport | undefined): Validate => {
  const [index, ...moreIndexes] = ast.indexSignatures
  if (index === undefined) {
    return ast.propertySignatures.length === 0
      ? fallback(ast, report, "an object with no fields")
      : compileStruct(ast, report)
  }
  // A record: one index signature over plain string keys (a symbol, number or template key, or a struct
  // with a record, has key rules the compiler does not reproduce).
  if (moreIndexes.length > 0 || ast.propertySignatures.length > 0 || index.parameter._tag !== "String") {
    return fallback(ast, report, "a record with several index signatures or fields")
  }
  return compileRecord(index, report)
}

const compileArrays = (ast: SchemaAST.Arrays, report: CompileReport | undefined): Validate => {
  const [item, ...more] = ast.rest
  if (ast.elements.length > 0 || item === undefined || more.length > 0) {
    return fallback(ast, report, "a tuple")
  }
  const validate = compileNode(item, report)
  return (input) => {
    if (!Array.isArray(input)) return false
    for (let i = 0; i < input.length; i++) if (!validate(input[i])) return false
    return true
  }
}

const compileUnion = (ast: SchemaAST.Union, report: CompileReport | undefined): Validate => {
  const oneOf = ast.options?.mode === "oneOf"
  // A union of string literals (enums, currencies) is one Set lookup; `===` and Set agree on strings.
  if (
    !oneOf &&
    ast.types.every((t) => t._tag === "Literal" && typeof t.literal === "string" && simple(t) && t.checks === undefined)
  ) {
    const allowed = new Set<unknown>(ast.types.map((t) => (t._tag === "Literal" ? t.literal : undefined)))
    return (input) => typeof input === "string" && allowed.has(input)
  }
  const members = ast.types.map((t) => compileNode(t, report))
  if (oneOf) {
    return (input) => {
      let matches = 0
      for (let i = 0; i < members.length; i++) if (members[i]?.(input) === true) matches++
      return matches === 1
    }
  }
  return (input) => {
    for (let i = 0; i < members.length; i++) if (members[i]?.(input) === true) return true
    return false
  }
}

/** No transformation on the node: the decoded value is the input. */
const simple = (ast: SchemaAST.AST): boolean => ast.encoding === undefined

const compileStructure = (ast: SchemaAST.AST, report: CompileReport | undefined): Validate => {
  switch (ast._tag) {
    case "String":
      return (input) => typeof input === "string"
    case "Number":
      return (input) => typeof input === "number"
    case "Boolean":
      return (input) => typeof input === "boolean"
    case "Null":
      return (input) => input === null
    case "Literal": {
      const literal = ast.literal
      return (input) => input === literal
    }
    case "Objects":
      return compileObjects(ast, report)
    case "Arrays":
      return compileArrays(ast, report)
    case "Union":
      return compileUnion(ast, report)
    default:
      return fallback(ast, report, "not compiled")
  }
}

const compileNode = (ast: SchemaAST.AST, report: CompileReport | undefined): Validate => {
  if (!simple(ast)) return fallback(ast, report, "has a transformation")
  const structural = compileStructure(ast, report)
  // A fallback already ran the node's checks (it decodes the whole node).
  return wholeNode.has(structural) ? structural : withChecks(ast, structural)
}

/**
 * Compiles `ast` to a validator that agrees with `Schema.decodeUnknownResult(schema, { onExcessProperty:
 * "error" })` succeeding. Pass a `report` to learn which nodes fell back on Effect's decoder.
 */
export const compile = (ast: SchemaAST.AST, report?: CompileReport): Validate => compileNode(ast, report)

/**
 * A type guard for a schema whose decoded type is its encoded type, so an input that passes IS the value
 * the decoder would have produced (structurally: the decoder would return a copy).
 */
export const makeGuard = <S extends Schema.Top>(
  schema: S & SameTypeAndEncoded<S>
): ((input: unknown) => input is S["Type"]) => {
  const validate = compile(schema.ast)
  return (input: unknown): input is S["Type"] => validate(input)
}

/** `unknown` when a schema's Type and Encoded are the same type, else `never` (the argument is refused). */
export type SameTypeAndEncoded<S extends Schema.Top> = [S["Type"]] extends [S["Encoded"]]
  ? [S["Encoded"]] extends [S["Type"]]
    ? unknown
    : never
  : never
