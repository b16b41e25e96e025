/**
 * Readiness of ingest: Kafka answers and Launchpad's topics exist (`KafkaHealth`), the producer
 * believes the broker reachable, and ingest can take a request (a free in-flight slot, and slots are
 * being given back).
 */
import { Clock, Context, Effect, Layer } from "effect"
import { EventProducer } from "../../kafka/EventProducer.ts"
import { KafkaHealth } from "../../kafka/KafkaHealth.ts"
import type { HealthReport } from "../api/Health.ts"
import { type AdmissionState, Ingestor } from "./Ingestor.ts"

/**
 * Slots held this long with none given back mean ingest is wedged: a request waits at most
 * (sendRetries + 1) × sendTimeout ≈ 31 s for the producer (EventProducer) before it is answered.
 */
export const WEDGED_AFTER_MS = 60_000

export interface ReadinessShape {
  readonly report: Effect.Effect<HealthReport>
}

export class Readiness extends Context.Service<Readiness, ReadinessShape>()("launchpad/ingest/Readiness") {
  static readonly layer = Layer.effect(
    Readiness,
    Effect.gen(function* () {
      const health = yield* KafkaHealth
      const producer = yield* EventProducer
      const ingestor = yield* Ingestor

      const report = Effect.gen(function* () {
        const kafka = yield* health.probe
        const pending = yield* producer.pendingRecords
        const available = yield* producer.available
        const ingest = admissionStatus(yield* ingestor.admission, yield* Clock.currentTimeMillis)
        const components = {
          process: { status: "up" },
          kafka: kafka.kafka,
          topics: kafka.topics,
          producer: available
            ? { status: "up", detail: `${pending} records awaiting acknowledgement` }
            : { status: "down", detail: "the broker is unreachable; event requests get 503 until it answers" },
          ingest
        } satisfies HealthReport["components"]
        const ready = Object.values(components).every((component) => component.status === "up")
        return {
          status: ready ? "up" : "down",
          ready,
          components,
          checked_at: new Date(kafka.checkedAtMs).toISOString()
        } satisfies HealthReport
      })

      return Readiness.of({ report })
    })
  )
}

/** Ingest's admission as a component: down when every slot is taken, or slots stopped coming back. */
export const admissionStatus = (state: AdmissionState, nowMs: number): HealthReport["components"]["ingest"] => {
  const held = `${state.inFlight} of ${state.maxInFlight} request slots in use`
  if (state.inFlight >= state.maxInFlight) return { status: "down", detail: `saturated: ${held}` }
  if (state.stalledSinceMs !== null && nowMs - state.stalledSinceMs > WEDGED_AFTER_MS) {
    const seconds = Math.round((nowMs - state.stalledSinceMs) / 1000)
    return { status: "down", detail: `wedged: ${held}, none released for ${seconds} s` }
  }
  return { status: "up", detail: held }
}
