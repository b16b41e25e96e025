/** Handlers of the model endpoints: the manifest and run log from `ModelDocs`, runs and tests from `ModelRunner`. */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { WarehouseApi } from "../api/WarehouseApi.ts"
import { invalidRequest, notFound, runInProgress, warehouseUnavailable } from "../api/WarehouseErrors.ts"
import { ModelDocs } from "../runner/ModelDocs.ts"
import { type ModelRunError, ModelRunner } from "../runner/ModelRunner.ts"

const DEFAULT_RUNS = 20

/** A failed read is logged with its cause and answered 503; the client only learns it may retry. */
const unavailable = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.tapCause((cause) => Effect.logWarning("model endpoint failed", cause)),
    Effect.mapError(() => warehouseUnavailable("the warehouse could not answer; retry shortly"))
  )

const runErrors = <A, R>(effect: Effect.Effect<A, ModelRunError, R>) =>
  effect.pipe(
    Effect.catchTags({
      ModelRunBusy: (busy) => Effect.fail(runInProgress(busy.message, busy.runId)),
      ModelSelectionError: (error) => Effect.fail(invalidRequest(error.message, "select"))
    }),
    (handled) =>
      Effect.catchTag(handled, "SqlError", (error) =>
        Effect.andThen(
          Effect.logWarning("model run failed", error),
          Effect.fail(warehouseUnavailable("the warehouse could not run the models; retry shortly"))
        )
      )
  )

export const ModelsHandlers = HttpApiBuilder.group(
  WarehouseApi,
  "models",
  Effect.fn(function* (handlers) {
    const docs = yield* ModelDocs
    const runner = yield* ModelRunner
    return handlers.handleAll({
      manifest: () => unavailable(docs.manifest),
      runs: ({ query }) => unavailable(Effect.map(docs.runs(query.limit ?? DEFAULT_RUNS), (runs) => ({ runs }))),
      run: ({ params }) =>
        unavailable(docs.runResults(params.id)).pipe(
          Effect.flatMap((found) =>
            found === undefined ? Effect.fail(notFound(`no model run ${params.id}`)) : Effect.succeed(found)
          )
        ),
      tests: ({ query }) => unavailable(Effect.map(docs.testResults(query.run_id), (tests) => ({ tests }))),
      runModels: ({ payload }) => runErrors(runner.run({ select: payload.select, fullRefresh: payload.full_refresh })),
      testModels: ({ payload }) => runErrors(runner.test({ select: payload.select, failingRows: payload.failing_rows }))
    })
  })
)
