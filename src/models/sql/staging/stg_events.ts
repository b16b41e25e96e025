import { EVENT_TYPES } from "../../../domain/Catalog.ts"
import { columns } from "../../../domain/Columns.ts"
import { DeviceType } from "../../../domain/Envelope.ts"
import type { EVENT_LAKE_COLUMNS } from "../../../lake/LakeTable.ts"
import {
  acceptedValues,
  type ColumnDeclaration,
  defineModel,
  type GenericTest,
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
const tested = (name: string, tests: ReadonlyArray<GenericTest>): ColumnDeclaration => ({
  description: catalogColumns[name]?.description ?? name,
  tests
})

export default defineModel({
  name: "stg_events",
  layer: "staging",
  materialized: "incremental",
  uniqueKey: ["event_id"],
  description:
    "Every event of lake/events once: one row per event_id, the copy first received (ties broken by Kafka " +
    "partition, then offset), with every envelope, context, ingest and property column of the lake as typed " +
    "there, and event_date = the UTC date of occurred_at_corrected. Incremental on event_id; an incremental " +
    "run gives what a full refresh gives (see the SQL).",
  columns: {
    ...catalogColumns,
    ...Object.fromEntries(Object.entries(writerColumns).map(([name, description]) => [name, { description }])),
    event_id: tested("event_id", [unique(), notNull()]),
    event_type: tested("event_type", [notNull(), acceptedValues(EVENT_TYPES)]),
    user_id: tested("user_id", [notNull()]),
    context_device_type: tested("context_device_type", [acceptedValues(DeviceType.literals)]),
    occurred_at_corrected: tested("occurred_at_corrected", [notNull()]),
    event_date: { description: "UTC date of occurred_at_corrected", tests: [notNull()] }
  },
  tests: [
    {
      name: "corrected_time_not_after_receipt",
      description: "ingest never puts the corrected event time after the time it received the event",
      sql: "SELECT event_id, occurred_at_corrected, received_at FROM {{ this }} WHERE occurred_at_corrected > received_at"
    }
  ]
})
