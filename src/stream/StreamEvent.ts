/**
 * The processor's input: the few fields of an enriched event that the stream core reads. The
 * processor maps the domain's `EnrichedEvent` into this shape (it may pass a subtype that carries the
 * original event along; lake rows hand back the very object they were given).
 */
export interface StreamEvent {
  readonly eventId: string
  readonly userId: string
  readonly eventType: string
  /** `occurred_at` in epoch milliseconds (an integer): the event time every rule is defined on. */
  readonly eventTimeMs: number
  /** `received_at` in epoch milliseconds, for the ingest-to-processing latency histogram. */
  readonly receivedAtMs: number
  readonly partition: number
  readonly offset: bigint | number
  readonly deviceType: string
  readonly utmSource: string | null
  readonly utmMedium: string | null
  readonly utmCampaign: string | null
  /** Set on `purchase` events: the order total in `currency`. */
  readonly revenue: number | null
  /** ISO 4217 code of `revenue`; set on `purchase` events. */
  readonly currency: string | null
  /** The configurator funnel step this event marks, derived from its type; null when none. */
  readonly funnelStep: string | null
}

export const PURCHASE_EVENT_TYPE = "purchase"
export const CONFIGURATOR_STARTED_EVENT_TYPE = "quiz_started"
export const CONFIGURATOR_COMPLETED_EVENT_TYPE = "quiz_completed"

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
