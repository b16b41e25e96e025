/**
 * An `effect/sql` driver for DuckDB over `@duckdb/node-api`, shaped like Effect's official SQLite and
 * PostgreSQL drivers: `make` / `layer` provide both `DuckDbClient` and the generic `SqlClient`, so code
 * written against `SqlClient` (the `sql` template, `sql.in`, `sql.insert`, identifiers, `sql.unsafe`,
 * `SqlSchema`, `withTransaction`, `.stream`) runs on DuckDB unchanged.
 *
 * - **One instance per layer**: a database file (its directory is created) or `:memory:`, with
 *   `threads`, `memoryLimit` and any other DuckDB setting; every connection's session time zone is
 *   `timeZone` (UTC unless set), so timestamps and dates read the way the lake writes them. Closing the
 *   layer closes the instance and releases the file.
 * - **Connections**: DuckDB allows many connections in one process and runs reads beside a writer
 *   (MVCC: a read sees the last committed state). Every statement outside a transaction borrows a
 *   connection of its own. A statement DuckDB classifies as a read (`SELECT`, `EXPLAIN`) runs at once;
 *   any other statement (and any multi-statement text) first takes the client's single **writer permit**,
 *   so writes never conflict with each other (DuckDB's optimistic concurrency would abort one of two
 *   transactions touching the same rows).
 * - **Transactions**: `sql.withTransaction(effect)` takes the writer permit, pins one connection
 *   for the whole effect, and commits on success; it rolls back on failure and on interruption (a
 *   running statement is interrupted first). DuckDB has no `SAVEPOINT`, so a nested `withTransaction`
 *   fails with a SqlError saying so instead of silently joining the outer transaction; the outer
 *   transaction then rolls back unless the caller handles that error.
 * - **Streaming**: `sql\`…\`.stream` runs the query as a DuckDB streaming result and pulls one data chunk
 *   (2,048 rows) at a time, so only a chunk is held in memory. The connection (and the writer permit, for
 *   a write) is held until the stream ends. Inside a transaction a stream uses the transaction's
 *   connection: finish it before the next statement of that transaction.
 * - **Values**: see DuckDbValues.ts (BIGINT → number, or bigint with `SqlClient.SafeIntegers`; dates and
 *   timestamps ↔ `Date`; LIST ↔ arrays; STRUCT ↔ objects; MAP → objects, `Map` → MAP).
 * - **Errors**: a `SqlError` whose message holds the operation, DuckDB's message and a summary of the
 *   statement, never the bound values (a value DuckDB quotes in its message is replaced by `$n`).
 * - **Raw DuckDB**: `withConnection` lends a connection of its own (staging tables, appenders,
 *   `COPY … TO` files, `read_parquet` reads); `withWriter` lends the writer connection: inside
 *   `withTransaction` the transaction's connection, otherwise a connection under the writer permit.
 * - `sql\`…\`.raw` yields `{ rowsChanged, rows }`.
 * - A `SET` outside a transaction lasts only for its borrowed connection: give instance-wide settings in
 *   the config (or run `SET GLOBAL`).
 *
 * The dialect is declared as `sqlite`; see DuckDbCompiler.ts. `Migrator` and `SqlModel` are untested here.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBInstance as DuckDBInstanceType,
  type DuckDBPreparedStatement,
  type DuckDBResult,
  ResultReturnType,
  StatementType
} from "@duckdb/node-api"
import { Context, Effect, Layer, Option, type Scope, Semaphore, Stream } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient, type SqlConnection, SqlError, Statement } from "effect/sql"
import { makeCompiler } from "./DuckDbCompiler.ts"
import {
  bindParameters,
  chunkColumns,
  columnsToArrays,
  columnsToRows,
  type IntegerMode,
  type ResultShape,
  UnbindableValue,
  UnsafeInteger
} from "./DuckDbValues.ts"

export interface DuckDbClientConfig {
  /** Database file, or `:memory:` (the default). The file's directory is created. */
  readonly filename?: string | undefined
  /** DuckDB worker threads (DuckDB's default: the number of cores). */
  readonly threads?: number | undefined
  /** DuckDB's memory limit, e.g. `"2GB"` (DuckDB's default: 80 % of RAM). */
  readonly memoryLimit?: string | undefined
  /** Session time zone of every connection; `"UTC"` unless set. */
  readonly timeZone?: string | undefined
  /** Other DuckDB settings applied when the instance opens, e.g. `{ preserve_insertion_order: "false" }`. */
  readonly settings?: Readonly<Record<string, string>> | undefined
  readonly spanAttributes?: Readonly<Record<string, unknown>> | undefined
  readonly transformResultNames?: ((name: string) => string) | undefined
  readonly transformQueryNames?: ((name: string) => string) | undefined
}

