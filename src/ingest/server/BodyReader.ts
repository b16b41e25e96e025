/**
 * Reads an event request's body: checks the media type and content encoding, enforces the size limit
 * on the bytes received AND on the decompressed bytes (a gzip bomb stops inflating at the limit), and
 * parses JSON. `text/plain` is parsed as JSON too: it is what `navigator.sendBeacon` sends for a
 * string body, and it avoids a CORS preflight.
 */
import { promisify } from "node:util"
import * as zlib from "node:zlib"
import { ByteSize, Effect } from "effect"
import { HttpIncomingMessage, type HttpServerRequest } from "effect/http"
import {
  type BadRequest,
  badRequest,
  type PayloadTooLarge,
  payloadTooLarge,
  type UnsupportedMediaType,
  unsupportedMediaType
} from "../domain/IngestErrors.ts"

const gunzip = promisify(zlib.gunzip)

export const ACCEPTED_MEDIA_TYPES = ["application/json", "text/plain"] as const
const ACCEPTED_CHARSETS = new Set(["utf-8", "utf8", "us-ascii"])

export interface ReadLimits {
  readonly maxBodyBytes: number
}

export type BodyError = BadRequest | PayloadTooLarge | UnsupportedMediaType

export interface ParsedBody {
  readonly value: unknown
  /** Bytes on the wire (compressed when gzip). */
  readonly wireBytes: number
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

type Encoding = "identity" | "gzip"

const contentEncoding = (header: string | undefined): Encoding | undefined => {
  const value = (header ?? "").trim().toLowerCase()
  if (value === "" || value === "identity") return "identity"
  if (value === "gzip" || value === "x-gzip") return "gzip"
  return undefined
}

const isBodyTooLarge = (error: unknown): boolean =>
  typeof error === "object" &&
  error !== null &&
  "reason" in error &&
  typeof error.reason === "object" &&
  error.reason !== null &&
  "reason" in error.reason &&
  error.reason.reason === "BodyTooLarge"

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false })

/** Reads and parses the body of `request`; every failure is a 4xx with a structured body. */
export const readJsonBody = Effect.fn("BodyReader.readJsonBody")(function* (
  request: HttpServerRequest.HttpServerRequest,
  limits: ReadLimits,
  requestId: string
) {
  const { maxBodyBytes } = limits
  const typeProblem = checkContentType(request.headers["content-type"])
  if (typeProblem !== undefined) {
    return yield* unsupportedMediaType("unsupported_media_type", typeProblem, requestId)
  }
  const encoding = contentEncoding(request.headers["content-encoding"])
  if (encoding === undefined) {
    return yield* unsupportedMediaType(
      "unsupported_encoding",
      `content encoding ${JSON.stringify(request.headers["content-encoding"])} is not accepted; send gzip or none`,
      requestId
    )
  }
  // Built only when needed: constructing an error captures a stack trace, which cost more than reading
  // a small body when it was built for every request.
  const tooLarge = () =>
    payloadTooLarge("payload_too_large", `the body is larger than ${maxBodyBytes} bytes`, maxBodyBytes, requestId)
  const declared = Number(request.headers["content-length"] ?? Number.NaN)
  if (declared > maxBodyBytes) return yield* tooLarge()

  const received = yield* request.arrayBuffer.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxBodyBytes)),
    Effect.mapError((error) =>
      isBodyTooLarge(error) ? tooLarge() : badRequest("invalid_body", "the request body could not be read", requestId)
    )
  )
  let bytes = new Uint8Array(received)
  if (encoding === "gzip") {
    // maxOutputLength makes zlib stop (and fail) as soon as the output passes the limit.
    bytes = yield* Effect.tryPromise({
      try: () => gunzip(bytes, { maxOutputLength: maxBodyBytes }),
      catch: (error) =>
        error instanceof RangeError
          ? payloadTooLarge(
              "payload_too_large",
              `the decompressed body is larger than ${maxBodyBytes} bytes`,
              maxBodyBytes,
              requestId
            )
          : badRequest("invalid_body", "Content-Encoding is gzip but the body is not valid gzip", requestId)
    })
  }
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return yield* badRequest("invalid_json", "the body is not valid UTF-8", requestId)
  }
  try {
    const value: unknown = JSON.parse(text)
    return { value, wireBytes: received.byteLength } satisfies ParsedBody
  } catch (error) {
    // Only a body that failed to parse can be blank (JSON.parse refuses whitespace), so the blank check
    // does not copy every valid body.
    if (text.trim() === "") return yield* badRequest("invalid_json", "the body is empty; expected JSON", requestId)
    const detail = error instanceof SyntaxError ? `: ${error.message}` : ""
    return yield* badRequest("invalid_json", `the body is not valid JSON${detail}`, requestId)
  }
})
