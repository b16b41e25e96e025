/**
 * The flat column list of the lake's `events` table, derived by walking the enriched event schemas:
 * envelope scalars, flattened context, ingest fields, open maps as JSON, one typed `prop_<name>` column
 * per scalar property name across the catalog, and the whole `properties` object as JSON. `toRow`
 * extracts the values in column order for the DuckDB appender. Kafka partition/offset, `is_late` and
 * `processed_at` are the lake writer's to append.
 */
import { Predicate, Schema, SchemaAST } from "effect"
import { catalogEntries, type EnrichedEvent } from "./Catalog.ts"
import { INGEST_FIELD_NAMES } from "./Envelope.ts"
import { epochMillis } from "./Timestamp.ts"

export const DUCKDB_TYPES = ["VARCHAR", "INTEGER", "DOUBLE", "BOOLEAN", "TIMESTAMPTZ", "JSON"] as const
export type DuckDbType = (typeof DUCKDB_TYPES)[number]

export interface Column {
  readonly name: string
  readonly duckdbType: DuckDbType
  readonly nullable: boolean
  /** Path of the value inside an `EnrichedEvent`, e.g. `["context", "device_type"]`. */
  readonly source: ReadonlyArray<string>
  readonly description?: string
}

/**
 * A cell as `toRow` returns it: VARCHAR → string, INTEGER/DOUBLE → number, BOOLEAN → boolean,
 * TIMESTAMPTZ → epoch milliseconds, JSON → JSON text; `null` when the event has no value there.
 */
export type RowValue = string | number | boolean | null

const PROPERTIES = "properties"
const PROPERTY_PREFIX = "prop_"

const isDuckDbType = Schema.is(Schema.Literals(DUCKDB_TYPES))

const hasIntCheck = (checks: SchemaAST.Checks | undefined): boolean =>
  checks?.some((check) =>
    check._tag === "FilterGroup"
      ? hasIntCheck(check.checks)
      : check.annotations?.representation?.id === "effect/schema/isInt"
  ) ?? false

/** The DuckDB type of a scalar schema node, or `undefined` when the node is structured (stored as JSON). */
const scalarType = (ast: SchemaAST.AST): DuckDbType | undefined => {
  const declared = SchemaAST.resolve(ast)?.duckdbType
  if (isDuckDbType(declared)) return declared
  switch (ast._tag) {
    case "String":
      return "VARCHAR"
    case "Number":
      return hasIntCheck(ast.checks) ? "INTEGER" : "DOUBLE"
    case "Boolean":
      return "BOOLEAN"
    case "Literal":
      return typeof ast.literal === "string"
        ? "VARCHAR"
        : typeof ast.literal === "boolean"
          ? "BOOLEAN"
          : Number.isInteger(ast.literal)
            ? "INTEGER"
            : "DOUBLE"
    case "Union": {
      const types = new Set(ast.types.map(scalarType))
      return types.size === 1 ? [...types][0] : undefined
    }
    default:
      return undefined
  }
}

/** Two event types using one property name with different types share a column: numbers widen to DOUBLE, anything else to VARCHAR. */
export const resolveConflict = (a: DuckDbType, b: DuckDbType): DuckDbType => {
  if (a === b) return a
  const numeric = (t: DuckDbType) => t === "INTEGER" || t === "DOUBLE"
  return numeric(a) && numeric(b) ? "DOUBLE" : "VARCHAR"
}

const description = (ast: SchemaAST.AST): { readonly description?: string } => {
  const text = SchemaAST.resolveDescription(ast)
  return text === undefined ? {} : { description: text }
}

const GROUPS = ["envelope", "flattened", "ingest", "json", "property", "properties"] as const
type Group = (typeof GROUPS)[number]

interface Candidate extends Column {
  readonly group: Group
}

