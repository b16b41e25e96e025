/**
 * The heart of ingest: validate each event, enrich the valid ones, and write accepted events to
 * `events_raw` and rejects to `events_deadletter`, both acknowledged (acks = all) before the caller
 * answers 200. Validation is pure (`classify`, shared with `dlq replay`). Validating and producing
 * are bounded by `maxInFlight` slots: when none is free, or the producer's buffer is
 * full, the request fails at once with a 503 instead of queueing. Input reaching `classify` was parsed
 * from a body whose nesting is bounded (`JsonDepth.ts`), so nothing here recurses deeply.
 */
import { createHash } from "node:crypto"
import { Context, Effect, Layer, Option, Redacted, Result } from "effect"
import { boundRaw, type DeadLetterRecord, encodeDeadLetter, REASON_HEADER } from "../../domain/DeadLetter.ts"
import { enrichedJsonInRange, MAX_FUTURE_MS, requestTail } from "../../domain/Enrichment.ts"
import { decodeEvent } from "../../domain/EventCodec.ts"
import { labelled } from "../../domain/MetricLabels.ts"
import type { EventRejection, RejectReason } from "../../domain/RejectReason.ts"
import { Settings } from "../../domain/Settings.ts"
import { formatTimestamp } from "../../domain/Timestamp.ts"
import { EventProducer, type ProducerRecord, type PublishError } from "../../kafka/EventProducer.ts"
import { TopicNames } from "../../kafka/Topics.ts"
import { type ServiceUnavailable, serviceUnavailable } from "../domain/IngestErrors.ts"
import type { EventResult, IngestResponse } from "../domain/IngestResult.ts"
import { IngestMetrics } from "./IngestMetrics.ts"
import { fillContextFromUserAgent, type ParsedUserAgent } from "./UserAgent.ts"

export interface RequestMeta {
  readonly requestId: string
  readonly receivedAtMs: number
  readonly writeKeyId: string | undefined
  readonly ipHash: string | undefined
  readonly userAgent: ParsedUserAgent | undefined
}

