/**
 * Building one model in the warehouse:
 *
 * - **view**: `CREATE OR REPLACE VIEW` (dropping a table of the same name in the same transaction).
 * - **table**: the SELECT is written to a private table `__launchpad_build_<name>`, then swapped in one
 *   transaction (drop the old relation, rename the new table). Readers see the old table until the
 *   commit and the new one after: never a half-built or missing table. A failed build leaves the old
 *   table as it was and drops the private one.
 * - **incremental** (`uniqueKey`): when the table exists and the run is not a full refresh,
 *   `is_incremental()` is true; the new rows go to the private table, then in one transaction the
 *   target's rows with those keys are deleted and the new rows inserted (dbt's delete+insert). If the
 *   new rows' columns differ from the table's, the model is rebuilt as a table instead (and says so).
 *   Otherwise (first build, `--full-refresh`, or a view in the way) it is built as a table.
 *   As in dbt, the key need not be unique: it names the rows replaced together (all of a user's rows,
 *   say). A key that no longer has rows (a user merged into another by identify) is deleted by a
 *   **tombstone**: a row with the key and `_deleted = true`; the column `_deleted`, when a model has it,
 *   deletes its key and is never stored.
 *
 * The private tables are written on a connection of their own, beside the warehouse's single writer:
 * no other writer touches them, so independent models build concurrently and the KPI sink is not held
 * up; only the short swap or delete+insert takes the writer. Sources resolve to the lake's live files;
 * a build whose file vanished under it (compaction or retention committed meanwhile) is re-planned
 * (LakeReader.withFiles).
 */
import { Effect, Schema } from "effect"
import type { SqlError } from "effect/sql"
import { type LakeReadError, type LakeReaderShape, relationSql } from "../../lake/LakeReader.ts"
import type { DuckDbClientShape } from "../../sql/DuckDbClient.ts"
import { quoteIdentifier } from "../../sql/DuckDbCompiler.ts"
import { varLiteral } from "./Model.ts"
import type { ModelNode, ModelProjectShape } from "./Project.ts"
import { renderTemplate } from "./Template.ts"

export class ModelBuildError extends Schema.TaggedError<ModelBuildError>()("ModelBuildError", {
  model: Schema.String,
  message: Schema.String
}) {}

export interface BuildOutcome {
  readonly incremental: boolean
  readonly rows: number | null
  readonly rowsAffected: number | null
  readonly message: string | null
}

export const buildTableName = (model: string): string => `__launchpad_build_${model}`

/** The tombstone column (see the module's comment). */
const DELETED_COLUMN = "_deleted"

type RelationKind = "table" | "view" | undefined

/**
 * Resolves a model's sources to their live files for the duration of `use`, re-planned when a listed
 * file vanished under it (withFiles recognises that from the SqlError's message).
 */
const withSources = <A>(
  reader: LakeReaderShape,
  project: ModelProjectShape,
  sources: ReadonlyArray<string>,
  use: (relations: ReadonlyMap<string, string>) => Effect.Effect<A, SqlError.SqlError>
): Effect.Effect<A, LakeReadError> => {
  const resolve = (
    remaining: ReadonlyArray<string>,
    relations: ReadonlyMap<string, string>
  ): Effect.Effect<A, LakeReadError> => {
    const [first, ...rest] = remaining
    if (first === undefined) return use(relations)
    const source = project.sources.get(first)
    // The project loader refuses a model naming an unknown source, so this is a bug.
    if (source === undefined) return Effect.die(new Error(`unknown source ${first}`))
    return reader.withFiles(source.table, (files) =>
      resolve(rest, new Map([...relations, [first, relationSql(source.table, files)]])).pipe(
        Effect.catchTags({
          FileIoError: (error) => Effect.die(error),
          LakeManifestError: (error) => Effect.die(error)
        })
      )
    )
  }
  return resolve(sources, new Map())
}

/** `{{ run_started_at }}`: a TIMESTAMPTZ literal, to the millisecond (runs start at least 1 ms apart). */
export const timestampLiteral = (at: Date): string => `TIMESTAMPTZ '${at.toISOString()}'`

/** The model's SQL in one context. */
export const compileModel = (
  node: ModelNode,
  sources: (id: string) => string,
  isIncremental: boolean,
  runStartedAt: Date
): string =>
  renderTemplate(node.nodes, {
    ref: quoteIdentifier,
    source: (source, name) => sources(`${source}.${name}`),
    this: quoteIdentifier(node.name),
    var: (name) => varLiteral(node.declaration, name),
    isIncremental,
    runStartedAt: timestampLiteral(runStartedAt)
  }).trim()

