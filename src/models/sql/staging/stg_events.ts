import { EVENT_TYPES } from "../../../domain/Catalog.ts"
import { columns } from "../../../domain/Columns.ts"
import { DeviceType } from "../../../domain/Envelope.ts"
import type { EVENT_LAKE_COLUMNS } from "../../../lake/LakeTable.ts"
import {
  acceptedValues,
  type ColumnDeclaration,
  defineModel,
  type GenericTest,
  loadedAtColumn,
  notNull,
  unique
} from "../../runner/Model.ts"

/** Every lake column, described from the event catalog (one source of truth). */
const catalogColumns: Record<string, ColumnDeclaration> = Object.fromEntries(
  columns.map((column) => [
    column.name,
    { description: column.description ?? `the event's ${column.source.join(".")} (${column.duckdbType})` }
  ])
)

const writerColumns: Record<(typeof EVENT_LAKE_COLUMNS)[number]["name"], string> = {
  kafka_partition: "events_raw partition the kept copy was read from",
  kafka_offset: "offset of the kept copy in its events_raw partition",
  is_late:
    "the stream received the kept copy after its watermark had passed the event time (ARCHITECTURE.md, Stream semantics: Late)",
  processed_at: "when the stream processor wrote the kept copy to the lake"
}

/** A catalog column with data tests. */
/** What each stg_events column holds (downstream models that carry a column describe it with this). */
export const eventColumnDescriptions: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(catalogColumns).map(([name, column]) => [name, column.description])),
  ...writerColumns,
  event_date: "UTC date of occurred_at_corrected",
  resolved_user_id:
    "the user every model counts: stg_identities.user_id when user_id is an identified anonymous id, else user_id",
  prop_product_ids: "result_viewed: the recommended product ids, in display order",
  prop_items: "purchase: the order lines (product_id, quantity, unit_price)",
  prop_traits: "identify: the user traits (JSON)",
  prop_filters: "search_performed: the filters applied (JSON)"
}

const described = (name: string, tests: ReadonlyArray<GenericTest> = []): ColumnDeclaration => ({
  description: eventColumnDescriptions[name] ?? name,
  tests
})

export default defineModel({
  name: "stg_events",
  layer: "staging",
  materialized: "incremental",
  uniqueKey: ["event_id"],
  description:
    "Every event of lake/events once: one row per event_id, the copy first received (ties broken by Kafka " +
    "partition, then offset), with every envelope, context (device, page, utm), ingest and property column of " +
    "the lake as typed there (the lake already flattens each scalar property to a typed prop_<name> column and " +
    "the context to context_<name>); the structured properties typed here (prop_product_ids, prop_items, " +
    "prop_traits, prop_filters); the corrected event time occurred_at_corrected (the client's occurred_at " +
    "shifted by its clock skew, received_at − sent_at, and never after received_at: PostHog's correction), " +
    "event_date = its UTC date; and resolved_user_id, the user every model counts (stg_identities). " +
    "Incremental on event_id: a run reads the lake rows received since the last one (see the SQL) and gives what a " +
    "full refresh gives.",
  columns: {
    ...Object.fromEntries(Object.keys(eventColumnDescriptions).map((name) => [name, described(name)])),
    event_id: described("event_id", [unique(), notNull()]),
    event_type: described("event_type", [notNull(), acceptedValues(EVENT_TYPES)]),
    user_id: described("user_id", [notNull()]),
    context_device_type: described("context_device_type", [acceptedValues(DeviceType.literals)]),
    occurred_at_corrected: described("occurred_at_corrected", [notNull()]),
    event_date: described("event_date", [notNull()]),
    resolved_user_id: described("resolved_user_id", [notNull()]),
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "resolved_through_the_identity_map",
      description: "resolved_user_id is the identity map's user for an identified anonymous id, else user_id",
      sql: `SELECT e.event_id, e.user_id, e.resolved_user_id, i.user_id AS mapped_to FROM {{ this }} e
        LEFT JOIN {{ ref('stg_identities') }} i ON i.anonymous_id = e.user_id
        WHERE e.resolved_user_id IS DISTINCT FROM coalesce(i.user_id, e.user_id)`
    },
    {
      name: "corrected_time_not_after_receipt",
      description: "ingest never puts the corrected event time after the time it received the event",
      sql: "SELECT event_id, occurred_at_corrected, received_at FROM {{ this }} WHERE occurred_at_corrected > received_at"
    }
  ]
})
