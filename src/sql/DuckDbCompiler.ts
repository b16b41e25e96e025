/**
 * The `Statement.Compiler` for DuckDB: `$1, $2, …` placeholders (DuckDB's positional parameters),
 * identifiers in double quotes with embedded quotes doubled and dots splitting qualified names
 * (`sql("main.t")` → `"main"."t"`, as every Effect driver does), `sql.insert` as `(cols) VALUES …`
 * with `RETURNING`, and `sql.updateValues` as PostgreSQL's `(VALUES …) AS alias(cols)`, which DuckDB
 * parses the same way.
 *
 * Effect's `Dialect` has no DuckDB member. The compiler declares `sqlite`: the dialect only chooses
 * SQL in Effect's own helpers, and SQLite's choices are the ones DuckDB accepts (an empty `sql.in`
 * compiles to `IN (SELECT NULL WHERE 1=0)`; PostgreSQL's `= ANY('{}')` is an error in DuckDB).
 */
import { Statement } from "effect/sql"

const quote = Statement.defaultEscape('"')

export const makeCompiler = (transform?: (name: string) => string): Statement.Compiler =>
  Statement.makeCompiler({
    dialect: "sqlite",
    placeholder: (index) => `$${index}`,
    onIdentifier:
      transform === undefined
        ? quote
        : (value, withoutTransform) => (withoutTransform ? quote(value) : quote(transform(value))),
    onRecordUpdate: (placeholders, alias, columns, values, returning) => [
      `(VALUES ${placeholders}) AS ${alias}${columns}${returning === undefined ? "" : ` RETURNING ${returning[0]}`}`,
      returning === undefined ? values.flat() : [...values.flat(), ...returning[1]]
    ],
    onCustom: () => ["", []]
  })

/** One identifier in double quotes (no splitting on dots), for SQL assembled from trusted names. */
export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`

/** A string literal, for trusted text that cannot be a parameter (a path in `read_parquet`, a view body). */
export const quoteString = (value: string): string => `'${value.replaceAll("'", "''")}'`
