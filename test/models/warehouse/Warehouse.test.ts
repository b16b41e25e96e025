/** The warehouse file opened from the settings: where it lives and the memory limit DuckDB runs under. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { Settings } from "../../../src/domain/Settings.ts"
import { WAREHOUSE_FILE, Warehouse } from "../../../src/models/warehouse/Warehouse.ts"

const memoryLimit = (memory: string | undefined) =>
  Effect.gen(function* () {
    const dataDir = mkdtempSync(path.join(tmpdir(), "launchpad-warehouse-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dataDir, { recursive: true, force: true })))
    const settings = Settings.layerWith({ dataDir, warehouseMemoryLimit: Option.fromUndefinedOr(memory) })
    return yield* Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<{ readonly memory: string; readonly file: string }>`
        SELECT current_setting('memory_limit') AS memory, (SELECT path FROM duckdb_databases() WHERE NOT internal AND database_name <> 'temp' LIMIT 1) AS file`
      return row
    }).pipe(Effect.provide(Layer.fresh(Warehouse.layer.pipe(Layer.provide(settings)))))
  }).pipe(Effect.scoped)

describe("Warehouse.layer", () => {
  it.effect("opens <dataDir>/warehouse.duckdb under LAUNCHPAD_WAREHOUSE_MEMORY_LIMIT when it is set", () =>
    Effect.gen(function* () {
      const limited = yield* memoryLimit("1GB")
      assert.strictEqual(limited?.memory, "953.6 MiB")
      assert.strictEqual(path.basename(limited?.file ?? ""), WAREHOUSE_FILE)
      // Unset: DuckDB's own default, a share of the machine's memory, larger than the limit above.
      const unlimited = yield* memoryLimit(undefined)
      assert.notStrictEqual(unlimited?.memory, "953.6 MiB")
    })
  )
})