export interface Classified {
  readonly results: Array<EventResult>
  readonly accepted: Array<ProducerRecord>
  readonly deadLetters: Array<ProducerRecord>
  readonly rejectedReasons: Array<RejectReason>
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** A short string field of the raw input, for results and dead letters (null when absent or implausible). */
const stringField = (input: unknown, name: string): string | null => {
  if (!isRecord(input)) return null
  const value = input[name]
  return typeof value === "string" && value.length <= 128 ? value : null
}

/** Builds the dead-letter record of one refused input. */
export const deadLetterFor = (
  input: unknown,
  index: number | null,
  rejection: Pick<EventRejection, "reason" | "path" | "message">,
  meta: Pick<RequestMeta, "receivedAtMs" | "requestId" | "writeKeyId">,
  maxRawBytes: number
): DeadLetterRecord => {
  // JSON.stringify cannot fail on a value that came out of JSON.parse; undefined only for undefined.
  const raw = JSON.stringify(input) ?? "null"
  const bounded = boundRaw(raw, maxRawBytes)
  return {
    reason: rejection.reason,
    path: rejection.path,
    message: rejection.message,
    source: "ingest",
    raw: bounded.text,
    raw_truncated: bounded.text.length !== raw.length,
    raw_bytes: bounded.bytes,
    event_id: stringField(input, "event_id"),
    event_type: stringField(input, "event_type"),
    index,
    received_at: formatTimestamp(meta.receivedAtMs),
    request_id: meta.requestId,
    write_key_id: meta.writeKeyId ?? null,
    origin: null
  }
}

const deadLetterRecord = (record: DeadLetterRecord): ProducerRecord => ({
  key: record.event_id,
  value: encodeDeadLetter(record),
  headers: { [REASON_HEADER]: record.reason }
})

/**
 * Validates and enriches `inputs` (parsed JSON values), in order. Pure apart from the clock value in
 * `meta`. The enriched event is serialised once, here; that string is both the size check and the
 * Kafka value (the enriched schema is plain JSON, so `encodeEnrichedEvent` would only re-validate
 * what `decodeEvent` just proved and the fields `enrich` adds by construction). It is written as
 * text directly (`enrichedJsonInRange`, equal to stringifying `enrichInRange`'s object).
 */
export const classify = (inputs: ReadonlyArray<unknown>, meta: RequestMeta, maxEventBytes: number): Classified => {
  const results: Array<EventResult> = []
  const accepted: Array<ProducerRecord> = []
  const deadLetters: Array<ProducerRecord> = []
  const rejectedReasons: Array<RejectReason> = []
  const reject = (index: number, input: unknown, rejection: Pick<EventRejection, "reason" | "path" | "message">) => {
    const record = deadLetterFor(input, index, rejection, meta, maxEventBytes)
    deadLetters.push(deadLetterRecord(record))
    rejectedReasons.push(rejection.reason)
    results.push({
      index,
      event_id: record.event_id,
      status: "rejected",
      reason: rejection.reason,
      path: rejection.path,
      message: rejection.message
    })
  }
  const enrichment = {
    receivedAtMs: meta.receivedAtMs,
    requestId: meta.requestId,
    writeKeyId: meta.writeKeyId,
    ipHash: meta.ipHash
  }
  const tail = requestTail(enrichment)
  for (let index = 0; index < inputs.length; index++) {
    const input = inputs[index]
    const decoded = decodeEvent(fillContextFromUserAgent(input, meta.userAgent))
    if (Result.isFailure(decoded)) {
      reject(index, input, decoded.failure)
      continue
    }
    const event = decoded.success
    const value = enrichedJsonInRange(event, enrichment, tail)
    if (value === undefined) {
      reject(index, input, {
        reason: "timestamp_out_of_range",
        path: "$.occurred_at",
        message: `occurred_at is more than ${MAX_FUTURE_MS / 3_600_000} h after received_at once corrected for clock skew`
      })
      continue
    }
    // UTF-8 needs at most 3 bytes per UTF-16 unit, so most events skip the byte count.
    if (value.length * 3 > maxEventBytes && Buffer.byteLength(value, "utf8") > maxEventBytes) {
      reject(index, input, {
        reason: "too_large",
        path: "$",
        message: `the enriched event is larger than ${maxEventBytes} bytes`
      })
      continue
    }
    accepted.push({ key: event.user_id, value })
    results.push({ index, event_id: event.event_id, status: "accepted", reason: null, path: null, message: null })
  }
  return { results, accepted, deadLetters, rejectedReasons }
}

/** Salted SHA-256 of the client address; the address itself is never stored. */
export const hashIp = (salt: Redacted.Redacted<string>, ip: string): string =>
  createHash("sha256").update(Redacted.value(salt), "utf8").update("\u0000").update(ip, "utf8").digest("hex")

/** The admission state `Readiness` reports: slots held, and for how long none was given back. */
export interface AdmissionState {
  readonly inFlight: number
  readonly maxInFlight: number
  /** Since when requests have held slots without any being released (null when none is held). */
  readonly stalledSinceMs: number | null
}

export interface IngestorShape {
  /** Classifies and produces; succeeds once every record is acknowledged. */
  readonly ingest: (
    inputs: ReadonlyArray<unknown>,
    meta: RequestMeta
  ) => Effect.Effect<IngestResponse, ServiceUnavailable>
  readonly ipHash: (ip: string | undefined) => string | undefined
  readonly admission: Effect.Effect<AdmissionState>
}

const rejectedCounters = labelled(IngestMetrics.eventsRejected)

/**
 * The in-flight slots (LAUNCHPAD_MAX_IN_FLIGHT). JS runs one thing at a time, so a counter is the
 * semaphore; `stalledSinceMs` is when the slots held now stopped being given back (the oldest
 * acquisition with no release since), which readiness turns into "wedged".
 */
export const makeSlots = (max: number, onChange: (inFlight: number) => void) => {
  let inFlight = 0
  let stalledSinceMs: number | null = null
  return {
    tryAcquire: (nowMs: number): boolean => {
      if (inFlight >= max) return false
      if (inFlight === 0) stalledSinceMs = nowMs
      inFlight++
      onChange(inFlight)
      return true
    },
    release: (nowMs: number): void => {
      inFlight--
      stalledSinceMs = inFlight === 0 ? null : nowMs
      onChange(inFlight)
    },
    state: (): AdmissionState => ({ inFlight, maxInFlight: max, stalledSinceMs })
  }
}

export class Ingestor extends Context.Service<Ingestor, IngestorShape>()("launchpad/ingest/Ingestor") {
  static readonly layer = Layer.effect(
    Ingestor,
    Effect.gen(function* () {
      const settings = yield* Settings
      const producer = yield* EventProducer
      const context = yield* Effect.context<never>()
      const slots = makeSlots(settings.maxInFlight, (inFlight) =>
        IngestMetrics.inFlight.updateUnsafe(inFlight, context)
      )

      const toUnavailable = (requestId: string) => (error: PublishError) => {
        switch (error._tag) {
          case "ProducerSaturated":
            return Effect.fail(serviceUnavailable("overloaded", "the producer buffer is full; retry later", requestId))
          case "BrokerUnavailable":
            return Effect.fail(serviceUnavailable("broker_unavailable", "Kafka is unavailable; retry later", requestId))
          case "ProduceRejected":
            // Records are bounded well below any broker limit, so this is a server bug, not the client's.
            return Effect.die(error)
        }
      }

      /** Both topics, acknowledged; the latency and the outcome's metrics are recorded here. */
      const produce = (classified: Classified, requestId: string) => {
        const started = Date.now()
        const raw = producer.publish(TopicNames.eventsRaw, classified.accepted)
        const dead = producer.publish(TopicNames.eventsDeadletter, classified.deadLetters)
        // Both topics at once only when both have records: forking costs more than a small request.
        const both =
          classified.deadLetters.length === 0
            ? raw
            : classified.accepted.length === 0
              ? dead
              : Effect.all([raw, dead], { concurrency: 2, discard: true })
        // Uninterruptible: once records are handed to the producer a client disconnect must not
        // leave the request half written (events_raw without its dead letters, or the reverse).
        return both.pipe(
          Effect.catch(toUnavailable(requestId)),
          Effect.uninterruptible,
          Effect.flatMap(() => {
            IngestMetrics.produceLatency.updateUnsafe(Date.now() - started, context)
            IngestMetrics.eventsAccepted.updateUnsafe(classified.accepted.length, context)
            IngestMetrics.eventsDeadLettered.updateUnsafe(classified.deadLetters.length, context)
            for (const reason of classified.rejectedReasons) rejectedCounters({ reason }).updateUnsafe(1, context)
            return classified.deadLetters.length === 0
              ? Effect.void
              : Effect.logDebug("events dead-lettered").pipe(
                  Effect.annotateLogs({ request_id: requestId, count: classified.deadLetters.length })
                )
          })
        )
      }

      const overloaded = (requestId: string) =>
        serviceUnavailable(
          "overloaded",
          `${settings.maxInFlight} requests are already being written; retry later`,
          requestId
        )

      // Admission comes before validating, so an overloaded server sheds work before spending CPU on
      // it. The slot is taken in `acquireUseRelease`'s acquire step, so its release is registered
      // before any of the request's own code runs: whatever classification or producing throws, or
      // however the fiber ends, the slot comes back.
      const ingest = (inputs: ReadonlyArray<unknown>, meta: RequestMeta) =>
        Effect.acquireUseRelease(
          Effect.suspend(() => (slots.tryAcquire(Date.now()) ? Effect.void : Effect.fail(overloaded(meta.requestId)))),
          () =>
            Effect.suspend(() => {
              const classified = classify(inputs, meta, settings.maxEventBytes)
              const response: IngestResponse = {
                accepted: classified.accepted.length,
                rejected: classified.deadLetters.length,
                results: classified.results
              }
              return produce(classified, meta.requestId).pipe(Effect.as(response))
            }),
          () => Effect.sync(() => slots.release(Date.now()))
        )

      const salt = settings.ipSalt
      const ipHash = (ip: string | undefined) =>
        ip === undefined || Option.isNone(salt) ? undefined : hashIp(salt.value, ip)

      return Ingestor.of({ ingest, ipHash, admission: Effect.sync(slots.state) })
    })
  )
}
