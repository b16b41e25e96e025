/**
 * The dashboard's one client of the warehouse API, derived from its `HttpApi` definition
 * (`HttpApiClient.make(WarehouseApi)`): paths, query parameters, success and error bodies are the
 * contract's, decoded with its Schemas. Every request carries the session's token; a call answers an
 * `Outcome`, so a panel can tell "no data yet" (a mart never built: 409) from an error and from a
 * missing or wrong token (401).
 */
import { Effect } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import { WarehouseApi } from "../../../models/api/WarehouseApi.ts"
import { currentToken, refused } from "./token.ts"

const makeClient = HttpApiClient.make(WarehouseApi, {
  baseUrl: globalThis.location?.origin ?? "",
  transformClient: HttpClient.mapRequest((request) => {
    const token = currentToken()
    return token === null ? request : HttpClientRequest.bearerToken(request, token)
  })
}).pipe(Effect.provide(FetchHttpClient.layer))

export type WarehouseClient = Effect.Success<typeof makeClient>

let client: Promise<WarehouseClient> | undefined
const theClient = (): Promise<WarehouseClient> => {
  client ??= Effect.runPromise(makeClient)
  return client
}

export const NO_DATA = "No data yet — run `pnpm dev` or send events."

export type Outcome<A> =
  | { readonly kind: "ok"; readonly value: A }
  | { readonly kind: "empty"; readonly message: string }
  | { readonly kind: "unauthorized" }
  | { readonly kind: "error"; readonly message: string }

const tagOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : ""

const messageOf = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null || !("error" in error)) return undefined
  const body = error.error
  return typeof body === "object" && body !== null && "message" in body ? String(body.message) : undefined
}

/** What a failed call means to a reader. */
export const classify = (error: unknown): Outcome<never> => {
  switch (tagOf(error)) {
    case "TokenRequired":
      return { kind: "unauthorized" }
    case "NotBuilt":
      return { kind: "empty", message: NO_DATA }
    case "HttpClientError":
      return { kind: "error", message: "The server could not be reached; check that Launchpad is running." }
    case "SchemaError":
      return { kind: "error", message: "The server answered something this dashboard does not understand." }
    default:
      return { kind: "error", message: messageOf(error) ?? "The request failed." }
  }
}

/** Runs one call of the typed client; never rejects. */
export const request = async <A, E>(call: (client: WarehouseClient) => Effect.Effect<A, E>): Promise<Outcome<A>> => {
  const sent = currentToken()
  try {
    const api = await theClient()
    const outcome = await Effect.runPromise(
      call(api).pipe(
        Effect.map((value): Outcome<A> => ({ kind: "ok", value })),
        Effect.catch((error: E) => Effect.succeed(classify(error)))
      )
    )
    if (outcome.kind === "unauthorized") refused(sent)
    return outcome
  } catch (defect) {
    return { kind: "error", message: defect instanceof Error ? defect.message : String(defect) }
  }
}

/** The typed client itself, for streams (the live feed, exports). */
export const warehouseClient = theClient
