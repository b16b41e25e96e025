/**
 * The lake's DuckDB: an in-memory instance (src/sql/DuckDbClient.ts) for the writers' staging tables
 * and Parquet `COPY`s and for queries over the lake's files. It has its own tag because the warehouse
 * role runs another instance (warehouse.duckdb) in the same process.
 */
import { Context, Effect, Layer } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient, type SqlError } from "effect/sql"
import { type DuckDbClientShape, make } from "../sql/DuckDbClient.ts"

export class LakeEngine extends Context.Service<LakeEngine, DuckDbClientShape>()("launchpad/lake/LakeEngine") {
  static readonly layer = Layer.effect(LakeEngine, make({ filename: ":memory:" })).pipe(Layer.provide(Reactivity.layer))
}

/** A row of a lake query: BIGINTs as `bigint` (Kafka offsets, row counts), timestamps as `Date`. */
export type Row = Readonly<Record<string, unknown>>

/** Runs a query on the lake's engine; BIGINTs come back as `bigint`, as the lake's callers expect. */
export const queryRows = (
  engine: DuckDbClientShape,
  sql: string
): Effect.Effect<ReadonlyArray<Row>, SqlError.SqlError> =>
  engine.unsafe<Row>(sql).pipe(Effect.provideService(SqlClient.SafeIntegers, true))

/** Runs statements whose results are of no interest (`COPY … TO`). */
export const runStatement = (engine: DuckDbClientShape, sql: string): Effect.Effect<void, SqlError.SqlError> =>
  Effect.asVoid(engine.unsafe(sql))
