/** Liveness, readiness (Kafka reachable, topics present, ingest not saturated) and a combined report. */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"

export const ComponentStatus = Schema.Literals(["up", "down"])

export const ComponentState = Schema.Struct({
  status: ComponentStatus,
  detail: Schema.optionalKey(Schema.String)
})

export const HealthReport = Schema.Struct({
  status: ComponentStatus,
  ready: Schema.Boolean,
  components: Schema.Struct({
    process: ComponentState,
    kafka: ComponentState,
    topics: ComponentState,
    producer: ComponentState,
    ingest: ComponentState.annotate({ description: "request slots: down when saturated or wedged" })
  }),
  checked_at: Schema.String.annotate({ description: "when Kafka was last probed (probes are cached ~1 s)" })
}).annotate({ title: "HealthReport" })
export type HealthReport = typeof HealthReport.Type

export const Liveness = Schema.Struct({ status: Schema.Literal("up") })

/** 503 from /health/ready: the body says which component is down. */
export class NotReady extends Schema.TaggedError<NotReady>()(
  "NotReady",
  { report: HealthReport },
  { httpApiStatus: 503 }
) {}

export class HealthApi extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("live", "/health/live", { success: Liveness }).annotateMerge(
      OpenApi.annotations({ summary: "The process is up" })
    ),
    HttpApiEndpoint.get("ready", "/health/ready", { success: HealthReport, error: NotReady }).annotateMerge(
      OpenApi.annotations({
        summary: "Kafka is reachable, the topics exist and ingest has free request slots (200), else 503"
      })
    ),
    HttpApiEndpoint.get("health", "/health", { success: HealthReport }).annotateMerge(
      OpenApi.annotations({ summary: "Every component's state (always 200; see status and ready)" })
    )
  )
  .annotateMerge(OpenApi.annotations({ title: "Health" })) {}
