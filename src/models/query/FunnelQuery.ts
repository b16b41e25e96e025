/**
 * Funnels over any ordered list of catalog event types, for the query API: the computation of the
 * `fct_funnel` mart (its description states the rules; a test checks both agree on the mart's funnels)
 * as SQL over `stg_events`, with every value a client chose bound as a parameter. The SQL text only
 * varies with the number of steps and the mode and breakdown, each picked from a fixed list.
 *
 * ```ts
 * const rows = yield* runFunnel({ steps: ["product_viewed", "purchase"], mode: "ordered", breakdown: "device_type" })
 * ```
 */
import { Effect, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { EVENT_TYPES } from "../../domain/Catalog.ts"
import {
  ALL_VALUE,
  DEFAULT_FUNNEL_MODE,
  FUNNEL_BREAKDOWNS,
  FUNNEL_MODES,
  FUNNEL_WINDOW_MS,
  type FunnelBreakdown,
  type FunnelMode,
  MAX_FUNNEL_STEPS,
  MAX_FUNNEL_WINDOW_MS,
  NONE_VALUE
} from "../../domain/Funnels.ts"

/** A funnel query as the API decodes it; absent fields take the mart's defaults. */
export const FunnelQuery = Schema.Struct({
  steps: Schema.Array(Schema.Literals(EVENT_TYPES))
    .check(Schema.isMinLength(2), Schema.isMaxLength(MAX_FUNNEL_STEPS))
    .annotate({ description: `2 to ${MAX_FUNNEL_STEPS} catalog event types, in funnel order` }),
  mode: Schema.optionalKey(Schema.Literals(FUNNEL_MODES)),
  windowMs: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_FUNNEL_WINDOW_MS })).annotate({
      description: "conversion window in milliseconds, measured from the first step"
    })
  ),
  breakdown: Schema.optionalKey(Schema.Literals(FUNNEL_BREAKDOWNS)),
  /** Attempts (entries into the funnel) from this instant on, inclusive. */
  from: Schema.optionalKey(Schema.Date),
  /** Attempts before this instant, exclusive. */
  to: Schema.optionalKey(Schema.Date)
}).annotate({ title: "FunnelQuery" })
export type FunnelQuery = typeof FunnelQuery.Type

/** A query that is well-typed but asks for something the funnel cannot do; names the parameter. */
export class FunnelQueryError extends Schema.TaggedError<FunnelQueryError>()("FunnelQueryError", {
  parameter: Schema.String,
  message: Schema.String
}) {}

/** One step of the result (the columns of `fct_funnel` without funnel, mode and breakdown). */
export interface FunnelStepRow {
  readonly breakdown_value: string
  readonly step_index: number
  readonly step_event_type: string | null
  readonly users: number
  readonly conversion_from_previous: number | null
  readonly conversion_from_first: number | null
  readonly drop_off_users: number | null
  readonly median_seconds_from_previous: number | null
  readonly median_seconds_from_first: number | null
}

export interface FunnelStatement {
  readonly sql: string
  readonly params: ReadonlyArray<string | number | Date | null>
}

const BREAKDOWN_SQL: Readonly<Record<FunnelBreakdown, string>> = {
  none: `'${ALL_VALUE}'`,
  device_type: "device_type",
  utm_source: `coalesce(utm_source, '${NONE_VALUE}')`
}

