/**
 * Whether Kafka answers and Launchpad's topics exist, as readiness endpoints report it. The probe is
 * one metadata request with a short timeout, cached for a second, so load balancers can poll
 * `/health/ready` as often as they like without loading the broker.
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"
import { Kafka } from "./Kafka.ts"
import { TopicNames } from "./Topics.ts"

const PROBE_TIMEOUT = Duration.seconds(1)
const CACHE_FOR = Duration.seconds(1)
const REQUIRED_TOPICS: ReadonlyArray<string> = Object.values(TopicNames)

/** One component of a health report. */
export interface ComponentHealth {
  readonly status: "up" | "down"
  readonly detail?: string
}

export interface KafkaProbe {
  readonly kafka: ComponentHealth
  readonly topics: ComponentHealth
  readonly checkedAtMs: number
}

export interface KafkaHealthShape {
  readonly probe: Effect.Effect<KafkaProbe>
  /** The probe as readiness components (`kafka`, `topics`), for a role's `/health/ready`. */
  readonly components: Effect.Effect<Readonly<Record<string, ComponentHealth>>>
}

export class KafkaHealth extends Context.Service<KafkaHealth, KafkaHealthShape>()("launchpad/kafka/KafkaHealth") {
  static readonly layer = Layer.effect(
    KafkaHealth,
    Effect.gen(function* () {
      const { client, brokers } = yield* Kafka

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

      const cached = yield* Effect.cachedWithTTL(probe, CACHE_FOR)
      return KafkaHealth.of({
        probe: cached,
        components: Effect.map(cached, ({ kafka, topics }) => ({ kafka, topics }))
      })
    })
  )
}