/** What `sql\`…\`.raw` yields. */
export interface DuckDbRawResult {
  /** Rows inserted, updated or deleted (0 for a query). */
  readonly rowsChanged: number
  readonly rows: ReadonlyArray<Record<string, unknown>>
}

export interface DuckDbClientShape extends SqlClient.SqlClient {
  readonly config: DuckDbClientConfig
  /**
   * Runs `f` on a connection of its own, closed afterwards; no writer permit. For work DuckDB keeps per
   * connection (temp tables, appenders) or outside the database (`COPY … TO` a file, `read_parquet`).
   * Writing to the database's tables here bypasses the writer: use `withWriter` for that.
   */
  readonly withConnection: <A>(
    what: string,
    f: (connection: DuckDBConnection) => Promise<A>
  ) => Effect.Effect<A, SqlError.SqlError>
  /**
   * Runs `f` on the writer connection: inside `withTransaction`, the transaction's connection (so raw
   * work, e.g. an appender, commits or rolls back with it); otherwise a connection of its own under the
   * writer permit, in autocommit mode.
   */
  readonly withWriter: <A>(
    what: string,
    f: (connection: DuckDBConnection) => Promise<A>
  ) => Effect.Effect<A, SqlError.SqlError>
}

const READ_STATEMENTS: ReadonlySet<StatementType> = new Set([StatementType.SELECT, StatementType.EXPLAIN])

const SUMMARY_LENGTH = 160

/** The statement as it appears in error messages: whitespace collapsed, cut at 160 characters. */
export const statementSummary = (sql: string): string => {
  const flat = sql.replace(/\s+/g, " ").trim()
  return flat.length > SUMMARY_LENGTH ? `${flat.slice(0, SUMMARY_LENGTH - 1)}…` : flat
}

/** DuckDB's message; the node API prefixes a parse failure of a statement list with its own words. */
const errorText = (cause: unknown): string =>
  (cause instanceof Error ? cause.message : String(cause)).replace(/^Failed to extract statements: /, "")

/** DuckDB's message with every quoted occurrence of a bound string parameter replaced by its `$n`. */
const redact = (message: string, params: ReadonlyArray<unknown>): string =>
  params.reduce<string>((text, param, i) => {
    if (typeof param !== "string" || param.length === 0) return text
    return text.replaceAll(`'${param}'`, `$${i + 1}`).replaceAll(`"${param}"`, `$${i + 1}`)
  }, message)

const classify = (
  message: string,
  options: { readonly cause: Error; readonly message: string; readonly operation: string }
) => {
  if (/^(Parser|Binder|Catalog|Syntax) Error/.test(message)) return new SqlError.SqlSyntaxError(options)
  if (/^Constraint Error: Duplicate key/.test(message)) {
    const constraint = /violates (.+?) constraint/.exec(message)?.[1] ?? "unique"
    return new SqlError.UniqueViolation({ ...options, constraint })
  }
  if (/^Constraint Error/.test(message)) return new SqlError.ConstraintError(options)
  if (/^TransactionContext Error: .*[Cc]onflict/.test(message)) return new SqlError.SerializationError(options)
  if (/Could not set lock on file/.test(message)) return new SqlError.ConnectionError(options)
  return new SqlError.UnknownError(options)
}

