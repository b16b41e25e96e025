/**
 * `GET /api/v1/export/<mart>.csv|.parquet`: every row of a mart as a file. DuckDB writes the file with
 * `COPY … TO` (its own CSV and Parquet writers: every type written the way DuckDB reads it back) into
 * `<dataDir>/tmp/exports/`, a chunk at a time, and the response streams it from disk and deletes it when
 * the response ends or is cut. Memory stays flat whatever the mart's size; the disk holds one copy per
 * export in flight. Files left by a crash are removed when the warehouse starts.
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Context, Effect, Layer, Schema, Stream } from "effect"
import type { SqlError } from "effect/sql"
import { Settings } from "../../domain/Settings.ts"
import { DuckDbClient } from "../../sql/DuckDbClient.ts"
import { EXPORT_FORMATS, type ExportFormat } from "../api/Reports.ts"
import { ModelProject } from "../runner/Project.ts"
import { MartNotBuilt, ReportParameterError } from "./ReportQueries.ts"

export const CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  csv: "text/csv; charset=utf-8",
  parquet: "application/vnd.apache.parquet"
}

const COPY_OPTIONS: Readonly<Record<ExportFormat, string>> = {
  csv: "FORMAT CSV, HEADER true",
  parquet: "FORMAT PARQUET, COMPRESSION zstd"
}

export class ExportFileError extends Schema.TaggedError<ExportFileError>()("ExportFileError", {
  message: Schema.String
}) {}

export interface MartFile {
  readonly mart: string
  readonly format: ExportFormat
  /** `<mart>.<format>`, for Content-Disposition. */
  readonly fileName: string
  readonly bytes: number
  /** The file's bytes; the file is deleted when the stream ends, fails or is interrupted. */
  readonly body: Stream.Stream<Uint8Array, ExportFileError>
}

export interface MartExportShape {
  /** Writes `<mart>.<format>` (`file`, as the client named it) and lends its stream. */
  readonly export: (
    file: string
  ) => Effect.Effect<MartFile, ReportParameterError | MartNotBuilt | ExportFileError | SqlError.SqlError>
}

const FILE_NAME = /^([a-z][a-z0-9_]*)\.([a-z]+)$/

const make = Effect.gen(function* () {
  const duck = yield* DuckDbClient
  const project = yield* ModelProject
  const settings = yield* Settings
  const directory = path.join(settings.dataDir, "tmp", "exports")
  yield* Effect.tryPromise({
    try: async () => {
      await fs.rm(directory, { recursive: true, force: true })
      await fs.mkdir(directory, { recursive: true })
    },
    catch: (cause) => new ExportFileError({ message: `cannot prepare ${directory}: ${String(cause)}` })
  })
  const marts = [...project.models.values()].filter((m) => m.layer === "marts").map((m) => m.name)

  const parse = (file: string) => {
    const match = FILE_NAME.exec(file)
    const [, mart, format] = match ?? []
    if (mart === undefined || format === undefined || !(EXPORT_FORMATS as ReadonlyArray<string>).includes(format)) {
      return Effect.fail(
        new ReportParameterError({
          parameter: "file",
          message: `file must be <mart>.csv or <mart>.parquet, e.g. fct_funnel.csv; got ${file}`
        })
      )
    }
    if (!marts.includes(mart)) {
      return Effect.fail(
        new ReportParameterError({ parameter: "file", message: `no mart ${mart}; marts: ${marts.join(", ")}` })
      )
    }
    return Effect.succeed({ mart, format: format as ExportFormat })
  }

  const exportMart: MartExportShape["export"] = Effect.fn("MartExport.export")(function* (file) {
    const { mart, format } = yield* parse(file)
    const [present] = yield* duck<{ readonly n: number }>`
      SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ${mart}`
    if (present === undefined || present.n === 0) return yield* new MartNotBuilt({ model: mart })
    const target = path.join(directory, `${randomUUID()}.${format}`)
    const remove = Effect.promise(() => fs.rm(target, { force: true }))
    // The mart name passed the registry check above; the target is ours. Neither comes from raw client text.
    yield* duck
      .withConnection("export", (connection) =>
        connection.run(`COPY (SELECT * FROM "${mart}") TO '${target.replaceAll("'", "''")}' (${COPY_OPTIONS[format]})`)
      )
      .pipe(Effect.onError(() => remove))
    const { size } = yield* Effect.tryPromise({
      try: () => fs.stat(target),
      catch: (cause) => new ExportFileError({ message: `cannot read the export of ${mart}: ${String(cause)}` })
    })
    const body = Stream.fromAsyncIterable(
      (async function* () {
        const handle = await fs.open(target, "r")
        try {
          const buffer = Buffer.allocUnsafe(256 * 1024)
          for (;;) {
            const { bytesRead } = await handle.read(buffer, 0, buffer.length, null)
            if (bytesRead === 0) return
            yield Uint8Array.prototype.slice.call(buffer, 0, bytesRead)
          }
        } finally {
          await handle.close()
        }
      })(),
      (cause) => new ExportFileError({ message: `reading the export of ${mart} failed: ${String(cause)}` })
    ).pipe(Stream.ensuring(remove))
    return { mart, format, fileName: `${mart}.${format}`, bytes: size, body }
  })

  return { export: exportMart } satisfies MartExportShape
})

export class MartExport extends Context.Service<MartExport, MartExportShape>()("launchpad/models/MartExport") {
  /** Needs the warehouse's `DuckDbClient`, the model project and `Settings`. */
  static readonly layer = Layer.effect(MartExport, make)
}
