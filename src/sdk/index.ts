/**
 * The Launchpad browser SDK: `createTracker({ endpoint })`, then `track`, `page`, `identify`, `reset` and
 * `variant`. Framework-free ESM; event types and properties are typed from the domain catalog.
 */
import { browserEnv } from "./BrowserEnv.ts"
import { makeTracker, type Tracker, type TrackerOptions } from "./Tracker.ts"

export type { EventType, PropertiesOf } from "../domain/SdkTypes.ts"
export type { Tracker, TrackerError, TrackerOptions, TrackerStats } from "./Tracker.ts"

export const createTracker = (options: TrackerOptions): Tracker =>
  makeTracker(options, browserEnv(options.name ?? "lp", options.writeKey))
