import { columns } from "../../../domain/Columns.ts"
import type { EVENT_LAKE_COLUMNS } from "../../../lake/LakeTable.ts"
import { type ColumnDeclaration, defineModel, loadedAtColumn, notNull } from "../../runner/Model.ts"

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

export default defineModel({
  name: "stg_events",
  layer: "staging",
  materialized: "view",
  description:
    "stg_events_deduplicated (every event once, typed) with resolved_user_id, the user every model counts: " +
    "stg_identities.user_id when the event's user_id is an identified anonymous id, else user_id. A view, so " +
    "that an identify re-resolves old events without rewriting them.",
  columns: {
    ...Object.fromEntries(
      Object.entries(eventColumnDescriptions).map(([name, description]) => [name, { description }])
    ),
    resolved_user_id: { description: eventColumnDescriptions.resolved_user_id ?? "", tests: [notNull()] },
    _loaded_at: loadedAtColumn
  }
})
