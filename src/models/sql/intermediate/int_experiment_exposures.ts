import { DeviceType } from "../../../domain/Envelope.ts"
import { EXPERIMENT_METRICS, EXPOSURE_EVENT } from "../../../domain/Metrics.ts"
import { acceptedValues, defineModel, loadedAtColumn, notNull } from "../../runner/Model.ts"

export default defineModel({
  name: "int_experiment_exposures",
  layer: "intermediate",
  materialized: "incremental",
  uniqueKey: ["user_id"],
  description:
    `One row per experiment and resolved user exposed to it (${EXPOSURE_EVENT} events: properties experiment_key ` +
    "and variant): the first exposure (time, variant, device; first in (occurred_at_corrected, event_id) order), " +
    "how many exposure events and distinct variants the user saw. Users who saw more than one variant are " +
    "excluded from the analysis (is_excluded), as PostHog does by default, and counted in fct_experiment_results." +
    " Incremental, delete+insert of the users whose events changed since its last build.",
  columns: {
    experiment_key: { description: "the experiment", tests: [notNull()] },
    user_id: { description: "the resolved user", tests: [notNull()] },
    variant: { description: "the variant of the first exposure", tests: [notNull()] },
    first_exposed_at: { description: "occurred_at_corrected of the first exposure", tests: [notNull()] },
    device_type: { description: "device of the first exposure", tests: [acceptedValues(DeviceType.literals)] },
    exposure_events: { description: "exposure events of the user in this experiment" },
    variants_seen: { description: "distinct variants the user was exposed to" },
    is_excluded: { description: "the user saw more than one variant: left out of the results", tests: [notNull()] },
    converted_metrics: {
      description:
        "the metrics (var metrics) the user converted on: an event of the metric's type at or after the first exposure, sorted",
      tests: [notNull()]
    },
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "one_row_per_experiment_user",
      sql: "SELECT experiment_key, user_id FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    }
  ],
  vars: {
    exposure_event: EXPOSURE_EVENT,
    metrics: EXPERIMENT_METRICS.map((m) => ({ metric: m.metric, event_type: m.event_type }))
  }
})
