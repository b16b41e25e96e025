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
