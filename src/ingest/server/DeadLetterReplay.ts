/**
 * `launchpad dlq replay [--reason R] [--since T]`: re-validates dead-lettered events (after a schema
 * fix, or once a future-dated event is no longer too far ahead) and sends those that now pass to
 * `events_raw`.
 *
 * At most once per dead letter, across repeated runs and crashes. The ledger is a Kafka topic,
 * `events_deadletter_replayed`, with one marker per dead letter handled (its partition:offset and
 * event_id). Committed offsets of the `launchpad-dlq-replay` group alone would not do: they mark a
 * record as *examined*, so a record that still fails (or did not match `--reason`) would be skipped
 * forever, and a second schema fix could never replay it. Each run therefore reads the whole
 * dead-letter topic (bounded by its 30-day retention) and skips what the ledger lists.
 *
 * Order per chunk: produce to events_raw (acks = all), then the markers. A crash between the two
 * re-sends that chunk on the next run with the same event_ids, which the stream's dedup and
 * `stg_events` absorb (guarantee 3), so the lake sees each event once; the marker makes every later
 * run skip it. An event dead-lettered twice (a client retrying a batch after a 503) is moved once: the
 * ledger and the run also remember event_ids.
 */
import { Clock, Context, Effect, Layer, Option, Result, Stream } from "effect"
import { type DeadLetterRecord, decodeDeadLetterJson } from "../../domain/DeadLetter.ts"
import { decodeEnrichedEventJson } from "../../domain/EventCodec.ts"
import { jsonDepthExceeds } from "../../domain/JsonDepth.ts"
import type { RejectReason } from "../../domain/RejectReason.ts"
import { Settings } from "../../domain/Settings.ts"
import { epochMillis } from "../../domain/Timestamp.ts"
import { EventConsumer, partitionKey } from "../../kafka/EventConsumer.ts"
import { EventProducer, type ProducerRecord } from "../../kafka/EventProducer.ts"
import { BrokerUnavailable, Kafka } from "../../kafka/Kafka.ts"
import { ensureTopics, TopicNames } from "../../kafka/Topics.ts"
import { classify } from "./Ingestor.ts"

/** The replay ledger topic (one partition, kept as long as the dead letters themselves). */
export const REPLAY_LEDGER_TOPIC = "events_deadletter_replayed"
export const REPLAY_GROUP = "launchpad-dlq-replay"

const CHUNK = 500
const decoder = new TextDecoder()

export interface ReplayOptions {
  readonly reason: Option.Option<RejectReason>
  /** Only dead letters received at or after this instant (epoch ms). */
  readonly since: Option.Option<number>
}

export interface ReplaySummary {
  /** Dead letters read. */
  readonly examined: number
  /** Skipped: already handled by an earlier run. */
  readonly alreadyReplayed: number
  /** Matching --reason/--since. */
  readonly matched: number
  /** Sent to events_raw now. */
  readonly moved: number
  /** Passed, but their event_id was already moved (by this run or an earlier one). */
  readonly duplicates: number
  /** Still refused; they stay eligible for a later replay. */
  readonly stillFailing: number
  /** Raw input was cut at the size bound, so it cannot be re-validated. */
  readonly truncated: number
  /** Values that are not dead-letter records at all. */
  readonly undecodable: number
}

interface LedgerMarker {
  readonly dead_letter: string
  readonly event_id: string
  readonly replayed_at: string
}

interface Consumed {
  readonly partition: number
  readonly offset: bigint
  readonly value: string
}

/** What a dead letter turns into if it passes now: the events_raw record and its event_id. */
const revalidate = (
  record: DeadLetterRecord,
  receivedAtMs: number,
  maxEventBytes: number
): { readonly eventId: string; readonly record: ProducerRecord } | undefined => {
  // Nesting is bounded before parsing, as at the door (JsonDepth.ts); such a record stays a dead letter.
  if (jsonDepthExceeds(Buffer.from(record.raw, "utf8"))) return undefined
  if (record.source === "stream") {
    // The stream dead-letters events_raw values: already enriched, so they are re-checked as such.
    const decoded = decodeEnrichedEventJson(record.raw)
    return Result.isSuccess(decoded)
      ? { eventId: decoded.success.event_id, record: { key: decoded.success.user_id, value: record.raw } }
      : undefined
  }
  let input: unknown
  try {
    input = JSON.parse(record.raw)
  } catch {
    return undefined
  }
  // Validated as if received now (a future-dated event may have come into range), under the
  // original request id and write key so the event's lineage is kept.
  const classified = classify(
    [input],
    {
      requestId: record.request_id ?? REPLAY_GROUP,
      receivedAtMs,
      writeKeyId: record.write_key_id ?? undefined,
      ipHash: undefined,
      userAgent: undefined
    },
    maxEventBytes
  )
  const accepted = classified.accepted[0]
  const eventId = classified.results[0]?.event_id
  return accepted === undefined || eventId === undefined || eventId === null ? undefined : { eventId, record: accepted }
}

export interface DeadLetterReplayShape {
  readonly replay: (options: ReplayOptions) => Effect.Effect<ReplaySummary, BrokerUnavailable>
}

