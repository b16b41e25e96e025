/**
 * Hand-built event sets for the mart tests: catalog events with a readable envelope (who, when, which
 * device and campaign), decoded by the domain schema so a fixture can never be an event ingest would
 * refuse; written to a real lake by the lake writer (one Kafka partition, offsets in order) and modelled
 * by the real runner over a real warehouse file.
 */
import { Effect, Result } from "effect"
import { SqlClient } from "effect/sql"
import type { EnrichedEvent, EventType } from "../../../src/domain/Catalog.ts"
import { decodeEnrichedEvent } from "../../../src/domain/EventCodec.ts"
import type { PropertiesOf } from "../../../src/domain/SdkTypes.ts"
import { ModelRunner } from "../../../src/models/runner/ModelRunner.ts"
import { runnerLayer, tempDataDir, uuid, writeEvents } from "../runner/fixtures.ts"

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

export interface Envelope {
  readonly user: string
  /** occurred_at (and occurred_at_corrected), epoch ms. */
  readonly at: number
  readonly device?: "desktop" | "mobile" | "tablet"
  readonly utm?: { readonly source: string; readonly campaign?: string }
  readonly anonymousId?: string
  readonly session?: string
  /** received_at; `at` + 1 s unless given. */
  readonly receivedAt?: number
  readonly experiments?: Readonly<Record<string, string>>
}

let next = 1

/** A catalog event, decoded by the domain schema (a fixture ingest would refuse throws here). */
export const event = <T extends EventType>(type: T, properties: PropertiesOf<T>, envelope: Envelope): EnrichedEvent => {
  const iso = (ms: number) => new Date(ms).toISOString()
  const raw = {
    event_id: uuid(next++),
    event_type: type,
    schema_version: 1,
    user_id: envelope.user,
    ...(envelope.anonymousId === undefined ? {} : { anonymous_id: envelope.anonymousId }),
    session_id: envelope.session ?? `s-${envelope.user}`,
    occurred_at: iso(envelope.at),
    context: {
      device_type: envelope.device ?? "desktop",
      ...(envelope.utm === undefined
        ? {}
        : {
            utm_source: envelope.utm.source,
            ...(envelope.utm.campaign === undefined ? {} : { utm_campaign: envelope.utm.campaign })
          })
    },
    ...(envelope.experiments === undefined ? {} : { experiments: envelope.experiments }),
    properties,
    received_at: iso(envelope.receivedAt ?? envelope.at + 1000),
    occurred_at_corrected: iso(envelope.at),
    request_id: "req-fixture"
  }
  return Result.getOrThrow(decodeEnrichedEvent(raw))
}

export const pageView = (envelope: Envelope) => event("page_view", { title: "Home" }, envelope)

/** A one-line purchase: `quantity` units of `product` at `unitPrice`, total `revenue`. */
export const purchase = (
  envelope: Envelope,
  order: {
    readonly orderId: string
    readonly revenue: number
    readonly currency: PropertiesOf<"purchase">["currency"]
    readonly product?: string
    readonly quantity?: number
    readonly unitPrice?: number
  }
) =>
  event(
    "purchase",
    {
      order_id: order.orderId,
      revenue: order.revenue,
      currency: order.currency,
      items: [
        {
          product_id: order.product ?? "bike",
          quantity: order.quantity ?? 1,
          unit_price: order.unitPrice ?? order.revenue
        }
      ]
    },
    envelope
  )

/**
 * Writes `events` to a fresh lake (partition 0, offsets in the given order, in batches of 500), runs
 * every model, checks every build succeeded and every data test passes, then runs `body` with the
 * warehouse's SqlClient and the runner.
 */
export const withMarts = <A, E, R>(
  events: ReadonlyArray<EnrichedEvent>,
  body: (sql: SqlClient.SqlClient) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function* () {
    const dataDir = yield* tempDataDir
    return yield* Effect.gen(function* () {
      for (let i = 0; i < events.length; i += 500) yield* writeEvents(0, i, events.slice(i, i + 500))
      yield* buildAndTest
      return yield* body(yield* SqlClient.SqlClient)
    }).pipe(Effect.provide(runnerLayer(dataDir)))
  })

/** Runs every model and every data test; fails naming what did not succeed. */
export const buildAndTest = Effect.gen(function* () {
  const runner = yield* ModelRunner
  const run = yield* runner.run()
  const failed = run.results.filter((r) => r.status !== "success")
  if (failed.length > 0) {
    return yield* Effect.die(new Error(`models failed: ${failed.map((r) => `${r.model}: ${r.message}`).join("; ")}`))
  }
  const tested = yield* runner.test()
  const failing = tested.tests.filter((t) => t.status !== "pass")
  if (failing.length > 0) {
    return yield* Effect.die(
      new Error(
        `data tests failed: ${failing.map((t) => `${t.testId} ${t.status} ${t.message ?? ""} ${JSON.stringify(t.failingRows)}`).join("; ")}`
      )
    )
  }
  return run
})

/** Rows of a query as plain objects (dates as `Date`). */
export const rows = <A extends object>(sql: SqlClient.SqlClient, text: string) => sql.unsafe<A>(text)

/** A UTC day as the warehouse returns a DATE. */
export const day = (ms: number) => new Date(ms - (ms % DAY))