/** A `SqlError` for a failed statement: operation, DuckDB's (redacted) message, statement summary. */
export const statementError = (
  cause: unknown,
  operation: string,
  sql: string,
  params: ReadonlyArray<unknown> = []
): SqlError.SqlError => {
  const detail = redact(errorText(cause), params)
  const message = `${operation}: ${detail} [statement: ${statementSummary(sql)}]`
  const error = new Error(message)
  if (cause instanceof UnbindableValue || cause instanceof UnsafeInteger) {
    return new SqlError.SqlError({ reason: new SqlError.UnknownError({ cause: error, message, operation }) })
  }
  return new SqlError.SqlError({ reason: classify(detail, { cause: error, message, operation }) })
}

const connectionError = (cause: unknown, message: string, operation: string) =>
  new SqlError.SqlError({
    reason: classify(errorText(cause), {
      cause: new Error(`${message}: ${errorText(cause)}`),
      message: `${message}: ${errorText(cause)}`,
      operation
    })
  })

/**
 * Runs DuckDB work; if the fiber is interrupted, interrupts the connection's running query and waits
 * until the work has stopped, so the connection is idle again (a rollback can follow on it).
 */
const native = <A>(connection: DuckDBConnection, f: () => Promise<A>): Effect.Effect<A, unknown> =>
  Effect.callback<A, unknown>((resume) => {
    let promise: Promise<A>
    try {
      promise = f()
    } catch (error) {
      resume(Effect.fail(error))
      return
    }
    promise.then(
      (value) => resume(Effect.succeed(value)),
      (error: unknown) => resume(Effect.fail(error))
    )
    return Effect.promise(() => {
      connection.interrupt()
      return promise.then(
        () => undefined,
        () => undefined
      )
    })
  })

const integerMode: Effect.Effect<IntegerMode> = Effect.withFiber((fiber) =>
  Effect.succeed(fiber.getRef(SqlClient.SafeIntegers) ? "bigint" : "number")
)

/** Every chunk of a result as converted columns, then rows of the requested form. */
const readAll = async <Row>(
  result: DuckDBResult,
  mode: IntegerMode,
  toRows: (shape: ResultShape, columns: ReadonlyArray<ReadonlyArray<unknown>>, rowCount: number) => Array<Row>
): Promise<Array<Row>> => {
  const shape: ResultShape = { names: result.deduplicatedColumnNames() }
  const rows: Array<Row> = []
  for (;;) {
    const chunk = await result.fetchChunk()
    if (chunk === null || chunk.rowCount === 0) return rows
    for (const row of toRows(shape, chunkColumns(chunk, shape, mode), chunk.rowCount)) rows.push(row)
  }
}

const asArrays = (_: ResultShape, columns: ReadonlyArray<ReadonlyArray<unknown>>, rowCount: number) =>
  columnsToArrays(columns, rowCount)

/** The writer permit as the connections see it: held for the whole lease, or taken per write. */
interface Permit {
  readonly held: boolean
  readonly semaphore: Semaphore.Semaphore
}

const rawConnections = new WeakMap<SqlConnection.Connection, DuckDBConnection>()