export class DeadLetterReplay extends Context.Service<DeadLetterReplay, DeadLetterReplayShape>()(
  "launchpad/ingest/DeadLetterReplay"
) {
  static readonly layer = Layer.effect(
    DeadLetterReplay,
    Effect.gen(function* () {
      const settings = yield* Settings
      const { client } = yield* Kafka
      const consumer = yield* EventConsumer
      const producer = yield* EventProducer
      const kafkaContext = yield* Effect.context<Kafka>()

      const endOffsets = (topic: string) =>
        Effect.acquireUseRelease(
          Effect.sync(() => client.admin()),
          (admin) =>
            Effect.tryPromise({
              try: async () => {
                await admin.connect()
                const offsets = await admin.fetchTopicOffsets(topic)
                return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]))
              },
              catch: (cause) => new BrokerUnavailable({ message: `cannot read the offsets of ${topic}`, cause })
            }),
          (admin) => Effect.promise(() => admin.disconnect()).pipe(Effect.ignore)
        )

      /** Every record of `topic` up to its end offsets as of now, in offset order per partition. */
      const readToEnd = (topic: string, groupId: string) =>
        Effect.gen(function* () {
          const ends = yield* endOffsets(topic)
          const remaining = new Set([...ends].filter(([, high]) => high > 0n).map(([partition]) => partition))
          const out: Array<Consumed> = []
          if (remaining.size === 0) return out
          const group = consumer.group({
            groupId,
            topics: [topic],
            maxWaitTimeMs: 200,
            // Always from the start: the ledger, not the group's offsets, says what was handled.
            onAssigned: (partitions) => Effect.succeed(new Map(partitions.map((tp) => [partitionKey(tp), 0n])))
          })
          yield* group.batches.pipe(
            Stream.takeUntil((batch) => {
              const high = ends.get(batch.partition) ?? 0n
              for (const message of batch.messages) {
                if (message.offset < high) {
                  out.push({ partition: batch.partition, offset: message.offset, value: decoder.decode(message.value) })
                }
              }
              if (batch.lastOffset + 1n >= high) remaining.delete(batch.partition)
              return remaining.size === 0
            }),
            Stream.runDrain
          )
          return out
        })

      const replay = Effect.fn("DeadLetterReplay.replay")(function* (options: ReplayOptions) {
        yield* ensureTopics([
          { name: REPLAY_LEDGER_TOPIC, numPartitions: 1, configs: { "retention.ms": String(30 * 86_400_000) } }
        ]).pipe(Effect.provideContext(kafkaContext))
        const handled = new Set<string>()
        const movedIds = new Set<string>()
        for (const marker of yield* readToEnd(REPLAY_LEDGER_TOPIC, `${REPLAY_GROUP}-ledger`)) {
          try {
            const parsed: Partial<LedgerMarker> = JSON.parse(marker.value)
            if (typeof parsed.dead_letter === "string") handled.add(parsed.dead_letter)
            if (typeof parsed.event_id === "string") movedIds.add(parsed.event_id)
          } catch {
            // A foreign value in the ledger topic marks nothing.
          }
        }

        const now = yield* Clock.currentTimeMillis
        const replayedAt = new Date(now).toISOString()
        const counts = {
          examined: 0,
          alreadyReplayed: 0,
          matched: 0,
          moved: 0,
          duplicates: 0,
          stillFailing: 0,
          truncated: 0,
          undecodable: 0
        }
        const toRaw: Array<ProducerRecord> = []
        const markers: Array<ProducerRecord> = []
        const flush = Effect.gen(function* () {
          // events_raw first: a marker must never exist for an event that is not in events_raw.
          yield* producer.publish(TopicNames.eventsRaw, toRaw.splice(0))
          yield* producer.publish(REPLAY_LEDGER_TOPIC, markers.splice(0))
        }).pipe(
          Effect.catch((error) =>
            Effect.fail(
              error._tag === "BrokerUnavailable"
                ? error
                : new BrokerUnavailable({ message: error.message, cause: error })
            )
          )
        )

        for (const consumed of yield* readToEnd(TopicNames.eventsDeadletter, REPLAY_GROUP)) {
          counts.examined++
          const key = `${consumed.partition}:${consumed.offset}`
          if (handled.has(key)) {
            counts.alreadyReplayed++
            continue
          }
          const decoded = decodeDeadLetterJson(consumed.value)
          if (Result.isFailure(decoded)) {
            counts.undecodable++
            continue
          }
          const record = decoded.success
          if (Option.isSome(options.reason) && record.reason !== options.reason.value) continue
          if (Option.isSome(options.since) && epochMillis(record.received_at) < options.since.value) continue
          counts.matched++
          if (record.raw_truncated) {
            counts.truncated++
            continue
          }
          const passed = revalidate(record, now, settings.maxEventBytes)
          if (passed === undefined) {
            counts.stillFailing++
            continue
          }
          if (movedIds.has(passed.eventId)) {
            counts.duplicates++
          } else {
            movedIds.add(passed.eventId)
            toRaw.push(passed.record)
            counts.moved++
          }
          const marker: LedgerMarker = { dead_letter: key, event_id: passed.eventId, replayed_at: replayedAt }
          markers.push({ key, value: JSON.stringify(marker) })
          if (markers.length >= CHUNK) yield* flush
        }
        yield* flush
        yield* Effect.logInfo("dead-letter replay finished").pipe(Effect.annotateLogs(counts))
        return counts satisfies ReplaySummary
      })

      return DeadLetterReplay.of({ replay })
    })
  )
}
