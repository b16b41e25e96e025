/**
 * The event catalog: every event type Launchpad accepts, with its typed properties, one-line
 * description, schema version and category. Ingest, the SDK types, JSON Schemas, arbitraries and the
 * lake columns are all derived from this record.
 */
import { Schema } from "effect"
import { Currency } from "./Currency.ts"
import { defineEvent } from "./Envelope.ts"
import {
  Amount,
  Count,
  DurationMs,
  FiniteNumber,
  FreeFormMap,
  Id,
  MAX_ARRAY_ITEMS,
  Position,
  Quantity,
  Text
} from "./Primitives.ts"
import { reason } from "./RejectReason.ts"
import { Timestamp } from "./Timestamp.ts"

const quiz_id = Id.annotate({ description: "the quiz (configurator flow)" })
const step_id = Id.annotate({ description: "the quiz step" })
const step_index = Position.annotate({ description: "zero-based index of the step in the quiz" })
const result_id = Id.annotate({ description: "the recommendation result computed from the answers" })
const product_id = Id.annotate({ description: "the product" })
const cart_id = Id.annotate({ description: "the cart" })
const search_id = Id.annotate({ description: "the search the click or booking came from" })
const position = Position.annotate({ description: "zero-based position in the list shown" })
const currency = Currency
const AuthMethod = Schema.Literals(["email", "google", "apple", "github", "sso"])

const ProductIds = Schema.Array(Id).check(Schema.isMaxLength(MAX_ARRAY_ITEMS, reason("too_large")))

export const PurchaseItem = Schema.Struct({
  product_id,
  quantity: Quantity.annotate({ description: "units bought" }),
  unit_price: Amount.annotate({ description: "price of one unit in the order currency" })
})

