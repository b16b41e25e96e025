/**
 * Versioned changes to the warehouse's own tables (the models' tables are rebuilt by the runner and
 * need none). Each migration runs once, in order, inside a transaction that also records it in
 * `_launchpad_migrations`; a database written before this table existed replays the first migration,
 * which was written (`CREATE … IF NOT EXISTS`) to accept the tables that version created. A migration
 * is never edited once released: a change is a new one.
 */
import { Clock, Effect } from "effect"
import { SqlClient, type SqlError } from "effect/sql"

export interface Migration {
  /** `NNNN_what`, sorted by name. */
  readonly name: string
  readonly up: Effect.Effect<void, SqlError.SqlError, SqlClient.SqlClient>
}

/** Applies the migrations not yet recorded; returns the names it applied. */
export const migrate = Effect.fn("Warehouse.migrate")(function* (migrations: ReadonlyArray<Migration>) {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(
    "CREATE TABLE IF NOT EXISTS _launchpad_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
  )
  const applied = new Set(
    (yield* sql.unsafe<{ readonly name: string }>("SELECT name FROM _launchpad_migrations")).map((row) => row.name)
  )
  const done: Array<string> = []
  for (const migration of [...migrations].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (applied.has(migration.name)) continue
    const now = yield* Clock.currentTimeMillis
    yield* sql.withTransaction(
      Effect.andThen(
        migration.up,
        sql.unsafe("INSERT INTO _launchpad_migrations VALUES ($1, $2)", [migration.name, new Date(now)])
      )
    )
    yield* Effect.logInfo(`warehouse: applied migration ${migration.name}`)
    done.push(migration.name)
  }
  return done
})
