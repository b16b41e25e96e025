/**
 * The types the browser SDK compiles against, all derived from the catalog schemas so a new property or
 * event type reaches `track()` call sites without being re-declared. Type-only: importing this file
 * pulls no runtime code into the SDK bundle.
 */
import type { Catalog, EnrichedEvent, EventType, TrackEvent } from "./Catalog.ts"
import type { Context } from "./Envelope.ts"

export type { EnrichedEvent, EventType, TrackEvent }

/** The full event of one type, as sent on the wire. */
export type EventOf<T extends EventType> = (typeof Catalog)[T]["schema"]["Type"]

/** The typed `properties` of one event type. */
export type PropertiesOf<T extends EventType> = EventOf<T>["properties"]

/** The `schema_version` literal the SDK must send for one event type. */
export type SchemaVersionOf<T extends EventType> = EventOf<T>["schema_version"]

/** Device, page and campaign context (the SDK collects it). */
export type EventContext = typeof Context.Type

/** Experiment key → variant, as carried by events. */
export type ExperimentAssignments = NonNullable<TrackEvent["experiments"]>

/** The envelope fields the SDK fills in itself (ids, clocks, context). */
export type SdkEnvelope<T extends EventType> = Omit<EventOf<T>, "event_type" | "properties">

/**
 * What `track(...)` accepts: an event type and its properties, one member per type, so a mismatched pair
 * fails to compile. Experiments may be given per call; the SDK merges them with its active assignments.
 */
export type TrackInput = {
  readonly [T in EventType]: {
    readonly event_type: T
    readonly properties: PropertiesOf<T>
    readonly experiments?: ExperimentAssignments
  }
}[EventType]

/** The signature of the SDK's `track(type, properties)`. */
export type Track = <T extends EventType>(eventType: T, properties: PropertiesOf<T>) => void
