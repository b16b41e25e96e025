/**
 * The errors the ingest API answers with. Every one has the same JSON body,
 * `{ error: { status, code, message, request_id, … } }`, so a client can handle all of them with one
 * decoder; the `_tag` lets the typed client tell them apart. The status lives on the class
 * (`httpApiStatus`), so the OpenAPI document lists each one.
 */
import { Schema } from "effect"

/** Seconds a client should wait after a 503; the server sends it as `Retry-After` and in the body. */
export const RETRY_AFTER_SECONDS = 1

export const ErrorCode = Schema.Literals([
  "invalid_json",
  "too_deep",
  "invalid_body",
  "payload_too_large",
  "too_many_events",
  "body_too_slow",
  "unsupported_media_type",
  "unsupported_encoding",
  "unauthorized",
  "broker_unavailable",
  "overloaded"
]).annotate({ title: "ErrorCode", description: "machine-readable reason of a request-level error" })
export type ErrorCode = typeof ErrorCode.Type

export const ErrorBody = Schema.Struct({
  status: Schema.Int.annotate({ description: "the HTTP status, repeated for logs and proxies" }),
  code: ErrorCode,
  message: Schema.String.annotate({ description: "what went wrong, for humans" }),
  request_id: Schema.String.annotate({ description: "the X-Request-Id of this request" }),
  limit: Schema.optionalKey(Schema.Int.annotate({ description: "the limit that was exceeded (bytes or events)" })),
  retry_after_seconds: Schema.optionalKey(Schema.Int.annotate({ description: "wait this long before retrying" }))
}).annotate({ title: "ErrorBody" })
export type ErrorBody = typeof ErrorBody.Type

const fields = { error: ErrorBody }

/**
 * 400: the body is not JSON, nests deeper than `MAX_JSON_DEPTH` (`too_deep`, refused before parsing), or
 * is not the expected shape (a batch needs `{ "events": [...] }`).
 */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", fields, { httpApiStatus: 400 }) {}

/** 401: write keys are configured and the request carries no valid one. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", fields, {
  httpApiStatus: 401
}) {}

/** 408: the body arrived too slowly (see LAUNCHPAD_MIN_BODY_BYTES_PER_S); the connection is closed. */
export class RequestTimeout extends Schema.TaggedError<RequestTimeout>()("RequestTimeout", fields, {
  httpApiStatus: 408
}) {}

/** 413: the body (compressed or decompressed) or the number of events is over the limit. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", fields, {
  httpApiStatus: 413
}) {}

/** 415: a content type other than JSON or text/plain, or a content encoding other than gzip. */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", fields, {
  httpApiStatus: 415
}) {}

/**
 * 503 (with `Retry-After`): Kafka is unavailable, or the server is at its in-flight limit or its
 * budget of bodies being received; nothing was acknowledged.
 */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()("ServiceUnavailable", fields, {
  httpApiStatus: 503
}) {}

export type IngestError =
  | BadRequest
  | Unauthorized
  | RequestTimeout
  | PayloadTooLarge
  | UnsupportedMediaType
  | ServiceUnavailable

/** Every error the event endpoints answer with, for the contract and the listener's encoder. */
export const EventErrors = [
  BadRequest,
  Unauthorized,
  RequestTimeout,
  PayloadTooLarge,
  UnsupportedMediaType,
  ServiceUnavailable
] as const

const body = (status: number, code: ErrorCode, message: string, requestId: string, extra: Partial<ErrorBody> = {}) => ({
  error: { status, code, message, request_id: requestId, ...extra }
})

export const badRequest = (code: "invalid_json" | "too_deep" | "invalid_body", message: string, requestId: string) =>
  new BadRequest(body(400, code, message, requestId))

export const unauthorized = (message: string, requestId: string) =>
  new Unauthorized(body(401, "unauthorized", message, requestId))

export const requestTimeout = (message: string, requestId: string) =>
  new RequestTimeout(body(408, "body_too_slow", message, requestId))

export const payloadTooLarge = (
  code: "payload_too_large" | "too_many_events",
  message: string,
  limit: number,
  requestId: string
) => new PayloadTooLarge(body(413, code, message, requestId, { limit }))

export const unsupportedMediaType = (
  code: "unsupported_media_type" | "unsupported_encoding",
  message: string,
  requestId: string
) => new UnsupportedMediaType(body(415, code, message, requestId))

export const serviceUnavailable = (code: "broker_unavailable" | "overloaded", message: string, requestId: string) =>
  new ServiceUnavailable(body(503, code, message, requestId, { retry_after_seconds: RETRY_AFTER_SECONDS }))
