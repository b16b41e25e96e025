import { DeviceType } from "../../../domain/Envelope.ts"
import { SEARCH_EVENTS } from "../../../domain/Funnels.ts"
import { acceptedValues, defineModel, notNull } from "../../runner/Model.ts"

const { search, click, booking } = SEARCH_EVENTS

export default defineModel({
  name: "fct_search_funnel",
  layer: "marts",
  materialized: "table",
  description:
    `The search funnel (${search} → ${click} → ${booking}) per UTC day of the search and device (the search ` +
    "event's; device_type 'all' for the day across devices), search by search: a click or booking belongs to " +
    "the search whose search_id it names (a booking without search_id belongs to no search). searches = " +
    `distinct search_id of ${search}; CTR = searches with at least one click / searches; conversion = searches ` +
    "with at least one booking / searches; click-to-booking = searches with a click and a booking / searches " +
    "with a click. clicks and bookings (distinct booking_id) are totals; the first click's position is the " +
    "smallest position clicked (0 = top).",
  columns: {
    search_date: { description: "UTC day of the search", tests: [notNull()] },
    device_type: {
      description: "device of the search, or 'all'",
      tests: [notNull(), acceptedValues([...DeviceType.literals, "all"])]
    },
    searches: { description: "distinct searches (search_id)", tests: [notNull()] },
    searchers: { description: "distinct resolved users who searched" },
    searches_without_results: { description: "searches that returned no results" },
    searches_with_click: { description: "searches with at least one result click" },
    clicks: { description: "result clicks on those searches" },
    searches_with_booking: { description: "searches with at least one booking naming them" },
    bookings: { description: "distinct bookings naming those searches" },
    click_through_rate: { description: "searches_with_click / searches" },
    conversion_rate: { description: "searches_with_booking / searches" },
    click_to_booking_rate: { description: "searches with a click and a booking / searches_with_click" },
    avg_first_click_position: { description: "mean over clicked searches of the smallest position clicked" }
  },
  tests: [
    {
      name: "one_row_per_day_and_device",
      sql: "SELECT search_date, device_type FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    },
    {
      name: "funnel_narrows",
      sql: "SELECT * FROM {{ this }} WHERE searches_with_click > searches OR searches_with_booking > searches"
    }
  ],
  vars: { search_event: search, click_event: click, booking_event: booking }
})
