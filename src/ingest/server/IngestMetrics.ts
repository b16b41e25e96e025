/**
 * Ingest's metrics, served at `/metrics` in the Prometheus text format. Labels are bounded sets
 * (route templates, status codes, reason codes), never ids or payload values.
 */
import { Metric } from "effect"

const latencyBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000]

export const IngestMetrics = {
  requests: Metric.counter("launchpad_ingest_requests_total", {
    description: "HTTP requests by route and status",
    incremental: true
  }),
  requestLatency: Metric.histogram("launchpad_ingest_request_latency_ms", {
    description: "time from request start to response, by route",
    boundaries: latencyBoundaries
  }),
  produceLatency: Metric.histogram("launchpad_ingest_produce_latency_ms", {
    description: "time to get a request's events and dead letters acknowledged by Kafka (acks = all)",
    boundaries: latencyBoundaries
  }),
  inFlight: Metric.gauge("launchpad_ingest_requests_in_flight", {
    description: "event requests currently holding a produce permit"
  }),
  payloadBytes: Metric.histogram("launchpad_ingest_payload_bytes", {
    description: "request body size on the wire",
    boundaries: [256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576]
  }),
  eventsAccepted: Metric.counter("launchpad_ingest_events_accepted_total", {
    description: "events written to events_raw",
    incremental: true
  }),
  eventsRejected: Metric.counter("launchpad_ingest_events_rejected_total", {
    description: "events refused, by reason",
    incremental: true
  }),
  eventsDeadLettered: Metric.counter("launchpad_ingest_events_deadlettered_total", {
    description: "records written to events_deadletter",
    incremental: true
  })
} as const
