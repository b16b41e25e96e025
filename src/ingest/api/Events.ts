/** The event endpoints: one event, or a batch of them. */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { TrackEvent } from "../../domain/Catalog.ts"
import { EventErrors } from "../domain/IngestErrors.ts"
import { IngestResponse } from "../domain/IngestResult.ts"
import { WriteKeyAuth } from "./WriteKeyAuth.ts"

/** The event endpoints' paths (canonical: lower case, no trailing slash). */
export const EVENT_PATHS = { track: "/api/v1/events", batch: "/api/v1/events/batch" } as const

export const EventBatch = Schema.Struct({
  events: Schema.Array(TrackEvent).annotate({ description: "the events; each is validated on its own" })
}).annotate({ title: "EventBatch" })

const bodyNotes =
  "Content-Type application/json or text/plain (what navigator.sendBeacon sends), UTF-8; " +
  "Content-Encoding gzip or none. The size limit applies to the decompressed body. " +
  "Invalid events do not fail the request: each gets a result, and rejected ones are written to events_deadletter."

export class EventsApi extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.post("track", EVENT_PATHS.track, {
      payload: TrackEvent,
      success: IngestResponse,
      error: EventErrors
    }).annotateMerge(OpenApi.annotations({ summary: "Send one event", description: bodyNotes })),
    HttpApiEndpoint.post("batch", EVENT_PATHS.batch, {
      payload: EventBatch,
      success: IngestResponse,
      error: EventErrors
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Send a batch of events",
        description: `${bodyNotes} At most LAUNCHPAD_MAX_BATCH_EVENTS events (default 500) per batch.`
      })
    )
  )
  .middleware(WriteKeyAuth)
  .annotateMerge(OpenApi.annotations({ title: "Events", description: "Event ingestion" })) {}
