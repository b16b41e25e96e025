/**
 * Readiness: Kafka answers a metadata request, Launchpad's topics exist, and ingest can take a
 * request (a free in-flight slot, and slots are being given back). The Kafka probe has a short
 * timeout and its result is cached for a second, so load balancers can poll `/health/ready` as
 * often as they like without loading the broker.
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"
import { EventProducer } from "../../kafka/EventProducer.ts"
import { Kafka } from "../../kafka/Kafka.ts"
import { TopicNames } from "../../kafka/Topics.ts"
import type { HealthReport } from "../api/Health.ts"
import { type AdmissionState, Ingestor } from "./Ingestor.ts"

const PROBE_TIMEOUT = Duration.seconds(1)
const CACHE_FOR = Duration.seconds(1)
/**
 * Slots held this long with none given back mean ingest is wedged: a request waits at most
 * (sendRetries + 1) × sendTimeout ≈ 31 s for the producer (EventProducer) before it is answered.
 */
export const WEDGED_AFTER_MS = 60_000

const REQUIRED_TOPICS: ReadonlyArray<string> = [TopicNames.eventsRaw, TopicNames.eventsDeadletter]

interface KafkaProbe {
  readonly kafka: HealthReport["components"]["kafka"]
  readonly topics: HealthReport["components"]["topics"]
  readonly checkedAtMs: number
}

export interface ReadinessShape {
  readonly report: Effect.Effect<HealthReport>
}

export class Readiness extends Context.Service<Readiness, ReadinessShape>()("launchpad/ingest/Readiness") {
  static readonly layer = Layer.effect(
    Readiness,
    Effect.gen(function* () {
      const { client, brokers } = yield* Kafka
      const producer = yield* EventProducer
      const ingestor = yield* Ingestor

      const fetchTopics = Effect.acquireUseRelease(
        Effect.sync(() => client.admin({ retry: { retries: 0 } })),
        (admin) =>
          Effect.tryPromise(async () => {
            await admin.connect()
            // All topics, not only ours: naming missing topics could auto-create them.
            const metadata = await admin.fetchTopicMetadata()
            return metadata.topics.map((topic) => topic.name)
          }),
        (admin) => Effect.promise(() => admin.disconnect()).pipe(Effect.ignore)
      )

      const probe: Effect.Effect<KafkaProbe> = Effect.gen(function* () {
        const checkedAtMs = yield* Clock.currentTimeMillis
        const names = yield* fetchTopics.pipe(Effect.timeout(PROBE_TIMEOUT), Effect.result)
        if (names._tag === "Failure") {
          const detail =
            names.failure._tag === "TimeoutError"
              ? `no answer from ${brokers.join(",")} within ${Duration.toMillis(PROBE_TIMEOUT)} ms`
              : `cannot reach ${brokers.join(",")}`
          return {
            kafka: { status: "down", detail },
            topics: { status: "down", detail: "unknown while Kafka is down" },
            checkedAtMs
          } satisfies KafkaProbe
        }
        const present = new Set(names.success)
        const missing = REQUIRED_TOPICS.filter((name) => !present.has(name))
        return {
          kafka: { status: "up" },
          topics: missing.length === 0 ? { status: "up" } : { status: "down", detail: `missing ${missing.join(", ")}` },
          checkedAtMs
        } satisfies KafkaProbe
      })

      const cachedProbe = yield* Effect.cachedWithTTL(probe, CACHE_FOR)

      const report = Effect.gen(function* () {
        const kafka = yield* cachedProbe
        const pending = yield* producer.pendingRecords
        const ingest = admissionStatus(yield* ingestor.admission, yield* Clock.currentTimeMillis)
        const ready = kafka.kafka.status === "up" && kafka.topics.status === "up" && ingest.status === "up"
        return {
          status: ready ? "up" : "down",
          ready,
          components: {
            process: { status: "up" },
            kafka: kafka.kafka,
            topics: kafka.topics,
            producer: { status: "up", detail: `${pending} records awaiting acknowledgement` },
            ingest
          },
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
