/**
 * Reads an event request's body: checks the media type and content encoding, enforces the size limit
 * on the bytes received AND on the decompressed bytes (a gzip bomb stops inflating at the limit), and
 * parses JSON. `text/plain` is parsed as JSON too: it is what `navigator.sendBeacon` sends for a
 * string body, and it avoids a CORS preflight.
 *
 * One reader over Node's `IncomingMessage` serves both server paths: the event listener in front of the
 * router (`EventsListener`) and the `HttpApi` handlers (through `readJsonBody`), so the size limits and
 * the budget of bodies being received (`BodyBudget`) hold whichever path a request takes.
 */
import { IncomingMessage, ServerResponse } from "node:http"
import * as zlib from "node:zlib"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { Effect, Result } from "effect"
import type { HttpServerRequest } from "effect/http"
import { jsonDepthExceeds, tooDeepMessage } from "../../domain/JsonDepth.ts"
import {
  type BadRequest,
  badRequest,
  type PayloadTooLarge,
  payloadTooLarge,
  type RequestTimeout,
  requestTimeout,
  type ServiceUnavailable,
  serviceUnavailable,
  type UnsupportedMediaType,
  unsupportedMediaType
} from "../domain/IngestErrors.ts"
import type { BodyBudgetShape } from "./BodyBudget.ts"

const ACCEPTED_CHARSETS = new Set(["utf-8", "utf8", "us-ascii"])

export interface ReadLimits {
  readonly maxBodyBytes: number
}

export type BodyError = BadRequest | PayloadTooLarge | UnsupportedMediaType | RequestTimeout | ServiceUnavailable

export interface ParsedBody {
  readonly value: unknown
  /** Bytes on the wire (compressed when gzip). */
  readonly wireBytes: number
}

/** The request headers the body checks read (lower-case names, as Node and Effect give them). */
export interface BodyHeaders {
  readonly "content-type"?: string | undefined
  readonly "content-encoding"?: string | undefined
  readonly "content-length"?: string | undefined
}

/** `application/json; charset=utf-8` → ok; anything but JSON or text/plain, or a non-UTF-8 charset → a 415 message. */
export const checkContentType = (header: string | undefined): string | undefined => {
  // A missing Content-Type is read as JSON (curl -d sends form type, so this only helps hand-written clients).
  if (header === undefined || header.trim() === "") return undefined
  const [type = "", ...params] = header.toLowerCase().split(";")
  const media = type.trim()
  if (media !== "application/json" && media !== "text/plain") {
    return `content type ${JSON.stringify(media)} is not accepted; send application/json or text/plain`
  }
  for (const param of params) {
    const [name = "", value = ""] = param.split("=")
    if (name.trim() === "charset") {
      const charset = value.trim().replace(/^"|"$/g, "")
      if (!ACCEPTED_CHARSETS.has(charset)) return `charset ${JSON.stringify(charset)} is not accepted; send UTF-8`
    }
  }
  return undefined
}

export type Encoding = "identity" | "gzip"

const contentEncoding = (header: string | undefined): Encoding | undefined => {
  const value = (header ?? "").trim().toLowerCase()
  if (value === "" || value === "identity") return "identity"
  if (value === "gzip" || value === "x-gzip") return "gzip"
  return undefined
}

/** The body too large for `limits`. Built only when needed: an error captures a stack trace. */
export const bodyTooLarge = (limits: ReadLimits, requestId: string, decompressed = false) =>
  payloadTooLarge(
    "payload_too_large",
    `the ${decompressed ? "decompressed " : ""}body is larger than ${limits.maxBodyBytes} bytes`,
    limits.maxBodyBytes,
    requestId
  )

/** What can be decided before reading the body: media type, encoding, declared length. */
export const checkBodyHeaders = (
  headers: BodyHeaders,
  limits: ReadLimits,
  requestId: string
): Result.Result<Encoding, BodyError> => {
  const typeProblem = checkContentType(headers["content-type"])
  if (typeProblem !== undefined) {
    return Result.fail(unsupportedMediaType("unsupported_media_type", typeProblem, requestId))
  }
  const encoding = contentEncoding(headers["content-encoding"])
  if (encoding === undefined) {
    return Result.fail(
      unsupportedMediaType(
        "unsupported_encoding",
        `content encoding ${JSON.stringify(headers["content-encoding"])} is not accepted; send gzip or none`,
        requestId
      )
    )
  }
  const declared = Number(headers["content-length"] ?? Number.NaN)
  if (declared > limits.maxBodyBytes) return Result.fail(bodyTooLarge(limits, requestId))
  return Result.succeed(encoding)
}

/** Inflates a gzip body; zlib stops (and fails) as soon as the output passes the limit. */
export const gunzipBody = (
  bytes: Uint8Array,
  limits: ReadLimits,
  requestId: string,
  done: (result: Result.Result<Uint8Array, BodyError>) => void
): void =>
  zlib.gunzip(bytes, { maxOutputLength: limits.maxBodyBytes }, (error, inflated) =>
    done(
      error === null
        ? Result.succeed(inflated)
        : Result.fail(
            error instanceof RangeError
              ? bodyTooLarge(limits, requestId, true)
              : badRequest("invalid_body", "Content-Encoding is gzip but the body is not valid gzip", requestId)
          )
    )
  )

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false })

