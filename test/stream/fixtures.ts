/**
 * Generated event sets and a driver for the stream core. Copies of an event id share everything but
 * their Kafka offset (client and producer retries resend the same event); arrival orders are built so
 * that a test knows which events can be late.
 */
import { Arbitrary, Schema } from "effect"
import type { SessionRecord } from "../../src/domain/SessionRecord.ts"
import { type BatchResult, closeAll, type LakeRow, processBatch, type StreamRules } from "../../src/stream/Batch.ts"
import type { PartitionRun } from "../../src/stream/MicroBatch.ts"
import { emptyState, type StreamState } from "../../src/stream/State.ts"
import type { StreamEvent } from "../../src/stream/StreamEvent.ts"
import type { WindowUpdate } from "../../src/stream/Windows.ts"

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
/** 2026-11-22T00:00:00Z */
export const BASE_MS = Date.UTC(2026, 10, 22)

export const EVENT_TYPES = [
  "page_viewed",
  "quiz_started",
  "quiz_step_viewed",
  "slider_adjusted",
  "quiz_completed",
  "result_viewed",
  "purchase"
] as const

/** The configurator funnel's stages in order and the event type of each, written out independently of the domain. */
export const FUNNEL_STAGES: ReadonlyArray<readonly [string, string]> = [
  ["quiz_started", "started"],
  ["quiz_step_viewed", "step_viewed"],
  ["quiz_completed", "completed"],
  ["result_viewed", "result_viewed"],
  ["purchase", "purchased"]
]

export interface EventFields {
  readonly eventId: string
  readonly userId: string
  readonly eventTimeMs: number
  readonly eventType?: string
  readonly partition?: number
  readonly offset?: number
  readonly receivedAtMs?: number
  readonly deviceType?: string
  readonly utmSource?: string | null
  readonly revenue?: number | null
  readonly currency?: string | null
}

export const makeEvent = (f: EventFields): StreamEvent => {
  const eventType = f.eventType ?? "page_viewed"
  return {
    eventId: f.eventId,
    userId: f.userId,
    eventType,
    eventTimeMs: f.eventTimeMs,
    receivedAtMs: f.receivedAtMs ?? f.eventTimeMs + 1_000,
    partition: f.partition ?? 0,
    offset: f.offset ?? 0,
    deviceType: f.deviceType ?? "desktop",
    utmSource: f.utmSource ?? null,
    utmMedium: f.utmSource === undefined || f.utmSource === null ? null : "cpc",
    utmCampaign: null,
    revenue: f.revenue ?? null,
    currency: f.currency ?? null
  }
}

const int = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

/** One generated event; `jitter`/`copyJitter` are fractions (‰) of the delay by which arrival trails event time. */
const EventSpec = Schema.Struct({
  user: int(0, 2),
  /** Users are active in bursts of 25 minutes that start 40 minutes apart: gaps on both sides of 30 min. */
  burst: int(0, 4),
  minuteInBurst: int(0, 24),
  offsetMs: Schema.Literals([0, 1, 30_000, 59_999]),
  type: Schema.Literals(EVENT_TYPES),
  device: Schema.Literals(["desktop", "mobile"]),
  utm: Schema.NullOr(Schema.Literals(["google", "newsletter"])),
  revenueCents: int(0, 50_000),
  currency: Schema.Literals(["EUR", "USD"]),
  copies: int(1, 10),
  jitter: int(0, 999),
  copyJitter: int(0, 999),
  copyTimeShift: int(-999, 999),
  /** Under "stragglers": 9 = the event arrives up to hours late, 10 = its copy (a retry after being offline) does. */
  straggler: int(0, 10),
  stragglerMinutes: int(1, 240),
  receivedLagMs: int(0, 20_000)
})
type EventSpec = typeof EventSpec.Type

const ScenarioSpec = Schema.Struct({
  events: Schema.Array(EventSpec).check(Schema.isMinLength(30), Schema.isMaxLength(100)),
  batchSizes: Schema.Array(int(1, 15)).check(Schema.isMinLength(1), Schema.isMaxLength(8)),
  capMs: Schema.Literals([24 * HOUR, 40 * MINUTE]),
  delayMs: Schema.Literals([10 * MINUTE, 3 * MINUTE])
})

export interface Scenario {
  readonly rules: StreamRules
  /** Distinct events (one per id), in id order. */
  readonly distinct: ReadonlyArray<StreamEvent>
  /** Every copy, in arrival order. */
  readonly arrival: ReadonlyArray<StreamEvent>
  readonly batches: ReadonlyArray<ReadonlyArray<StreamEvent>>
}

export type Disorder =
  /** Arrival trails event time by less than the delay: no event can be late. */
  | "withinDelay"
  /** As above, but some events arrive hours late. */
  | "stragglers"
  /** Copies of an id may carry event times up to a delay apart (a misbehaving client); none late. */
  | "copiesWithinDelay"

const split = <A>(items: ReadonlyArray<A>, sizes: ReadonlyArray<number>): Array<Array<A>> => {
  const batches: Array<Array<A>> = []
  let i = 0
  let k = 0
  while (i < items.length) {
    const size = sizes[k % sizes.length] ?? 1
    batches.push(items.slice(i, i + size))
    i += size
    k++
  }
  return batches
}

