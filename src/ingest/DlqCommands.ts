/**
 * `launchpad dlq replay`: wiring and output. It connects to KAFKA_BROKERS, or to the embedded broker
 * already running at BROKER_HOST:BROKER_PORT (`pnpm dev` or `launchpad broker`): a maintenance task
 * must not start a second broker on the same data directory.
 */
import { Console, Effect, Layer, Option } from "effect"
import type { RejectReason } from "../domain/RejectReason.ts"
import { Settings } from "../domain/Settings.ts"
import { EventConsumer } from "../kafka/EventConsumer.ts"
import { EventProducer } from "../kafka/EventProducer.ts"
import { Kafka } from "../kafka/Kafka.ts"
import { Topics } from "../kafka/Topics.ts"
import { DeadLetterReplay } from "./server/DeadLetterReplay.ts"

const kafkaForTask = Layer.unwrap(
  Effect.gen(function* () {
    const settings = yield* Settings
    return Kafka.layerWith(
      Option.getOrElse(settings.kafkaBrokers, () => [`${settings.brokerHost}:${settings.brokerPort}`]),
      { clientId: settings.kafkaClientId }
    )
  })
)

export const replayLayer = DeadLetterReplay.layer.pipe(
  Layer.provide([EventConsumer.layer, EventProducer.layer]),
  Layer.provide(Topics.layer),
  Layer.provide(kafkaForTask),
  Layer.provide(Settings.layer)
)

export const replay = (options: {
  readonly reason: Option.Option<RejectReason>
  readonly since: Option.Option<Date>
}) =>
  Effect.gen(function* () {
    const replayer = yield* DeadLetterReplay
    const summary = yield* replayer.replay({
      reason: options.reason,
      since: Option.map(options.since, (date) => date.getTime())
    })
    yield* Console.log(JSON.stringify(summary, null, 2))
  }).pipe(Effect.provide(replayLayer))
