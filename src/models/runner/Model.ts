/**
 * How a model is declared. Each model is two files side by side in
 * `src/models/sql/<layer>/`: `<name>.sql` (the SELECT, in the template syntax of Template.ts) and
 * `<name>.ts`, whose default export is `defineModel({...})`:
 *
 * ```ts
 * export default defineModel({
 *   name: "stg_events",                       // = the file names and the warehouse relation
 *   layer: "staging",                         // staging | intermediate | marts (= the folder)
 *   materialized: "incremental",              // view | table | incremental
 *   uniqueKey: ["event_id"],                  // incremental only: delete+insert on these columns
 *   description: "One row per event_id …",   // the exact definition, shown in the docs
 *   columns: {
 *     event_id: { description: "…", tests: [unique(), notNull()] },
 *     event_type: { description: "…", tests: [acceptedValues(EVENT_TYPES)] },
 *     user_id: { description: "…", tests: [relationships("dim_users", "user_id", { severity: "warn" })] }
 *   },
 *   tests: [{ name: "no_future_events", sql: "SELECT * FROM {{ this }} WHERE occurred_at > now()" }],
 *   vars: { session_gap_ms: SESSION_GAP_MS }  // {{ var('session_gap_ms') }} in the SQL and its tests
 * })
 * ```
 *
 * `vars` (dbt's `var()`) carry constants from `src/domain` into the SQL, so that a rule the stream and
 * the models share (the session gap, a funnel's steps) is written once: each renders as a SQL literal
 * (`sqlLiteral`): numbers and booleans as they are, strings quoted, arrays as DuckDB lists and records
 * as structs, nested as deep as needed.
 *
 * Generic tests have dbt's semantics: a test selects failing rows and passes when there are none.
 * `not_null` fails on NULLs; for `unique`, `accepted_values` and `relationships` a NULL passes
 * (`unique` ignores NULLs, `accepted_values` only checks non-NULL values, `relationships` only checks
 * non-NULL child values against the parent). A singular test is SQL that selects failing rows; it may use
 * `{{ this }}` and `{{ ref('…') }}`. Severity `warn` reports failures without failing `models test`.
 *
 * Every model is listed in `src/models/sql/index.ts` (a test checks every `.sql` has a declaration and
 * the reverse).
 */
export const LAYERS = ["staging", "intermediate", "marts"] as const
export type ModelLayer = (typeof LAYERS)[number]

export const MATERIALIZATIONS = ["view", "table", "incremental"] as const
export type Materialization = (typeof MATERIALIZATIONS)[number]

export type Severity = "error" | "warn"

export type AcceptedValue = string | number | boolean

/** A generic column test (dbt's built-ins). */
export type GenericTest =
  | { readonly type: "unique"; readonly severity: Severity }
  | { readonly type: "not_null"; readonly severity: Severity }
  | { readonly type: "accepted_values"; readonly values: ReadonlyArray<AcceptedValue>; readonly severity: Severity }
  | { readonly type: "relationships"; readonly to: string; readonly field: string; readonly severity: Severity }

export interface TestOptions {
  readonly severity?: Severity
}

export const unique = (options: TestOptions = {}): GenericTest => ({
  type: "unique",
  severity: options.severity ?? "error"
})

export const notNull = (options: TestOptions = {}): GenericTest => ({
  type: "not_null",
  severity: options.severity ?? "error"
})

/** Non-NULL values must be one of `values` (e.g. the catalog's `EVENT_TYPES`). */
export const acceptedValues = (values: ReadonlyArray<AcceptedValue>, options: TestOptions = {}): GenericTest => ({
  type: "accepted_values",
  values,
  severity: options.severity ?? "error"
})

/** Every non-NULL value must exist in `to`.`field` (`to` is a model name). */
export const relationships = (to: string, field: string, options: TestOptions = {}): GenericTest => ({
  type: "relationships",
  to,
  field,
  severity: options.severity ?? "error"
})

/** A constant a model's SQL reads with `{{ var('name') }}`. */
export type VarValue = string | number | boolean | ReadonlyArray<VarValue> | { readonly [key: string]: VarValue }

