import { EVENT_TYPES } from "../../../domain/Catalog.ts"
import { DeviceType } from "../../../domain/Envelope.ts"
import {
  acceptedValues,
  type ColumnDeclaration,
  defineModel,
  type GenericTest,
  loadedAtColumn,
  notNull,
  unique
} from "../../runner/Model.ts"
import { eventColumnDescriptions } from "./stg_events.ts"

const described = (name: string, tests: ReadonlyArray<GenericTest> = []): ColumnDeclaration => ({
  description: eventColumnDescriptions[name] ?? name,
  tests
})

const { resolved_user_id: _resolved, ...columns } = eventColumnDescriptions

export default defineModel({
  name: "stg_events_deduplicated",
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
    "event_date = its UTC date. stg_events adds the resolved user. Incremental on event_id: a run reads the lake " +
    "rows received since the last one and rewrites only the events whose first copy changed (see the SQL); it " +
    "gives what a full refresh gives.",
  columns: {
    ...Object.fromEntries(Object.keys(columns).map((name) => [name, described(name)])),
    event_id: described("event_id", [unique(), notNull()]),
    event_type: described("event_type", [notNull(), acceptedValues(EVENT_TYPES)]),
    user_id: described("user_id", [notNull()]),
    context_device_type: described("context_device_type", [acceptedValues(DeviceType.literals)]),
    occurred_at_corrected: described("occurred_at_corrected", [notNull()]),
    event_date: described("event_date", [notNull()]),
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "corrected_time_not_after_receipt",
      description: "ingest never puts the corrected event time after the time it received the event",
      sql: "SELECT event_id, occurred_at_corrected, received_at FROM {{ this }} WHERE occurred_at_corrected > received_at"
    }
  ]
})