/** The attempts of one mode: (user_id, attempt_id, attempt_at, breakdown_value, reached, step_times). */
const attemptsSql = (mode: FunnelMode, window: string): string => {
  switch (mode) {
    case "ordered":
      return `ordered_next AS MATERIALIZED (
  SELECT e.step_index, e.event_id, n.event_id AS next_event_id, n.occurred_at AS next_at
  FROM steps e
  ASOF JOIN steps n
    ON n.user_id = e.user_id AND n.step_index = e.step_index + 1 AND n.user_event_seq > e.user_event_seq
)
, walk AS (
  WITH RECURSIVE walk AS (
    SELECT user_id, event_id AS attempt_id, occurred_at AS attempt_at, bucket, 1 AS step_index, event_id, occurred_at
    FROM entries
    UNION ALL
    SELECT w.user_id, w.attempt_id, w.attempt_at, w.bucket, w.step_index + 1, n.next_event_id, n.next_at
    FROM walk w
    JOIN ordered_next n ON n.step_index = w.step_index AND n.event_id = w.event_id
    WHERE epoch_ms(n.next_at) - epoch_ms(w.attempt_at) <= ${window}
  )
  SELECT * FROM walk
)
, attempts AS (
  SELECT user_id, attempt_id, attempt_at, bucket, max(step_index) AS reached,
    list(occurred_at ORDER BY step_index) AS step_times
  FROM walk
  GROUP BY user_id, attempt_id, attempt_at, bucket
)`
    case "strict":
      return `walk AS (
  WITH RECURSIVE walk AS (
    SELECT user_id, event_id AS attempt_id, occurred_at AS attempt_at, bucket, 1 AS step_index, occurred_at, user_event_seq
    FROM entries
    UNION ALL
    SELECT w.user_id, w.attempt_id, w.attempt_at, w.bucket, s.step_index, s.occurred_at, s.user_event_seq
    FROM walk w
    JOIN steps s
      ON s.user_id = w.user_id AND s.step_index = w.step_index + 1 AND s.user_event_seq = w.user_event_seq + 1
    WHERE epoch_ms(s.occurred_at) - epoch_ms(w.attempt_at) <= ${window}
  )
  SELECT * FROM walk
)
, attempts AS (
  SELECT user_id, attempt_id, attempt_at, bucket, max(step_index) AS reached,
    list(occurred_at ORDER BY step_index) AS step_times
  FROM walk
  GROUP BY user_id, attempt_id, attempt_at, bucket
)`
    case "unordered":
      return `reach AS (
  SELECT a.user_id, a.event_id AS attempt_id, a.occurred_at AS attempt_at, a.bucket, k.step_index, s.occurred_at
  FROM entries a
  CROSS JOIN step_list k
  ASOF JOIN steps s
    ON s.user_id = a.user_id AND s.step_index = k.step_index AND s.user_event_seq >= a.user_event_seq
  WHERE epoch_ms(s.occurred_at) - epoch_ms(a.occurred_at) <= ${window}
)
, attempts AS (
  SELECT user_id, attempt_id, attempt_at, bucket, count(*) AS reached,
    list(occurred_at ORDER BY occurred_at) AS step_times
  FROM reach
  GROUP BY user_id, attempt_id, attempt_at, bucket
)`
  }
}

/**
 * The SQL and parameters of a funnel query. Parameters: $1 the window (ms), $2/$3 the entry range
 * (NULL = open), then each step's event type.
 */
