import { EVENT_TYPES } from "../../../domain/Catalog.ts"
import { DeviceType } from "../../../domain/Envelope.ts"
import { funnelVar, MART_FUNNELS } from "../../../domain/Funnels.ts"
import { acceptedValues, defineModel, loadedAtColumn, notNull } from "../../runner/Model.ts"

const funnels = MART_FUNNELS.map((f) => `${f.funnel} (${f.steps.map((s) => s.eventType).join(" → ")})`)

export default defineModel({
  name: "int_funnel_steps",
  layer: "intermediate",
  materialized: "incremental",
  uniqueKey: ["user_id"],
  description:
    `Every event that is a step of one of the product's funnels: ${funnels.join("; ")}. One row per (funnel, ` +
    "step, event), with the resolved user, the event's device and utm_source (the breakdowns), and the event's " +
    "position in the user's whole event sequence (every event type, in (occurred_at_corrected, event_id) order: " +
    'the order funnels walk, and what strict mode\'s "next event" means).' +
    " Incremental, delete+insert of the users whose events changed since its last build.",
  columns: {
    funnel: { description: "the funnel", tests: [notNull(), acceptedValues(MART_FUNNELS.map((f) => f.funnel))] },
    step_index: { description: "1-based position of the step in the funnel", tests: [notNull()] },
    user_id: { description: "the resolved user", tests: [notNull()] },
    event_id: { description: "the event", tests: [notNull()] },
    event_type: { description: "the step's event type", tests: [acceptedValues(EVENT_TYPES)] },
    occurred_at: { description: "occurred_at_corrected of the event", tests: [notNull()] },
    device_type: { description: "context_device_type of the event", tests: [acceptedValues(DeviceType.literals)] },
    utm_source: { description: "context_utm_source of the event (NULL: none)" },
    user_event_seq: { description: "1-based position of the event among all the user's events", tests: [notNull()] },
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "one_row_per_funnel_step_event",
      sql: "SELECT funnel, step_index, event_id FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    }
  ],
  vars: { funnels: MART_FUNNELS.map(funnelVar) }
})
