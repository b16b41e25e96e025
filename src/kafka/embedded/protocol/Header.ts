/**
 * Request header. Non-flexible requests use header v1:
 *   api_key INT16, api_version INT16, correlation_id INT32, client_id NULLABLE_STRING
 * Flexible ones (only librdkafka's first ApiVersions v3 reaches this broker) use header v2, which
 * adds a tagged-field section after client_id. Responses always use header v0: correlation_id.
 */
import type { Reader } from "./Reader.ts"

export interface RequestHeader {
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
  readonly clientId: string
}

export const readRequestHeader = (r: Reader): RequestHeader => {
  const apiKey = r.int16()
  const apiVersion = r.int16()
  const correlationId = r.int32()
  const clientId = r.nullableString() ?? ""
  return { apiKey, apiVersion, correlationId, clientId }
}