/** The SQL literal of a var: `'text'`, `42`, `TRUE`, `['a', 'b']`, `{'k': 1}`. */
export const sqlLiteral = (value: VarValue): string => {
  if (typeof value === "string") return `'${value.replaceAll("'", "''")}'`
  if (typeof value === "number") return String(value)
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE"
  if (Array.isArray(value)) return `[${value.map(sqlLiteral).join(", ")}]`
  return `{${Object.entries(value)
    .map(([key, v]) => `${sqlLiteral(key)}: ${sqlLiteral(v)}`)
    .join(", ")}}`
}

const varProblems = (path: string, value: VarValue): ReadonlyArray<string> => {
  if (typeof value === "number") return Number.isFinite(value) ? [] : [`var ${path} must be a finite number`]
  if (typeof value === "string" || typeof value === "boolean") return []
  if (Array.isArray(value)) return value.flatMap((v, i) => varProblems(`${path}[${i}]`, v))
  return Object.entries(value).flatMap(([key, v]) => varProblems(`${path}.${key}`, v))
}

export interface ColumnDeclaration {
  readonly description: string
  readonly tests?: ReadonlyArray<GenericTest>
}

/**
 * The bookkeeping column of the incremental models: `{{ run_started_at }}` of the run that wrote the
 * row. A model finds what changed above it since its own last build as the parent rows loaded after
 * its own latest `_loaded_at` (dbt's `_loaded_at` pattern; runs start strictly one after another).
 */
export const LOADED_AT = "_loaded_at"
export const loadedAtColumn: ColumnDeclaration = {
  description: "when the model run that wrote this row started (run_started_at); incremental bookkeeping"
}

export interface SingularTest {
  /** Unique within the model; the test's id is `<model>.<name>`. */
  readonly name: string
  readonly description?: string
  /** Selects the failing rows. */
  readonly sql: string
  readonly severity?: Severity
}

interface DeclarationBase {
  readonly name: string
  readonly layer: ModelLayer
  readonly description: string
  readonly columns: Readonly<Record<string, ColumnDeclaration>>
  readonly tests?: ReadonlyArray<SingularTest>
  /** Constants for `{{ var('name') }}` in the SQL and the singular tests. */
  readonly vars?: Readonly<Record<string, VarValue>>
}

export type ModelDeclaration =
  | (DeclarationBase & { readonly materialized: "view" | "table" })
  | (DeclarationBase & { readonly materialized: "incremental"; readonly uniqueKey: ReadonlyArray<string> })

/** The literal of one of a declaration's vars; the project loader refuses names it lacks. */
export const varLiteral = (declaration: ModelDeclaration, name: string): string => {
  const value = declaration.vars?.[name]
  return value === undefined ? "NULL" : sqlLiteral(value)
}

/** Model, column and test names: lower-case SQL identifiers that need no quoting. */
export const MODEL_NAME = /^[a-z][a-z0-9_]*$/

/** Types a declaration; the project loader (Project.ts) checks names, descriptions and keys. */
export const defineModel = <const D extends ModelDeclaration>(declaration: D): D => declaration

/** What is wrong with a declaration (nothing when it is valid). */
export const declarationProblems = (declaration: ModelDeclaration): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (!MODEL_NAME.test(declaration.name)) problems.push("the name must match [a-z][a-z0-9_]*")
  if (declaration.description.trim() === "") problems.push("a description is required")
  for (const [column, spec] of Object.entries(declaration.columns)) {
    if (spec.description.trim() === "") problems.push(`column ${column} needs a description`)
    for (const test of spec.tests ?? []) {
      if (test.type === "accepted_values" && test.values.length === 0) {
        problems.push(`column ${column}: accepted_values needs at least one value`)
      }
    }
  }
  if (declaration.materialized === "incremental" && declaration.uniqueKey.length === 0) {
    problems.push("an incremental model needs a uniqueKey")
  }
  for (const [name, value] of Object.entries(declaration.vars ?? {})) {
    if (!MODEL_NAME.test(name)) problems.push(`var name ${name} must match [a-z][a-z0-9_]*`)
    problems.push(...varProblems(name, value))
  }
  const names = new Set<string>()
  for (const test of declaration.tests ?? []) {
    if (!MODEL_NAME.test(test.name)) problems.push(`test name ${test.name} must match [a-z][a-z0-9_]*`)
    if (names.has(test.name)) problems.push(`two singular tests are named ${test.name}`)
    names.add(test.name)
  }
  return problems
}
