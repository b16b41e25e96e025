import { EVENT_TYPES } from "../../../domain/Catalog.ts"
import { columns } from "../../../domain/Columns.ts"
import { DeviceType } from "../../../domain/Envelope.ts"
import type { EVENT_LAKE_COLUMNS } from "../../../lake/LakeTable.ts"
import { acceptedValues, type ColumnDeclaration, defineModel, notNull, unique } from "../../runner/Model.ts"

/** Every lake column, described from the event catalog (one source of truth); tests added below. */
const described: Record<string, ColumnDeclaration> = Object.fromEntries(
  columns.map((column) => [
    column.name,
    { description: column.description ?? `the event's ${column.source.join(".")} (${column.duckdbType})` }
  ])
)

const writerColumns: Record<(typeof EVENT_LAKE_COLUMNS)[number]["name"], string> = {
  kafka_partition: "events_raw partition the event was read from",
  kafka_offset: "offset of the kept copy in its events_raw partition",
  is_late: "the stream received the event after its watermark had passed the event time (DESIGN.md, Late)",
  processed_at: "when the stream processor wrote the copy to the lake"
}

export default defineModel({
  name: "stg_events",
  layer: "staging",
  materialized: "incremental",
  uniqueKey: ["event_id"],
  description:
    "Every event of lake/events once: one row per event_id, the copy first received (ties broken by Kafka " +
    "partition, then offset), with every envelope, context, ingest and property column of the lake as " +
    "typed there, and event_date = the UTC date of occurred_at_corrected. Incremental on event_id; equals a " +
    "full refresh (see the SQL).",
  columns: {
    ...described,
    ...Object.fromEntries(Object.entries(writerColumns).map(([name, description]) => [name, { description }])),
    event_id: { description: "the event's id (client-generated UUID)", tests: [unique(), notNull()] },
    event_type: {
      description: "the catalog event type",
      tests: [notNull(), acceptedValues(EVENT_TYPES)]
    },
    user_id: { description: described.user_id?.description ?? "the user", tests: [notNull()] },
    context_device_type: {
      description: described.context_device_type?.description ?? "form factor of the device",
      tests: [acceptedValues(DeviceType.literals)]
    },
    occurred_at_corrected: {
      description: "event time clamped by ingest to [2000-01-01, received_at]",
      tests: [notNull()]
    },
    event_date: { description: "UTC date of occurred_at_corrected", tests: [notNull()] }
  },
  tests: [
    {
      name: "corrected_time_not_after_receipt",
      description: "ingest clamps the event time to the time it received the event",
      sql: "SELECT event_id, occurred_at_corrected, received_at FROM {{ this }} WHERE occurred_at_corrected > received_at"
    }
  ]
})
