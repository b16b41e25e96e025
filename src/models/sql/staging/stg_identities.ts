import { defineModel, loadedAtColumn, notNull, unique } from "../../runner/Model.ts"

export default defineModel({
  name: "stg_identities",
  layer: "staging",
  materialized: "incremental",
  uniqueKey: ["anonymous_id"],
  description:
    "The identity map (Segment's identify / PostHog's person merge, one level deep): one row per anonymous_id " +
    "that an identify event (event_type = 'identify', anonymous_id set and different from user_id) linked to a " +
    "user id. When one anonymous id was identified as several users (a shared device), the first identify wins " +
    "(earliest occurred_at_corrected, then event_id) and linked_user_ids says how many there were. A user id " +
    "that is itself an anonymous id of another identify is not followed further. Every model resolves users " +
    "through this map: resolved user = the mapped user id when the event's user_id is an anonymous id here, " +
    "else the event's user_id (stg_events.resolved_user_id). Incremental on anonymous_id: only the ids whose row " +
    "changed are rewritten (see the SQL).",
  columns: {
    anonymous_id: {
      description: "the pre-identification id (events sent before identify carry it as user_id)",
      tests: [unique(), notNull()]
    },
    user_id: { description: "the known user the anonymous id belongs to (first identify)", tests: [notNull()] },
    identified_at: {
      description: "occurred_at_corrected of the first identify linking this anonymous id",
      tests: [notNull()]
    },
    identify_events: { description: "identify events (distinct event_id) carrying this anonymous id" },
    linked_user_ids: {
      description:
        "distinct user ids this anonymous id was identified as; above 1 means a shared device, and only the first is used"
    },
    linked_user_id_list: {
      description:
        "those user ids, sorted: every user the anonymous id's events were ever resolved to (an identify that arrives " +
        "late can move them to an earlier one), which the incremental models recompute when the row changes"
    },
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "no_self_mapping",
      description: "an anonymous id never maps to itself",
      sql: "SELECT * FROM {{ this }} WHERE anonymous_id = user_id"
    }
  ]
})
