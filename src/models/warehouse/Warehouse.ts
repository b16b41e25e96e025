/**
 * The warehouse database: `<dataDir>/warehouse.duckdb`, opened once per process through the
 * `effect/sql` DuckDB driver (src/sql/DuckDbClient.ts), which provides both `DuckDbClient` and
 * `SqlClient`: every read and write of the warehouse — the KPI sink and queries, the model runner,
 * the reports — goes through it. DuckDB lets one process open a file for writing (a second `launchpad
 * serve` fails to start with a lock error, which is what the design's "warehouse: 1 instance" relies
 * on), and inside the process the driver serializes writes through one writer permit, so concurrent
 * upserts never conflict.
 */
import * as path from "node:path"
import { Effect, Layer, Option } from "effect"
import { Settings } from "../../domain/Settings.ts"
import { DuckDbClient } from "../../sql/DuckDbClient.ts"

export const WAREHOUSE_FILE = "warehouse.duckdb"

export const Warehouse = {
  /** A warehouse in an explicit file (tests, tools); its directory is created. */
  layerFile: (file: string) => DuckDbClient.layer({ filename: file }),

  /** `<LAUNCHPAD_DATA_DIR>/warehouse.duckdb`, within `LAUNCHPAD_WAREHOUSE_MEMORY_LIMIT` when set. */
  layer: Layer.unwrap(
    Effect.map(Settings, (settings) =>
      DuckDbClient.layer({
        filename: path.join(settings.dataDir, WAREHOUSE_FILE),
        memoryLimit: Option.getOrUndefined(settings.warehouseMemoryLimit)
      })
    )
  )
} as const
