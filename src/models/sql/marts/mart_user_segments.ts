import { SEGMENTS } from "../../../domain/Metrics.ts"
import { acceptedValues, defineModel, notNull, unique } from "../../runner/Model.ts"
import { segmentDefinition } from "./dim_users.ts"

export default defineModel({
  name: "mart_user_segments",
  layer: "marts",
  materialized: "incremental",
  uniqueKey: ["snapshot"],
  description:
    `One row per resolved user: the current segment (dim_users; ${segmentDefinition}) and its history across ` +
    "model runs, which this table keeps between runs: previous_run_segment is what the previous run recorded " +
    "(NULL for a user it did not know), changed_in_last_run says the segment differs from it (the transitions " +
    "since the previous run: count them by previous_run_segment → segment), previous_segment is the segment " +
    "before the latest change and segment_since the as_of_date of the run that recorded the change. The first " +
    "build and a full refresh start the history: previous columns NULL, segment_since = as_of_date, no " +
    "transitions. The current columns (user_id, segment, as_of_date) always equal a full refresh; the history " +
    "columns by design do not. Each run replaces the whole table (delete+insert on the constant snapshot " +
    "column), so a user merged into another by identify leaves it.",
  columns: {
    snapshot: { description: "'latest': the key each run replaces the table on", tests: [acceptedValues(["latest"])] },
    user_id: { description: "the resolved user", tests: [unique(), notNull()] },
    segment: { description: "the current segment", tests: [notNull(), acceptedValues(SEGMENTS)] },
    as_of_date: {
      description: "the day the current segment is computed for (dim_users.as_of_date)",
      tests: [notNull()]
    },
    previous_segment: {
      description: "the segment before the latest recorded change",
      tests: [acceptedValues(SEGMENTS)]
    },
    segment_since: { description: "as_of_date of the run that recorded the current segment", tests: [notNull()] },
    previous_run_segment: { description: "the segment the previous run recorded", tests: [acceptedValues(SEGMENTS)] },
    previous_run_as_of_date: { description: "as_of_date of the previous run" },
    changed_in_last_run: {
      description: "segment differs from previous_run_segment (a new user counts)",
      tests: [notNull()]
    }
  },
  tests: [
    {
      name: "matches_dim_users",
      description: "the same users as dim_users, with their current segment",
      sql: `SELECT coalesce(d.user_id, s.user_id) AS user_id FROM {{ ref('dim_users') }} d
        FULL JOIN {{ this }} s USING (user_id) WHERE s.segment IS DISTINCT FROM d.segment`
    }
  ]
})
