/**
 * Literals spliced into SQL text where DuckDB takes no parameter (file paths in `COPY` and
 * `read_parquet`, identifiers built from names the code owns). Values from requests are always bound
 * parameters, never spliced.
 */

/** A string as a SQL literal. */
export const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`

/** A quoted identifier. */
export const sqlIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`
