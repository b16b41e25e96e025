/**
 * `launchpad models run|test|docs`. The warehouse process owns warehouse.duckdb (DuckDB allows one
 * writer per file), so a command first asks a running warehouse to do the work over its API
 * (`--url`, default http://HOST:PORT, with LAUNCHPAD_API_TOKEN when set). Only when nothing answers
 * there does it open the file itself; if another process holds the file, it says so instead of
 * showing a lock error.
 */
import { writeFile } from "node:fs/promises"
import { Console, Effect, Layer, Option, Predicate, Redacted, Schema } from "effect"
import { FetchHttpClient, HttpClient, HttpClientError, HttpClientRequest } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import { Settings, type SettingsShape } from "../domain/Settings.ts"
import { LakeEngine } from "../lake/LakeEngine.ts"
import { LakeReader } from "../lake/LakeReader.ts"
import { ModelManifest } from "../models/api/ModelManifest.ts"
import { WarehouseApi } from "../models/api/WarehouseApi.ts"
import { ModelDocs } from "../models/runner/ModelDocs.ts"
import { ModelRunner } from "../models/runner/ModelRunner.ts"
import type { RunReport, TestReport } from "../models/runner/Results.ts"
import { ModelServices } from "../models/WarehouseServer.ts"
import { WAREHOUSE_FILE, Warehouse } from "../models/warehouse/Warehouse.ts"

/** The command did its work and the outcome is a failure (a model failed, a test failed): exit 1. */
export class ModelCommandFailed extends Schema.TaggedError<ModelCommandFailed>()("ModelCommandFailed", {
  message: Schema.String
}) {}

export interface Target {
  readonly url: Option.Option<string>
}

const baseUrlOf = (settings: SettingsShape, target: Target) =>
  Option.getOrElse(target.url, () => `http://${settings.host}:${settings.port}`)

/** The typed client of the warehouse API at `baseUrl`, sending the API token when one is configured. */
const clientFor = (settings: SettingsShape, baseUrl: string) =>
  HttpApiClient.make(WarehouseApi, {
    baseUrl,
    transformClient: (client) =>
      Option.match(settings.apiToken, {
        onNone: () => client,
        onSome: (token) => HttpClient.mapRequest(client, HttpClientRequest.bearerToken(Redacted.value(token)))
      })
  }).pipe(Effect.provide(FetchHttpClient.layer))

/** The services a command needs to work on warehouse.duckdb itself. */
const localWarehouse = ModelServices.pipe(
  Layer.provideMerge(LakeReader.layer),
  Layer.provideMerge(LakeEngine.layer),
  Layer.provideMerge(Warehouse.layer)
)

/**
 * Runs `remote` against a warehouse answering at the target, else `local` on the file. "Answering"
 * means the request reached an HTTP server that knows the model API; a refused connection (nothing
 * listens) or a 404 (a role without the warehouse API) falls back to the file.
 */
const onWarehouse = <A, E extends { readonly message: string }>(
  target: Target,
  remote: (
    client: Effect.Success<ReturnType<typeof clientFor>>
  ) => Effect.Effect<Option.Option<A>, ModelCommandFailed, never>,
  local: Effect.Effect<A, E, ModelRunner | ModelDocs>
): Effect.Effect<A, ModelCommandFailed, Settings> =>
  Effect.gen(function* () {
    const settings = yield* Settings
    const baseUrl = baseUrlOf(settings, target)
    const client = yield* clientFor(settings, baseUrl)
    const answered = yield* remote(client)
    if (Option.isSome(answered)) {
      yield* Console.error(`(ran on the warehouse at ${baseUrl})`)
      return answered.value
    }
    yield* Console.error(`(no warehouse answers at ${baseUrl}; opening ${settings.dataDir}/${WAREHOUSE_FILE})`)
    return yield* local.pipe(
      Effect.provide(localWarehouse),
      Effect.mapError(
        (error) =>
          new ModelCommandFailed({
            message: /lock/i.test(error.message)
              ? `${WAREHOUSE_FILE} is held by another process (a running warehouse) that does not answer at ` +
                `${baseUrl}: run the command against it with --url`
              : error.message
          })
      )
    )
  })

/** A refused connection (nothing listens) or a 404 (a role without the model API): no warehouse here. */
const noWarehouseHere = (error: unknown): boolean =>
  error instanceof HttpClientError.HttpClientError &&
  (error.reason._tag === "TransportError" || error.response?.status === 404)

/** What the warehouse answered, for the user: our API's errors carry `{ error: { message } }`. */
const describe = (error: unknown): string => {
  if (Predicate.hasProperty(error, "error") && Predicate.hasProperty(error.error, "message")) {
    return String(error.error.message)
  }
  return error instanceof Error ? error.message : String(error)
}

/** The API's answer; `None` when no warehouse answers there (then the command opens the file). */
const viaApi = <A, E>(request: Effect.Effect<A, E>): Effect.Effect<Option.Option<A>, ModelCommandFailed> =>
  request.pipe(
    Effect.map(Option.some),
    Effect.catch((error: E) =>
      noWarehouseHere(error)
        ? Effect.succeed(Option.none<A>())
        : Effect.fail(new ModelCommandFailed({ message: `the warehouse refused: ${describe(error)}` }))
    )
  )

