/**
 * Errors of the warehouse API, with the same body shape as the ingest API's
 * (`{ error: { status, code, message, … } }`) so that one client decoder handles both.
 */
import { Schema } from "effect"
import { HttpApiMiddleware } from "effect/http-api"

/** 400: a query parameter is missing its form or out of range; `parameter` names it. */
export class InvalidQuery extends Schema.TaggedError<InvalidQuery>()(
  "InvalidQuery",
  {
    error: Schema.Struct({
      status: Schema.Literal(400),
      code: Schema.Literal("invalid_query"),
      message: Schema.String,
      parameter: Schema.NullOr(Schema.String).annotate({ description: "the offending query parameter, when known" })
    })
  },
  { httpApiStatus: 400 }
) {}

/** 503: the warehouse database could not answer; retry. */
export class WarehouseUnavailable extends Schema.TaggedError<WarehouseUnavailable>()(
  "WarehouseUnavailable",
  {
    error: Schema.Struct({
      status: Schema.Literal(503),
      code: Schema.Literal("warehouse_unavailable"),
      message: Schema.String
    })
  },
  { httpApiStatus: 503 }
) {}

export const invalidQuery = (message: string, parameter: string | null) =>
  new InvalidQuery({ error: { status: 400, code: "invalid_query", message, parameter } })

export const warehouseUnavailable = (message: string) =>
  new WarehouseUnavailable({ error: { status: 503, code: "warehouse_unavailable", message } })

/**
 * Turns the framework's empty 400 for an undecodable query string into `InvalidQuery`, so a bad
 * `minutes_back` gets the same structured body as every other error.
 */
export class QueryErrors extends HttpApiMiddleware.Service<QueryErrors>()("launchpad/models/QueryErrors", {
  error: InvalidQuery
}) {}

/** 400: a request body or parameter is invalid (e.g. an unknown model in `select`). */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()(
  "InvalidRequest",
  {
    error: Schema.Struct({
      status: Schema.Literal(400),
      code: Schema.Literal("invalid_request"),
      message: Schema.String,
      parameter: Schema.NullOr(Schema.String)
    })
  },
  { httpApiStatus: 400 }
) {}

/** 404: no such run, model or mart. */
export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  { error: Schema.Struct({ status: Schema.Literal(404), code: Schema.Literal("not_found"), message: Schema.String }) },
  { httpApiStatus: 404 }
) {}

/** 409: a model run or test is already in progress (runs never overlap); retry when it is done. */
export class RunInProgress extends Schema.TaggedError<RunInProgress>()(
  "RunInProgress",
  {
    error: Schema.Struct({
      status: Schema.Literal(409),
      code: Schema.Literal("run_in_progress"),
      message: Schema.String,
      run_id: Schema.String
    })
  },
  { httpApiStatus: 409 }
) {}

/** 409: the model behind a report has never been built; it will be after the next run. */
export class NotBuilt extends Schema.TaggedError<NotBuilt>()(
  "NotBuilt",
  {
    error: Schema.Struct({
      status: Schema.Literal(409),
      code: Schema.Literal("model_not_built"),
      message: Schema.String,
      model: Schema.String
    })
  },
  { httpApiStatus: 409 }
) {}

export const invalidRequest = (message: string, parameter: string | null) =>
  new InvalidRequest({ error: { status: 400, code: "invalid_request", message, parameter } })

export const notFound = (message: string) => new NotFound({ error: { status: 404, code: "not_found", message } })

export const runInProgress = (message: string, runId: string) =>
  new RunInProgress({ error: { status: 409, code: "run_in_progress", message, run_id: runId } })

export const notBuilt = (model: string) =>
  new NotBuilt({
    error: {
      status: 409,
      code: "model_not_built",
      message: `${model} has not been built yet; it will be after the next model run (POST /api/v1/models/run)`,
      model
    }
  })
