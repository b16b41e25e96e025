/**
 * One DuckDB instance per layer: in memory for the lake writer's staging work, or a database file for
 * the warehouse. Every call borrows its own connection, so temp tables and appenders of concurrent
 * callers never meet; connections are cheap next to the work they do.
 */
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue, type JS } from "@duckdb/node-api"
import { Context, Effect, Layer, Schema } from "effect"

export class DuckDbError extends Schema.TaggedError<DuckDbError>()("DuckDbError", {
  message: Schema.String,
  cause: Schema.Defect()
}) {}

export type Row = Readonly<Record<string, JS>>

export interface DuckDbShape {
  /** Runs `f` on a connection of its own, closed afterwards. */
  readonly use: <A>(what: string, f: (connection: DuckDBConnection) => Promise<A>) => Effect.Effect<A, DuckDbError>
  /** Runs a statement and returns its rows as plain JS values (BIGINT → bigint, timestamps → Date). */
  readonly query: (sql: string, params?: ReadonlyArray<DuckDBValue>) => Effect.Effect<ReadonlyArray<Row>, DuckDbError>
  /** Runs statements that return nothing of interest. */
  readonly run: (sql: string) => Effect.Effect<void, DuckDbError>
}

export interface DuckDbOptions {
  /** Database file; in memory when absent. */
  readonly path?: string
  /** DuckDB settings (`threads`, `memory_limit`, …). */
  readonly config?: Readonly<Record<string, string>>
}

/** Escapes a string as a SQL literal (paths in COPY and read_parquet cannot be bound as parameters). */
export const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`

/** Quotes an identifier. */
export const sqlIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`

const make = (options: DuckDbOptions) =>
  Effect.gen(function* () {
    const instance = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => DuckDBInstance.create(options.path, { ...options.config }),
        catch: (cause) => new DuckDbError({ message: `cannot open DuckDB ${options.path ?? ":memory:"}`, cause })
      }),
      (instance) => Effect.sync(() => instance.closeSync())
    )

    const use = <A>(what: string, f: (connection: DuckDBConnection) => Promise<A>) =>
      Effect.acquireUseRelease(
        Effect.tryPromise({
          try: () => instance.connect(),
          catch: (cause) => new DuckDbError({ message: "cannot connect to DuckDB", cause })
        }),
        (connection) =>
          Effect.tryPromise({
            try: () => f(connection),
            catch: (cause) =>
              new DuckDbError({ message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
          }),
        (connection) => Effect.sync(() => connection.closeSync())
      )

    const query = Effect.fn("DuckDb.query")(function* (sql: string, params?: ReadonlyArray<DuckDBValue>) {
      const reader = yield* use("query", (connection) =>
        connection.runAndReadAll(sql, params === undefined ? undefined : [...params])
      )
      return reader.getRowObjectsJS()
    })

    const run = Effect.fn("DuckDb.run")(function* (sql: string) {
      yield* use("run", (connection) => connection.run(sql))
    })

    return DuckDb.of({ use, query, run })
  })

export class DuckDb extends Context.Service<DuckDb, DuckDbShape>()("launchpad/lake/DuckDb") {
  /** An instance with the given file (or in memory), closed with the layer's scope. */
  static readonly layerWith = (options: DuckDbOptions) => Layer.effect(DuckDb, make(options))

  /** In memory: the lake writer's staging area and the reader's query engine. */
  static readonly layer = DuckDb.layerWith({})
}