const pad = (text: string, width: number) => text.padEnd(width)

const printRun = (report: RunReport) =>
  Effect.gen(function* () {
    for (const result of report.results) {
      const rows = result.rows === null ? "" : `${result.rows} rows`
      const ms = result.durationMs === null ? "" : `${result.durationMs} ms`
      yield* Console.log(
        `${pad(result.status, 8)} ${pad(result.model, 32)} ${pad(ms, 10)} ${pad(rows, 14)} ${result.message ?? ""}`
      )
    }
    const { run } = report
    yield* Console.log(
      `run ${run.runId}: ${run.status} — ${run.succeeded} built, ${run.failed} failed, ${run.skipped} skipped in ${run.durationMs ?? 0} ms`
    )
    if (run.status !== "success") {
      return yield* new ModelCommandFailed({ message: `${run.failed} model(s) failed, ${run.skipped} skipped` })
    }
  })

const printTests = (report: TestReport, failingRows: number) =>
  Effect.gen(function* () {
    for (const test of report.tests) {
      yield* Console.log(
        `${pad(test.status, 6)} ${test.testId}${test.failures ? ` (${test.failures} failing rows)` : ""}`
      )
      if (test.status !== "pass") {
        if (test.message !== null) yield* Console.log(`       ${test.message}`)
        for (const row of test.failingRows.slice(0, failingRows)) yield* Console.log(`       ${JSON.stringify(row)}`)
      }
    }
    for (const check of report.freshness) {
      yield* Console.log(
        `${pad(check.status, 6)} freshness of ${check.source}${check.message ? `: ${check.message}` : ""}`
      )
    }
    if (!report.ok) return yield* new ModelCommandFailed({ message: "data tests failed or a source is stale" })
  })

export const run = (options: Target & { readonly select: Option.Option<string>; readonly fullRefresh: boolean }) =>
  onWarehouse(
    options,
    (client) =>
      viaApi(
        client.models.runModels({
          payload: {
            ...Option.match(options.select, { onNone: () => ({}), onSome: (select) => ({ select }) }),
            full_refresh: options.fullRefresh
          }
        })
      ),
    Effect.flatMap(ModelRunner, (runner) =>
      runner.run({ select: Option.getOrUndefined(options.select), fullRefresh: options.fullRefresh })
    )
  ).pipe(Effect.flatMap(printRun), Effect.provide(Settings.layer))

export const test = (options: Target & { readonly select: Option.Option<string>; readonly failingRows: number }) =>
  onWarehouse(
    options,
    (client) =>
      viaApi(
        client.models.testModels({
          payload: {
            ...Option.match(options.select, { onNone: () => ({}), onSome: (select) => ({ select }) }),
            failing_rows: options.failingRows
          }
        })
      ),
    Effect.flatMap(ModelRunner, (runner) =>
      runner.test({ select: Option.getOrUndefined(options.select), failingRows: options.failingRows })
    )
  ).pipe(
    Effect.flatMap((report) => printTests(report, options.failingRows)),
    Effect.provide(Settings.layer)
  )

/** The manifest as the API serves it (snake_case JSON). */
const encodeManifest = (manifest: ModelManifest) =>
  Schema.encodeEffect(Schema.toCodecJson(ModelManifest))(manifest).pipe(
    Effect.mapError((error) => new ModelCommandFailed({ message: `the manifest does not encode: ${error.message}` }))
  )

export const docs = (options: Target & { readonly out: Option.Option<string> }) =>
  onWarehouse(
    options,
    (client) => viaApi(client.models.manifest()),
    Effect.flatMap(ModelDocs, (modelDocs) => modelDocs.manifest)
  ).pipe(
    Effect.flatMap((manifest) =>
      Effect.map(encodeManifest(manifest), (json) => ({ manifest, text: `${JSON.stringify(json, null, 2)}\n` }))
    ),
    Effect.flatMap(({ manifest, text }) => {
      return Option.match(options.out, {
        onNone: () => Console.log(text),
        onSome: (file) =>
          Effect.andThen(
            Effect.tryPromise({
              try: () => writeFile(file, text),
              catch: (error) => new ModelCommandFailed({ message: `cannot write ${file}: ${describe(error)}` })
            }),
            Console.error(`wrote the manifest of ${manifest.models.length} models to ${file}`)
          )
      })
    }),
    Effect.provide(Settings.layer)
  )

/** A failed outcome as one line on stderr and exit code 1: a model or test failure is not a crash to show a stack for. */
export const reportFailure = <A, E, R>(command: Effect.Effect<A, E | ModelCommandFailed, R>) =>
  command.pipe(
    Effect.catchIf(Schema.is(ModelCommandFailed), (failure) =>
      Effect.andThen(
        Console.error(`launchpad models: ${failure.message}`),
        Effect.sync(() => {
          process.exitCode = 1
        })
      )
    )
  )