/** UTF-8 bytes → a JSON value, or a 400 saying what is wrong. Nesting is bounded before parsing. */
export const parseJsonBytes = (bytes: Uint8Array, requestId: string): Result.Result<unknown, BadRequest> => {
  if (jsonDepthExceeds(bytes)) return Result.fail(badRequest("too_deep", tooDeepMessage(), requestId))
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return Result.fail(badRequest("invalid_json", "the body is not valid UTF-8", requestId))
  }
  try {
    return Result.succeed(JSON.parse(text))
  } catch (error) {
    // Only a body that failed to parse can be blank (JSON.parse refuses whitespace), so the blank check
    // does not copy every valid body.
    if (text.trim() === "")
      return Result.fail(badRequest("invalid_json", "the body is empty; expected JSON", requestId))
    const detail = error instanceof SyntaxError ? `: ${error.message}` : ""
    return Result.fail(badRequest("invalid_json", `the body is not valid JSON${detail}`, requestId))
  }
}

/**
 * Reads and parses the body of a Node `request`, calling `done` once. Past the size limit it stops
 * collecting (the rest is drained, not kept), so an oversized body costs no memory. Every chunk kept is
 * counted against `budget` (all bodies being received together); a chunk that does not fit ends the
 * read with a 503, and a body the budget's sweeper finds too slow ends with a 408. After either the
 * body is left unread, so the answer must close the connection (`closeUnreadBody`).
 */
export const readNodeJsonBody = (
  request: IncomingMessage,
  limits: ReadLimits,
  requestId: string,
  budget: BodyBudgetShape,
  done: (result: Result.Result<ParsedBody, BodyError>) => void
): void => {
  const checked = checkBodyHeaders(request.headers, limits, requestId)
  if (Result.isFailure(checked)) {
    request.resume()
    done(Result.fail(checked.failure))
    return
  }
  let finished = false
  const finish = (result: Result.Result<ParsedBody, BodyError>) => {
    if (finished) return
    finished = true
    receipt.close()
    done(result)
  }
  const stop = (error: BodyError) => {
    request.removeListener("data", onData)
    request.pause()
    finish(Result.fail(error))
  }
  const receipt = budget.open(() =>
    stop(requestTimeout("the request body arrived too slowly; the connection is closed", requestId))
  )
  const chunks: Array<Buffer> = []
  let received = 0
  let tooLarge = false
  const onData = (chunk: Buffer) => {
    received += chunk.length
    if (received > limits.maxBodyBytes) tooLarge = true
    if (tooLarge) return
    if (!receipt.take(chunk.length)) {
      stop(serviceUnavailable("overloaded", "the server is receiving too many request bodies; retry later", requestId))
      return
    }
    chunks.push(chunk)
  }
  request.on("data", onData)
  request.on("error", () =>
    finish(Result.fail(badRequest("invalid_body", "the request body could not be read", requestId)))
  )
  // A client that goes away mid-body is answered by nobody; its bytes leave the budget.
  request.on("close", () => receipt.close())
  request.on("end", () => {
    if (tooLarge) {
      finish(Result.fail(bodyTooLarge(limits, requestId)))
      return
    }
    const wire = chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, received)
    const parse = (bytes: Uint8Array) =>
      finish(Result.map(parseJsonBytes(bytes, requestId), (value) => ({ value, wireBytes: received })))
    if (checked.success === "identity") parse(wire)
    else
      gunzipBody(wire, limits, requestId, (inflated) =>
        Result.isFailure(inflated) ? finish(Result.fail(inflated.failure)) : parse(inflated.success)
      )
  })
}

/**
 * When the answer goes out before the body was read to its end (refused mid-body, or not read at all),
 * the connection is closed once the answer is sent, instead of being kept alive behind an unread body.
 */
export const closeUnreadBody = (request: IncomingMessage, response: ServerResponse): void => {
  if (request.complete) return
  response.setHeader("connection", "close")
  response.once("finish", () => request.destroy())
}

/** `readNodeJsonBody` for a request routed by Effect's router (the `HttpApi` handlers). */
export const readJsonBody = (
  request: HttpServerRequest.HttpServerRequest,
  limits: ReadLimits,
  requestId: string,
  budget: BodyBudgetShape
): Effect.Effect<ParsedBody, BodyError> => {
  const incoming = NodeHttpServerRequest.toIncomingMessage(request)
  const response = NodeHttpServerRequest.toServerResponse(request)
  if (!(incoming instanceof IncomingMessage) || !(response instanceof ServerResponse)) {
    return Effect.die(new Error("event bodies are read from HTTP/1.1 requests only"))
  }
  return Effect.callback<ParsedBody, BodyError>((resume) =>
    readNodeJsonBody(incoming, limits, requestId, budget, (result) => {
      if (Result.isFailure(result)) closeUnreadBody(incoming, response)
      resume(Effect.fromResult(result))
    })
  )
}
