/**
 * The warehouse database: `<dataDir>/warehouse.duckdb`, opened once per process. DuckDB lets one
 * process open a file for writing (a second `launchpad serve` fails to start with a lock error, which
 * is what the design's "warehouse: 1 instance" relies on), and inside the process writes are
 * serialized here so that concurrent upserts never conflict on the same rows.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api"
import { Context, Effect, Layer, Semaphore } from "effect"
import { Settings } from "../../domain/Settings.ts"
import { DuckDb, type DuckDbError, type Row } from "../../lake/DuckDb.ts"

export const WAREHOUSE_FILE = "warehouse.duckdb"

export interface WarehouseShape {
  /** The database file. */
  readonly path: string
  /** Reads; any number may run beside each other and beside a write. */
  readonly query: (sql: string, params?: ReadonlyArray<DuckDBValue>) => Effect.Effect<ReadonlyArray<Row>, DuckDbError>
  /** Runs `f` inside one transaction, one writer at a time; rolled back when `f` throws. */
  readonly transaction: <A>(
    what: string,
    f: (connection: DuckDBConnection) => Promise<A>
  ) => Effect.Effect<A, DuckDbError>
}

const inTransaction = async <A>(connection: DuckDBConnection, f: (connection: DuckDBConnection) => Promise<A>) => {
  await connection.run("BEGIN TRANSACTION")
  try {
    const result = await f(connection)
    await connection.run("COMMIT")
    return result
  } catch (error) {
    await connection.run("ROLLBACK").catch(() => undefined)
    throw error
  }
}

const make = (file: string) =>
  Effect.gen(function* () {
    const duck = yield* DuckDb
    const writer = yield* Semaphore.make(1)
    return Warehouse.of({
      path: file,
      query: duck.query,
      transaction: (what, f) => writer.withPermit(duck.use(what, (connection) => inTransaction(connection, f)))
    })
  })

export class Warehouse extends Context.Service<Warehouse, WarehouseShape>()("launchpad/models/Warehouse") {
  /** A warehouse in an explicit file (tests, tools); its directory is created. */
  static readonly layerFile = (file: string): Layer.Layer<Warehouse, DuckDbError> =>
    Layer.effect(Warehouse, make(file)).pipe(
      Layer.provide(
        Layer.unwrap(
          Effect.sync(() => {
            fs.mkdirSync(path.dirname(file), { recursive: true })
            // Kept private: the lake's in-memory DuckDb may live in the same process under the same key.
            return DuckDb.layerWith({ path: file })
          })
        )
      )
    )

  /** `<LAUNCHPAD_DATA_DIR>/warehouse.duckdb`. */
  static readonly layer: Layer.Layer<Warehouse, DuckDbError, Settings> = Layer.unwrap(
    Effect.map(Settings, (settings) => Warehouse.layerFile(path.join(settings.dataDir, WAREHOUSE_FILE)))
  )
}
