import type { MeasuredEvent } from "../domain/KpiMeasures.ts"

/**
 * The processor's input: the few fields of an enriched event that the stream core reads (those the
 * KPI measures read, and the ones sessions and windows need). The processor maps the domain's
 * `EnrichedEvent` into this shape (it may pass a subtype that carries the original event along; lake
 * rows hand back the very object they were given).
 */
export interface StreamEvent extends MeasuredEvent {
  readonly eventId: string
  /** `occurred_at` in epoch milliseconds (an integer): the event time every rule is defined on. */
  readonly eventTimeMs: number
  readonly partition: number
  readonly offset: bigint | number
  readonly deviceType: string
  readonly utmSource: string | null
  readonly utmMedium: string | null
  readonly utmCampaign: string | null
}

/**
 * The total order on events used wherever ties matter (sessions' first/last event type): event time,
 * then event id by UTF-16 code units — SQL reproduces it with `ORDER BY occurred_at, event_id` under
 * DuckDB's default binary collation.
 */
export const compareEventOrder = (
  a: { readonly eventTimeMs: number; readonly eventId: string },
  b: { readonly eventTimeMs: number; readonly eventId: string }
): number =>
  a.eventTimeMs !== b.eventTimeMs
    ? a.eventTimeMs - b.eventTimeMs
    : a.eventId < b.eventId
      ? -1
      : a.eventId > b.eventId
        ? 1
        : 0