const envelopeCandidates = (ast: SchemaAST.Objects): ReadonlyArray<Candidate> =>
  ast.propertySignatures.flatMap((signature): ReadonlyArray<Candidate> => {
    const name = String(signature.name)
    const type = signature.type
    const nullable = SchemaAST.isOptional(type)
    if (name === PROPERTIES) {
      const text = "the whole properties object of the event"
      return [{ name, duckdbType: "JSON", nullable, source: [name], group: "properties", description: text }]
    }
    const scalar = scalarType(type)
    if (scalar !== undefined) {
      const group = INGEST_FIELD_NAMES.includes(name) ? "ingest" : "envelope"
      return [{ name, duckdbType: scalar, nullable, source: [name], group, ...description(type) }]
    }
    if (SchemaAST.isObjects(type) && type.indexSignatures.length === 0) {
      return type.propertySignatures.flatMap((nested): ReadonlyArray<Candidate> => {
        const nestedScalar = scalarType(nested.type)
        return nestedScalar === undefined
          ? []
          : [
              {
                name: `${name}_${String(nested.name)}`,
                duckdbType: nestedScalar,
                nullable: nullable || SchemaAST.isOptional(nested.type),
                source: [name, String(nested.name)],
                group: "flattened",
                ...description(nested.type)
              }
            ]
      })
    }
    return [{ name, duckdbType: "JSON", nullable, source: [name], group: "json", ...description(type) }]
  })

const propertyCandidates = (ast: SchemaAST.Objects): ReadonlyArray<Candidate> =>
  ast.propertySignatures.flatMap((signature): ReadonlyArray<Candidate> => {
    if (String(signature.name) !== PROPERTIES || !SchemaAST.isObjects(signature.type)) return []
    return signature.type.propertySignatures.flatMap((property): ReadonlyArray<Candidate> => {
      const scalar = scalarType(property.type)
      const name = String(property.name)
      return scalar === undefined
        ? []
        : [
            {
              name: `${PROPERTY_PREFIX}${name}`,
              duckdbType: scalar,
              nullable: true,
              source: [PROPERTIES, name],
              group: "property",
              ...description(property.type)
            }
          ]
    })
  })

/**
 * Derives the columns from event schemas (structs with a `properties` struct). The first schema fixes
 * the envelope; property columns are the union over all schemas, sorted by name.
 */
export const deriveColumns = (schemas: ReadonlyArray<Schema.Top>): ReadonlyArray<Column> => {
  const byName = new Map<string, Candidate>()
  for (const schema of schemas) {
    const ast = SchemaAST.toType(schema.ast)
    if (!SchemaAST.isObjects(ast)) continue
    for (const candidate of [...envelopeCandidates(ast), ...propertyCandidates(ast)]) {
      const seen = byName.get(candidate.name)
      byName.set(
        candidate.name,
        seen === undefined
          ? candidate
          : {
              ...seen,
              duckdbType: resolveConflict(seen.duckdbType, candidate.duckdbType),
              nullable: seen.nullable || candidate.nullable
            }
      )
    }
  }
  const candidates = [...byName.values()]
  const rank = (c: Candidate) => GROUPS.indexOf(c.group)
  const ordered = candidates
    .map((candidate, index) => ({ candidate, index }))
    .sort((a, b) =>
      rank(a.candidate) !== rank(b.candidate)
        ? rank(a.candidate) - rank(b.candidate)
        : a.candidate.group === "property"
          ? a.candidate.name.localeCompare(b.candidate.name)
          : a.index - b.index
    )
  return ordered.map(({ candidate: { group: _, ...column } }) => column)
}

/** The columns of the lake's events table, in order. */
export const columns: ReadonlyArray<Column> = deriveColumns(catalogEntries.map((entry) => entry.enriched))

const valueAt = (event: unknown, source: ReadonlyArray<string>): unknown => {
  let current = event
  for (const key of source) {
    if (!Predicate.isObject(current) || !Object.hasOwn(current, key)) return undefined
    current = Reflect.get(current, key)
  }
  return current
}

const toCell = (type: DuckDbType, value: unknown): RowValue => {
  if (value === undefined || value === null) return null
  switch (type) {
    case "JSON":
      return JSON.stringify(value)
    case "TIMESTAMPTZ":
      return typeof value === "string" ? epochMillis(value) : null
    case "VARCHAR":
      // A number or boolean here comes from a property name shared across types (see resolveConflict).
      return typeof value === "string" ? value : JSON.stringify(value)
    case "INTEGER":
    case "DOUBLE":
      return typeof value === "number" ? value : null
    case "BOOLEAN":
      return typeof value === "boolean" ? value : null
  }
}

/** Builds a row extractor for a column list (`columns` unless a test derives its own). */
export const makeToRow =
  (cols: ReadonlyArray<Column>) =>
  (event: unknown): ReadonlyArray<RowValue> =>
    cols.map((column) => toCell(column.duckdbType, valueAt(event, column.source)))

/** The values of one enriched event, in `columns` order. */
export const toRow: (event: EnrichedEvent) => ReadonlyArray<RowValue> = makeToRow(columns)