export const funnelStatement = (query: FunnelQuery): Effect.Effect<FunnelStatement, FunnelQueryError> =>
  Effect.suspend(() => {
    const mode = query.mode ?? DEFAULT_FUNNEL_MODE
    const breakdown = query.breakdown ?? "none"
    if (mode === "unordered" && new Set(query.steps).size !== query.steps.length) {
      return Effect.fail(
        new FunnelQueryError({
          parameter: "steps",
          message: "an unordered funnel needs distinct event types: a repeated step cannot be told apart in any order"
        })
      )
    }
    if (query.from !== undefined && query.to !== undefined && query.from.getTime() >= query.to.getTime()) {
      return Effect.fail(new FunnelQueryError({ parameter: "to", message: "to must be after from" }))
    }
    const stepValues = query.steps.map((_, i) => `(${i + 1}, $${i + 4}::VARCHAR)`).join(", ")
    // Strict mode needs every event's position in the user's sequence; the others only the steps' order.
    const scope = mode === "strict" ? "" : "WHERE event_type IN (SELECT event_type FROM step_list)"
    const entryStep = mode === "unordered" ? "" : "AND step_index = 1"
    const sql = `WITH step_list(step_index, event_type) AS (VALUES ${stepValues})
, user_events AS (
  SELECT
    resolved_user_id AS user_id, event_id, event_type, occurred_at_corrected AS occurred_at,
    context_device_type AS device_type, context_utm_source AS utm_source,
    row_number() OVER (PARTITION BY resolved_user_id ORDER BY occurred_at_corrected, event_id) AS user_event_seq
  FROM "stg_events"
  ${scope}
)
, steps AS (
  SELECT k.step_index, e.*
  FROM user_events e
  JOIN step_list k ON k.event_type = e.event_type
)
, entries AS (
  SELECT *, ${BREAKDOWN_SQL[breakdown]} AS bucket
  FROM steps
  WHERE ($2::TIMESTAMPTZ IS NULL OR occurred_at >= $2::TIMESTAMPTZ)
    AND ($3::TIMESTAMPTZ IS NULL OR occurred_at < $3::TIMESTAMPTZ)
    ${entryStep}
)
, ${attemptsSql(mode, "$1::BIGINT")}
, best AS (
  SELECT bucket, user_id, reached, step_times
  FROM attempts
  QUALIFY row_number() OVER (PARTITION BY bucket, user_id ORDER BY reached DESC, attempt_at, attempt_id) = 1
)
, user_steps AS (
  SELECT
    b.bucket, k.step_index,
    CASE WHEN k.step_index > 1
      THEN epoch_ms(b.step_times[k.step_index]) - epoch_ms(b.step_times[k.step_index - 1])
    END AS ms_from_previous,
    epoch_ms(b.step_times[k.step_index]) - epoch_ms(b.step_times[1]) AS ms_from_first
  FROM best b
  JOIN step_list k ON k.step_index <= b.reached
)
, step_counts AS (
  SELECT
    bucket, step_index, count(*)::INTEGER AS users,
    median(ms_from_previous) / 1000.0 AS median_seconds_from_previous,
    median(ms_from_first) / 1000.0 AS median_seconds_from_first
  FROM user_steps
  GROUP BY bucket, step_index
)
, grid AS (
  SELECT
    g.bucket, k.step_index, ${mode === "unordered" ? "NULL" : "k.event_type"} AS step_event_type,
    coalesce(c.users, 0) AS users, c.median_seconds_from_previous, c.median_seconds_from_first
  FROM (SELECT DISTINCT bucket FROM best) g
  CROSS JOIN step_list k
  LEFT JOIN step_counts c ON c.bucket = g.bucket AND c.step_index = k.step_index
)
SELECT
  bucket AS breakdown_value,
  step_index,
  step_event_type,
  users,
  users / nullif(lag(users) OVER w, 0) AS conversion_from_previous,
  users / nullif(first_value(users) OVER w, 0) AS conversion_from_first,
  lag(users) OVER w - users AS drop_off_users,
  median_seconds_from_previous,
  median_seconds_from_first
FROM grid
WINDOW w AS (PARTITION BY bucket ORDER BY step_index)
ORDER BY breakdown_value, step_index`
    return Effect.succeed({
      sql,
      params: [query.windowMs ?? FUNNEL_WINDOW_MS, query.from ?? null, query.to ?? null, ...query.steps]
    })
  })

/** Runs a funnel query against the warehouse (`stg_events` must have been built). */
export const runFunnel = Effect.fn("FunnelQuery.run")(function* (
  query: FunnelQuery
): Effect.fn.Return<ReadonlyArray<FunnelStepRow>, FunnelQueryError | SqlError.SqlError, SqlClient.SqlClient> {
  const statement = yield* funnelStatement(query)
  const sql = yield* SqlClient.SqlClient
  return yield* sql.unsafe<FunnelStepRow>(statement.sql, statement.params)
})