const buildScenario = (spec: typeof ScenarioSpec.Type, disorder: Disorder): Scenario => {
  const rules: StreamRules = { delayMs: spec.delayMs, gapMs: 30 * MINUTE, capMs: spec.capMs }
  const distinct: Array<StreamEvent> = []
  const arriving: Array<{ readonly key: number; readonly seq: number; readonly event: StreamEvent }> = []
  const arrivalKey = (e: EventSpec, eventTimeMs: number, jitter: number, straggles: boolean): number =>
    eventTimeMs +
    Math.floor((jitter * rules.delayMs) / 1000) +
    (disorder === "stragglers" && straggles ? e.stragglerMinutes * MINUTE : 0)
  spec.events.forEach((e: EventSpec, i) => {
    const eventTimeMs = BASE_MS + (e.burst * 40 + e.minuteInBurst) * MINUTE + e.offsetMs
    const event = makeEvent({
      eventId: `e${String(i).padStart(3, "0")}`,
      userId: `u${e.user}`,
      eventTimeMs,
      eventType: e.type,
      partition: e.user % 2,
      offset: 2 * i,
      receivedAtMs: eventTimeMs + e.receivedLagMs,
      deviceType: e.device,
      utmSource: e.utm,
      revenue: e.type === "purchase" ? e.revenueCents / 100 : null,
      currency: e.type === "purchase" ? e.currency : null
    })
    distinct.push(event)
    arriving.push({ key: arrivalKey(e, eventTimeMs, e.jitter, e.straggler === 9), seq: 2 * i, event })
    if (e.copies >= 9) {
      const shift = disorder === "copiesWithinDelay" ? Math.trunc((e.copyTimeShift * rules.delayMs) / 1000) : 0
      const copy = { ...event, eventTimeMs: eventTimeMs + shift, offset: 2 * i + 1 }
      arriving.push({
        key: arrivalKey(e, copy.eventTimeMs, e.copyJitter, e.straggler === 10),
        seq: 2 * i + 1,
        event: copy
      })
    }
  })
  const arrival = arriving.sort((a, b) => a.key - b.key || a.seq - b.seq).map((a) => a.event)
  return { rules, distinct, arrival, batches: split(arrival, spec.batchSizes) }
}

export const scenarioArbitrary = (disorder: Disorder): Arbitrary.Arbitrary<Scenario> =>
  Arbitrary.schema(ScenarioSpec).pipe(Arbitrary.map((spec) => buildScenario(spec, disorder)))

export interface Run {
  readonly results: ReadonlyArray<BatchResult<StreamEvent>>
  readonly lakeRows: ReadonlyArray<LakeRow<StreamEvent>>
  /** Sessions from every batch and the final flush. */
  readonly sessions: ReadonlyArray<SessionRecord>
  /** Every window update, the flush's included, in emission order. */
  readonly updates: ReadonlyArray<WindowUpdate>
  /** W at the start of each batch, then after the last one. */
  readonly watermarks: ReadonlyArray<number>
  readonly state: StreamState
}

/** Processing time of batch `i`: one second per batch after the stream's start. */
export const processingTimeOf = (i: number): number => BASE_MS + 10 * HOUR + i * 1_000

export const runBatches = (
  batches: ReadonlyArray<ReadonlyArray<StreamEvent>>,
  rules: StreamRules,
  options: { readonly flush: boolean } = { flush: true }
): Run => {
  let state = emptyState()
  const results: Array<BatchResult<StreamEvent>> = []
  const watermarks: Array<number> = [state.watermarkMs]
  batches.forEach((batch, i) => {
    const result = processBatch(state, batch, { ...rules, processingTimeMs: processingTimeOf(i) })
    results.push(result)
    state = result.state
    watermarks.push(state.watermarkMs)
  })
  const sessions = results.flatMap((r) => r.closedSessions)
  const updates = results.flatMap((r) => r.windowUpdates)
  if (options.flush) {
    const flushed = closeAll(state, rules)
    state = flushed.state
    sessions.push(...flushed.closedSessions)
    updates.push(...flushed.windowUpdates)
  }
  return { results, lakeRows: results.flatMap((r) => r.lakeRows), sessions, updates, watermarks, state }
}

export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

export const sortSessions = (sessions: ReadonlyArray<SessionRecord>): Array<SessionRecord> =>
  [...sessions].sort((a, b) => compareStrings(a.sessionKey, b.sessionKey))

/** Closed windows without the latency histogram (it depends on processing time, i.e. on batching). */
export const closedWindowsOf = (updates: ReadonlyArray<WindowUpdate>) =>
  updates
    .filter((u) => u.closed)
    .map(({ measures: { latencyBuckets: _latency, ...measures }, minuteStartMs, partition }) => ({
      minuteStartMs,
      partition,
      ...measures
    }))
    .sort((a, b) => a.minuteStartMs - b.minuteStartMs || a.partition - b.partition)

/** A partition that has never committed: empty state, from offset 0. */
export const newRun = (partition: number): PartitionRun => ({
  topic: "events_raw",
  partition,
  state: emptyState(),
  nextOffset: 0n,
  seq: 0,
  maxEventTimeMs: null,
  unwritten: [],
  replays: []
})