const makeConnection = (raw: DuckDBConnection, permit: Permit): SqlConnection.Connection => {
  /** Prepares the (last) statement, binds `params` and hands it to `use`, under the permit for writes. */
  const withPrepared = <A>(
    sql: string,
    params: ReadonlyArray<unknown>,
    use: (prepared: DuckDBPreparedStatement) => Effect.Effect<A, unknown, Scope.Scope>
  ): Effect.Effect<A, unknown, Scope.Scope> =>
    Effect.gen(function* () {
      const extracted = yield* native(raw, () => raw.extractStatements(sql))
      const prepare = (index: number) =>
        Effect.acquireRelease(
          native(raw, () => extracted.prepare(index)),
          (prepared) => Effect.sync(() => prepared.destroySync())
        )
      const bound = (prepared: DuckDBPreparedStatement) =>
        Effect.flatMap(
          Effect.try({
            try: () => {
              const { values, types } = bindParameters(params)
              values.forEach((value, i) => {
                prepared.bindValue(i + 1, value, types[i])
              })
            },
            catch: (error) => error
          }),
          () => use(prepared)
        )
      const takePermit = permit.held ? Effect.void : permit.semaphore.takeScoped(1)
      if (extracted.count === 1) {
        const prepared = yield* prepare(0)
        if (!READ_STATEMENTS.has(prepared.statementType)) yield* takePermit
        return yield* bound(prepared)
      }
      yield* takePermit
      for (let i = 0; i < extracted.count - 1; i++) {
        yield* Effect.scoped(Effect.flatMap(prepare(i), (prepared) => native(raw, () => prepared.run())))
      }
      return yield* bound(yield* prepare(extracted.count - 1))
    })

  const materialize = <A>(
    operation: string,
    sql: string,
    params: ReadonlyArray<unknown>,
    read: (result: DuckDBResult, mode: IntegerMode) => Promise<A>
  ): Effect.Effect<A, SqlError.SqlError> =>
    Effect.scoped(
      Effect.gen(function* () {
        const mode = yield* integerMode
        return yield* withPrepared(sql, params, (prepared) =>
          Effect.flatMap(
            native(raw, () => prepared.run()),
            (result) => native(raw, () => read(result, mode))
          )
        )
      })
    ).pipe(Effect.mapError((cause) => statementError(cause, operation, sql, params)))

  const rows = (result: DuckDBResult, mode: IntegerMode) =>
    result.returnType === ResultReturnType.QUERY_RESULT ? readAll(result, mode, columnsToRows) : Promise.resolve([])

  const connection: SqlConnection.Connection = {
    execute: (sql, params, transformRows) =>
      materialize("execute", sql, params, rows).pipe(
        Effect.map((result) => (transformRows === undefined ? result : transformRows(result)))
      ),
    executeUnprepared: (sql, params, transformRows) =>
      materialize("executeUnprepared", sql, params, rows).pipe(
        Effect.map((result) => (transformRows === undefined ? result : transformRows(result)))
      ),
    executeRaw: (sql, params) =>
      materialize(
        "executeRaw",
        sql,
        params,
        async (result, mode): Promise<DuckDbRawResult> => ({
          rowsChanged: result.rowsChanged,
          rows: await rows(result, mode)
        })
      ),
    executeValues: (sql, params) =>
      materialize("executeValues", sql, params, (result, mode) => readAll(result, mode, asArrays)),
    executeValuesUnprepared: (sql, params) =>
      materialize("executeValuesUnprepared", sql, params, (result, mode) => readAll(result, mode, asArrays)),
    executeStream: (sql, params, transformRows) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const mode = yield* integerMode
          const result = yield* withPrepared(sql, params, (prepared) => native(raw, () => prepared.stream()))
          const shape: ResultShape = { names: result.deduplicatedColumnNames() }
          const nextChunk = native(raw, () => result.fetchChunk()).pipe(
            Effect.flatMap((chunk) =>
              Effect.try({
                try: () => {
                  if (chunk === null || chunk.rowCount === 0) return null
                  const out = columnsToRows(shape, chunkColumns(chunk, shape, mode), chunk.rowCount)
                  return transformRows === undefined ? out : transformRows(out)
                },
                catch: (error) => error
              })
            )
          )
          return Stream.paginate(undefined, () =>
            Effect.map(nextChunk, (chunk) =>
              chunk === null ? ([[], Option.none()] as const) : ([chunk, Option.some(undefined)] as const)
            )
          )
        })
      ).pipe(Stream.mapError((cause) => statementError(cause, "executeStream", sql, params)))
  }
  rawConnections.set(connection, raw)
  return connection
}

