/**
 * Generators for property tests, derived from the catalog schemas with `Arbitrary.schema`. Schema checks
 * carry generation hints (timestamp patterns, UUID patterns, length and depth bounds), so every generated
 * event decodes.
 */
import { Arbitrary } from "effect"
import { Catalog, EnrichedEvent, type EventType, TrackEvent } from "./Catalog.ts"

/** Any valid client event, of any type. */
export const trackEventArbitrary = Arbitrary.schema(TrackEvent)

/** Any valid enriched (`events_raw`) event, of any type. */
export const enrichedEventArbitrary = Arbitrary.schema(EnrichedEvent)

/** Valid client events of one type. */
export const eventArbitrary = <T extends EventType>(eventType: T) => Arbitrary.schema(Catalog[eventType].schema)
