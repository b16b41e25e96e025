/**
 * Data tests as SQL that selects failing rows (dbt's convention), with dbt's NULL rules:
 *
 * | test              | failing rows                                                                 |
 * | ----------------- | ---------------------------------------------------------------------------- |
 * | `not_null`        | rows where the column is NULL                                                 |
 * | `unique`          | non-NULL values that occur more than once (one row per value, with its count) |
 * | `accepted_values` | non-NULL values outside the list (one row per value, with its count)          |
 * | `relationships`   | rows whose non-NULL value has no match in the parent model's field           |
 * | singular          | whatever the test's SQL selects                                               |
 *
 * Accepted values come from trusted declarations and are written into the SQL as literals, so the stored
 * SQL of a result can be run as it is.
 */
import { quoteIdentifier, quoteString } from "../../sql/DuckDbCompiler.ts"
import { type AcceptedValue, type GenericTest, type Severity, varLiteral } from "./Model.ts"
import type { ModelNode } from "./Project.ts"
import { renderTemplate } from "./Template.ts"

export type DataTestType = GenericTest["type"] | "singular"

export interface DataTest {
  /** `<type>.<model>.<column>` (`relationships` adds `.<to>`), or `singular.<model>.<name>`. */
  readonly testId: string
  readonly model: string
  readonly column: string | null
  readonly type: DataTestType
  readonly severity: Severity
  /** Selects the failing rows. */
  readonly sql: string
}

const literal = (value: AcceptedValue): string => (typeof value === "string" ? quoteString(value) : String(value))

const genericSql = (model: string, column: string, test: GenericTest): string => {
  const table = quoteIdentifier(model)
  const col = quoteIdentifier(column)
  switch (test.type) {
    case "not_null":
      return `SELECT * FROM ${table} WHERE ${col} IS NULL`
    case "unique":
      return (
        `SELECT ${col} AS unique_field, count(*) AS n_records FROM ${table} ` +
        `WHERE ${col} IS NOT NULL GROUP BY ${col} HAVING count(*) > 1`
      )
    case "accepted_values":
      return (
        `SELECT ${col} AS value_field, count(*) AS n_records FROM ${table} ` +
        `WHERE ${col} IS NOT NULL AND ${col} NOT IN (${test.values.map(literal).join(", ")}) GROUP BY ${col}`
      )
    case "relationships":
      return (
        `SELECT child.${col} AS from_field FROM ${table} AS child ` +
        `LEFT JOIN ${quoteIdentifier(test.to)} AS parent ON child.${col} = parent.${quoteIdentifier(test.field)} ` +
        `WHERE child.${col} IS NOT NULL AND parent.${quoteIdentifier(test.field)} IS NULL`
      )
  }
}

/** `<type>.<model>.<column>`, plus `.<to>` for `relationships`. */
export const genericTestId = (model: string, column: string, test: GenericTest): string =>
  `${test.type}.${model}.${column}${test.type === "relationships" ? `.${test.to}` : ""}`

export const singularTestId = (model: string, name: string): string => `singular.${model}.${name}`

/** Every data test of a model, generic ones in column order, then singular ones. */
export const dataTestsOf = (node: ModelNode): ReadonlyArray<DataTest> => [
  ...Object.entries(node.declaration.columns).flatMap(([column, spec]) =>
    (spec.tests ?? []).map(
      (test): DataTest => ({
        testId: genericTestId(node.name, column, test),
        model: node.name,
        column,
        type: test.type,
        severity: test.severity,
        sql: genericSql(node.name, column, test)
      })
    )
  ),
  ...node.tests.map(
    (test): DataTest => ({
      testId: singularTestId(node.name, test.name),
      model: node.name,
      column: null,
      type: "singular",
      severity: test.severity,
      sql: renderTemplate(test.nodes, {
        ref: quoteIdentifier,
        // The project loader refuses sources in tests.
        source: () => "(SELECT NULL WHERE false)",
        this: quoteIdentifier(node.name),
        var: (name) => varLiteral(node.declaration, name),
        isIncremental: false,
        // Tests read models; none stamps rows.
        runStartedAt: "CAST(NULL AS TIMESTAMPTZ)"
      }).trim()
    })
  )
]