/** Creates a DuckDB client for one instance; the instance closes with the scope. */
export const make = (
  config: DuckDbClientConfig
): Effect.Effect<DuckDbClientShape, SqlError.SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function* () {
    const filename = config.filename ?? ":memory:"
    const settings: Record<string, string> = { ...config.settings }
    if (config.threads !== undefined) settings.threads = String(config.threads)
    if (config.memoryLimit !== undefined) settings.memory_limit = config.memoryLimit
    const instance: DuckDBInstanceType = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          if (filename !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true })
          return DuckDBInstance.create(filename, settings)
        },
        catch: (cause) => connectionError(cause, `cannot open DuckDB ${filename}`, "open")
      }),
      (instance) => Effect.sync(() => instance.closeSync())
    )
    const timeZone = config.timeZone ?? "UTC"
    yield* Effect.tryPromise({
      try: async () => {
        const connection = await instance.connect()
        try {
          // GLOBAL: every connection opened later starts in this zone.
          await connection.run(`SET GLOBAL TimeZone = '${timeZone.replaceAll("'", "''")}'`)
        } finally {
          connection.closeSync()
        }
      },
      catch: (cause) => connectionError(cause, `cannot set the time zone ${timeZone}`, "open")
    })

    const writer = yield* Semaphore.make(1)
    const connect = Effect.acquireRelease(
      Effect.tryPromise({
        try: () => instance.connect(),
        catch: (cause) => connectionError(cause, "cannot connect to DuckDB", "connect")
      }),
      (connection) => Effect.sync(() => connection.closeSync())
    )
    const readerPermit: Permit = { held: false, semaphore: writer }
    const writerPermit: Permit = { held: true, semaphore: writer }

    const acquirer: SqlConnection.Acquirer = Effect.map(connect, (raw) => makeConnection(raw, readerPermit))
    const transactionAcquirer: SqlConnection.Acquirer = Effect.gen(function* () {
      yield* writer.takeScoped(1)
      return makeConnection(yield* connect, writerPermit)
    })

    const spanAttributes: Array<readonly [string, unknown]> = [
      ...Object.entries(config.spanAttributes ?? {}),
      ["db.system.name", "duckdb"],
      ["db.namespace", filename]
    ]
    const transformRows =
      config.transformResultNames === undefined
        ? undefined
        : Statement.defaultTransforms(config.transformResultNames).array

    const base = yield* SqlClient.make({
      acquirer,
      transactionAcquirer,
      compiler: makeCompiler(config.transformQueryNames),
      driver: "duckdb",
      spanAttributes,
      beginTransaction: "BEGIN TRANSACTION",
      transformRows
    })

    const nested = new SqlError.SqlError({
      reason: new SqlError.UnknownError({
        cause: new Error("nested transaction"),
        message:
          "withTransaction: DuckDB has no SAVEPOINT, so a transaction cannot be nested in another; " +
          "run the inner work as part of the outer transaction",
        operation: "savepoint"
      })
    })
    const transaction = base.withTransaction
    const withTransaction = <R, E, A>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError.SqlError, R> =>
      Effect.flatMap(Effect.serviceOption(base.transactionService), (open) =>
        Option.isSome(open) ? Effect.fail(nested) : transaction(effect)
      )

    const lend =
      (operation: string) =>
      <A>(raw: DuckDBConnection, what: string, f: (connection: DuckDBConnection) => Promise<A>) =>
        native(raw, () => f(raw)).pipe(
          Effect.mapError((cause) => connectionError(cause, `${operation} (${what})`, operation))
        )

    const withConnection = <A>(what: string, f: (connection: DuckDBConnection) => Promise<A>) =>
      Effect.scoped(Effect.flatMap(connect, (raw) => lend("withConnection")(raw, what, f)))

    const withWriter = <A>(what: string, f: (connection: DuckDBConnection) => Promise<A>) =>
      Effect.flatMap(Effect.serviceOption(base.transactionService), (open) => {
        const pinned = Option.isSome(open) ? rawConnections.get(open.value[0]) : undefined
        return pinned !== undefined
          ? lend("withWriter")(pinned, what, f)
          : writer.withPermit(Effect.scoped(Effect.flatMap(connect, (raw) => lend("withWriter")(raw, what, f))))
      })

    const client: DuckDbClientShape = Object.assign(base, {
      config,
      withTransaction,
      withConnection,
      withWriter
    })
    return client
  })

export class DuckDbClient extends Context.Service<DuckDbClient, DuckDbClientShape>()("launchpad/sql/DuckDbClient") {
  /** `DuckDbClient` and the generic `SqlClient` over one DuckDB instance, closed with the layer. */
  static readonly layer = (
    config: DuckDbClientConfig
  ): Layer.Layer<DuckDbClient | SqlClient.SqlClient, SqlError.SqlError> =>
    Layer.effectContext(
      Effect.map(make(config), (client) =>
        Context.make(DuckDbClient, client).pipe(Context.add(SqlClient.SqlClient, client))
      )
    ).pipe(Layer.provide(Reactivity.layer))
}
