/**
 * Everything the tracker takes from its surroundings. `browserEnv` (BrowserEnv.ts) gives the browser's;
 * unit tests give fakes (clock and timers, fetch, storage, outbox), so the delivery logic is tested
 * without a browser and proven in one by the Chromium tests.
 */
import type { EventContext } from "../domain/SdkTypes.ts"
import type { KeyValue } from "./KeyValue.ts"
import type { OutboxStore } from "./Outbox.ts"

/** The parts of a fetch `Response` the tracker reads. */
export interface HttpAnswer {
  readonly status: number
  readonly headers: { readonly get: (name: string) => string | null }
  readonly json: () => Promise<unknown>
}

export type PageEvent = "pagehide" | "pageshow" | "hidden" | "online"

export interface Env {
  readonly now: () => number
  readonly random: () => number
  readonly uuid: () => string
  /** Runs `run` after `ms`; returns a function that cancels it. */
  readonly schedule: (run: () => void, ms: number) => () => void
  readonly fetch: (url: string, init: RequestInit) => Promise<HttpAnswer>
  /** Queues a POST that outlives the page (sendBeacon, or fetch keepalive); false when the browser refuses it. */
  readonly beacon: (url: string, body: string) => boolean
  /** gzip of a request body, when the platform can (CompressionStream). */
  readonly gzip: ((body: string) => Promise<Uint8Array<ArrayBuffer>>) | undefined
  readonly online: () => boolean
  readonly kv: KeyValue
  readonly outbox: OutboxStore
  /** Device, page and campaign context of an event happening now. */
  readonly context: () => EventContext
  readonly title: () => string
  readonly on: (event: PageEvent, listener: () => void) => void
}