export const Catalog = {
  // configurator
  quiz_started: defineEvent("quiz_started", {
    version: 1,
    category: "configurator",
    description: "The user opened the configurator quiz.",
    properties: {
      quiz_id,
      entry_point: Schema.optionalKey(Id.annotate({ description: "where the quiz was opened, e.g. home_hero" }))
    }
  }),
  quiz_step_viewed: defineEvent("quiz_step_viewed", {
    version: 1,
    category: "configurator",
    description: "A quiz step was shown to the user.",
    properties: { quiz_id, step_id, step_index, step_count: Count.annotate({ description: "steps in the quiz" }) }
  }),
  slider_adjusted: defineEvent("slider_adjusted", {
    version: 1,
    category: "configurator",
    description: "The user moved a slider on a quiz step.",
    properties: {
      quiz_id,
      step_id,
      slider_id: Id.annotate({ description: "the slider" }),
      value: FiniteNumber.annotate({ description: "value after the change" }),
      min: FiniteNumber.annotate({ description: "lowest value of the slider" }),
      max: FiniteNumber.annotate({ description: "highest value of the slider" })
    }
  }),
  option_selected: defineEvent("option_selected", {
    version: 1,
    category: "configurator",
    description: "The user picked an option on a quiz step.",
    properties: {
      quiz_id,
      step_id,
      option_id: Id.annotate({ description: "the option picked" }),
      selected: Schema.Boolean.annotate({ description: "false when a multi-select option was unticked" })
    }
  }),
  quiz_step_completed: defineEvent("quiz_step_completed", {
    version: 1,
    category: "configurator",
    description: "The user answered a quiz step and moved on.",
    properties: {
      quiz_id,
      step_id,
      step_index,
      duration_ms: DurationMs.annotate({ description: "time spent on the step" })
    }
  }),
  quiz_completed: defineEvent("quiz_completed", {
    version: 1,
    category: "configurator",
    description: "The user finished the last quiz step and a result was computed.",
    properties: {
      quiz_id,
      result_id,
      step_count: Count.annotate({ description: "steps answered" }),
      duration_ms: DurationMs.annotate({ description: "time from quiz_started to completion" })
    }
  }),
  quiz_abandoned: defineEvent("quiz_abandoned", {
    version: 1,
    category: "configurator",
    description: "The user left the quiz before completing it (closed, navigated away or timed out).",
    properties: {
      quiz_id,
      step_id: Id.annotate({ description: "the last step shown" }),
      step_index,
      duration_ms: DurationMs.annotate({ description: "time from quiz_started to abandonment" })
    }
  }),
  result_viewed: defineEvent("result_viewed", {
    version: 1,
    category: "configurator",
    description: "The recommendation result page was shown.",
    properties: {
      quiz_id,
      result_id,
      product_ids: ProductIds.annotate({ description: "recommended products, in display order" })
    }
  }),
  result_shared: defineEvent("result_shared", {
    version: 1,
    category: "configurator",
    description: "The user shared their quiz result.",
    properties: {
      quiz_id,
      result_id,
      channel: Schema.Literals(["link", "email", "whatsapp", "x", "facebook", "other"]).annotate({
        description: "how the result was shared"
      })
    }
  }),
  recommendation_clicked: defineEvent("recommendation_clicked", {
    version: 1,
    category: "configurator",
    description: "The user clicked a recommended product on the result page.",
    properties: { quiz_id, result_id, product_id, position }
  }),

  // navigation and identity
  page_view: defineEvent("page_view", {
    version: 1,
    category: "navigation",
    description: "A page or screen was shown (URL, path and referrer are in context).",
    properties: { title: Schema.optionalKey(Text.annotate({ description: "document title" })) }
  }),
  signup: defineEvent("signup", {
    version: 1,
    category: "identity",
    description: "The user created an account.",
    properties: {
      method: AuthMethod.annotate({ description: "how the account was created" }),
      plan: Schema.optionalKey(Id.annotate({ description: "plan chosen at signup" }))
    }
  }),
  login: defineEvent("login", {
    version: 1,
    category: "identity",
    description: "The user signed in.",
    properties: { method: AuthMethod.annotate({ description: "how the user signed in" }) }
  }),
  identify: defineEvent("identify", {
    version: 1,
    category: "identity",
    description: "Links the anonymous id to a known user and records traits about them.",
    properties: { traits: FreeFormMap.annotate({ description: "user traits (plan, company, ...)" }) }
  }),

  // commerce
  product_viewed: defineEvent("product_viewed", {
    version: 1,
    category: "commerce",
    description: "A product detail page was shown.",
    properties: {
      product_id,
      category: Schema.optionalKey(Id.annotate({ description: "product category" })),
      price: Amount.annotate({ description: "displayed unit price" }),
      currency
    }
  }),
  add_to_cart: defineEvent("add_to_cart", {
    version: 1,
    category: "commerce",
    description: "The user added a product to the cart.",
    properties: { cart_id, product_id, quantity: Quantity, unit_price: Amount, currency }
  }),
  remove_from_cart: defineEvent("remove_from_cart", {
    version: 1,
    category: "commerce",
    description: "The user removed a product from the cart.",
    properties: { cart_id, product_id, quantity: Quantity }
  }),
  checkout_started: defineEvent("checkout_started", {
    version: 1,
    category: "commerce",
    description: "The user started checkout with the current cart.",
    properties: {
      cart_id,
      subtotal: Amount.annotate({ description: "cart value before tax and shipping" }),
      currency,
      item_count: Count.annotate({ description: "units in the cart" })
    }
  }),
  purchase: defineEvent("purchase", {
    version: 1,
    category: "commerce",
    description: "An order was placed and paid.",
    properties: {
      order_id: Id.annotate({ description: "the order; revenue models count each order once" }),
      revenue: Amount.annotate({ description: "order total including tax and shipping" }),
      currency,
      items: Schema.Array(PurchaseItem)
        .check(Schema.isMinLength(1), Schema.isMaxLength(MAX_ARRAY_ITEMS * 4, reason("too_large")))
        .annotate({ description: "order lines" }),
      coupon: Schema.optionalKey(Id.annotate({ description: "coupon code applied" }))
    }
  }),

  // search
  search_performed: defineEvent("search_performed", {
    version: 1,
    category: "search",
    description: "The user ran a search.",
    properties: {
      search_id: Id.annotate({ description: "the search; clicks and bookings refer to it" }),
      query: Text.annotate({ description: "the text searched for" }),
      results_count: Count.annotate({ description: "results returned" }),
      filters: Schema.optionalKey(FreeFormMap.annotate({ description: "filters applied (facet -> value)" }))
    }
  }),
  search_result_clicked: defineEvent("search_result_clicked", {
    version: 1,
    category: "search",
    description: "The user clicked a search result.",
    properties: { search_id, product_id, position }
  }),
  booking_completed: defineEvent("booking_completed", {
    version: 1,
    category: "search",
    description: "The user booked an appointment or slot found through search.",
    properties: {
      booking_id: Id.annotate({ description: "the booking" }),
      product_id,
      search_id: Schema.optionalKey(search_id),
      starts_at: Timestamp.annotate({ description: "when the booked slot starts" }),
      party_size: Schema.optionalKey(Quantity.annotate({ description: "people the booking is for" }))
    }
  }),

  // experiments
  experiment_exposure: defineEvent("experiment_exposure", {
    version: 1,
    category: "experiments",
    description: "The user saw a variant of an experiment (the moment assignment took effect).",
    properties: {
      experiment_key: Id.annotate({ description: "the experiment" }),
      variant: Id.annotate({ description: "the variant shown" })
    }
  })
}

export type Catalog = typeof Catalog
export type EventType = keyof Catalog
export type CatalogEntry = Catalog[EventType]

/** Every catalog entry, in catalog order. */
export const catalogEntries: ReadonlyArray<CatalogEntry> = Object.values(Catalog)

export const EVENT_TYPES: ReadonlyArray<EventType> = catalogEntries.map((entry) => entry.type)

export const EventTypeSchema = Schema.Literals(EVENT_TYPES).annotate({
  title: "EventType",
  description: "every event type in the catalog"
})

/** Any event a client may send, discriminated by `event_type`. */
export const TrackEvent = Schema.Union(catalogEntries.map((entry) => entry.schema)).annotate({
  title: "TrackEvent",
  description: "any Launchpad event, discriminated by event_type"
})
export type TrackEvent = typeof TrackEvent.Type
export type TrackEventJson = typeof TrackEvent.Encoded

/** An event as it travels on `events_raw`: the client event plus the fields ingest adds. */
export const EnrichedEvent = Schema.Union(catalogEntries.map((entry) => entry.enriched)).annotate({
  title: "EnrichedEvent",
  description: "a TrackEvent plus the fields ingest adds (received_at, occurred_at_corrected, request_id, ...)"
})
export type EnrichedEvent = typeof EnrichedEvent.Type
export type EnrichedEventJson = typeof EnrichedEvent.Encoded