export const build = (
  duck: DuckDbClientShape,
  reader: LakeReaderShape,
  project: ModelProjectShape,
  node: ModelNode,
  fullRefresh: boolean,
  runStartedAt: Date
): Effect.Effect<BuildOutcome, ModelBuildError> => {
  const target = quoteIdentifier(node.name)
  const staged = quoteIdentifier(buildTableName(node.name))
  const declaration = node.declaration

  const relationKind = Effect.map(
    duck<{ readonly kind: string }>`SELECT CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END AS kind
      FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ${node.name}`,
    ([row]): RelationKind => (row === undefined ? undefined : row.kind === "view" ? "view" : "table")
  )
  const dropExisting = (kind: RelationKind): Effect.Effect<void, SqlError.SqlError> =>
    kind === undefined
      ? Effect.void
      : Effect.asVoid(duck.unsafe(`DROP ${kind === "view" ? "VIEW" : "TABLE"} ${target}`))
  const count = (table: string) =>
    Effect.map(duck.unsafe<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${table}`), ([row]) => row?.n ?? 0)
  const dropStaged = duck.unsafe(`DROP TABLE IF EXISTS ${staged}`).pipe(Effect.ignore)

  /** Writes the compiled SELECT to the private table, on a connection beside the writer. */
  const stage = (isIncremental: boolean) =>
    withSources(reader, project, node.sources, (relations) =>
      duck.withConnection(`build ${node.name}`, (connection) =>
        connection.run(
          `CREATE OR REPLACE TABLE ${staged} AS ${compileModel(node, (id) => relations.get(id) ?? "", isIncremental, runStartedAt)}`
        )
      )
    ).pipe(Effect.onError(() => dropStaged))

  const columnsOf = (table: string) =>
    duck<{ readonly column_name: string; readonly data_type: string }>`SELECT column_name, data_type
      FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ${table}
      ORDER BY column_name`
  /** A table's stored columns as one comparable string, and whether it carries tombstones. */
  const shapeOf = (table: string) =>
    Effect.map(columnsOf(table), (rows) => ({
      columns: rows
        .filter((r) => r.column_name !== DELETED_COLUMN)
        .map((r) => `${r.column_name} ${r.data_type}`)
        .join(", "),
      tombstones: rows.some((r) => r.column_name === DELETED_COLUMN)
    }))
  const deleted = quoteIdentifier(DELETED_COLUMN)

  const asTable = (kind: RelationKind, message: string | null) =>
    Effect.gen(function* () {
      yield* stage(false)
      if ((yield* shapeOf(buildTableName(node.name))).tombstones) {
        yield* duck.unsafe(`DELETE FROM ${staged} WHERE ${deleted}`)
        yield* duck.unsafe(`ALTER TABLE ${staged} DROP COLUMN ${deleted}`)
      }
      yield* duck.withTransaction(
        Effect.andThen(dropExisting(kind), duck.unsafe(`ALTER TABLE ${staged} RENAME TO ${target}`))
      )
      const rows = yield* count(target)
      return { incremental: false, rows, rowsAffected: rows, message } satisfies BuildOutcome
    })

  const incrementally = (uniqueKey: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      yield* stage(true)
      const staging = yield* shapeOf(buildTableName(node.name))
      if (staging.columns !== (yield* shapeOf(node.name)).columns) {
        yield* dropStaged
        return yield* asTable("table", "the model's columns changed since the last build: rebuilt in full")
      }
      const matches = uniqueKey.map((k) => `s.${quoteIdentifier(k)} = ${target}.${quoteIdentifier(k)}`)
      const rows = staging.tombstones
        ? `SELECT * EXCLUDE (${deleted}) FROM ${staged} WHERE ${deleted} IS NOT TRUE`
        : `SELECT * FROM ${staged}`
      const inserted = yield* duck.withTransaction(
        Effect.gen(function* () {
          // A semi-join: DELETE … USING would pair every target row with every staged row of its key, which is
          // quadratic for a key shared by many rows (all of a user's rows; mart_user_segments' one snapshot
          // key: 214k × 214k pairs, 446 s at 10M events).
          yield* duck.unsafe(
            `DELETE FROM ${target} WHERE EXISTS (SELECT 1 FROM ${staged} s WHERE ${matches.join(" AND ")})`
          )
          const raw = yield* duck.unsafe(`INSERT INTO ${target} BY NAME ${rows}`).raw
          yield* duck.unsafe(`DROP TABLE ${staged}`)
          return rowsChanged(raw)
        })
      )
      return {
        incremental: true,
        rows: yield* count(target),
        rowsAffected: inserted,
        message: null
      } satisfies BuildOutcome
    }).pipe(Effect.onError(() => dropStaged))

  const view = (kind: RelationKind) =>
    duck
      .withTransaction(
        Effect.andThen(
          kind === "table" ? dropExisting(kind) : Effect.void,
          duck.unsafe(`CREATE OR REPLACE VIEW ${target} AS ${compileModel(node, () => "", false, runStartedAt)}`)
        )
      )
      .pipe(Effect.as({ incremental: false, rows: null, rowsAffected: null, message: null } satisfies BuildOutcome))

  return Effect.gen(function* () {
    const kind = yield* relationKind
    switch (declaration.materialized) {
      case "view":
        return yield* view(kind)
      case "table":
        return yield* asTable(kind, null)
      case "incremental":
        return kind === "table" && !fullRefresh
          ? yield* incrementally(declaration.uniqueKey)
          : yield* asTable(kind, null)
    }
  }).pipe(Effect.mapError((error) => new ModelBuildError({ model: node.name, message: error.message })))
}

const rowsChanged = (raw: unknown): number =>
  typeof raw === "object" && raw !== null && "rowsChanged" in raw && typeof raw.rowsChanged === "number"
    ? raw.rowsChanged
    : 0
