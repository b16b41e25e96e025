/**
 * A fake browser for the tracker: vitest's fake clock and timers, a scripted ingest server, shared
 * storage and outbox (two trackers over the same `FakeBrowser` are two tabs of one site), and manual page
 * lifecycle events. Only for the pure delivery logic; the real browser is tested in test/ui.
 */
import { gunzipSync } from "node:zlib"
import { vi } from "vitest"
import type { EventContext } from "../../src/domain/SdkTypes.ts"
import type { Env, HttpAnswer, PageEvent } from "../../src/sdk/Env.ts"
import { type KeyValue, memoryKeyValue } from "../../src/sdk/KeyValue.ts"
import { memoryStore, type OutboxStore } from "../../src/sdk/Outbox.ts"
import { makeTracker, type Tracker, type TrackerError, type TrackerOptions } from "../../src/sdk/Tracker.ts"

export const BASE_MS = Date.UTC(2026, 5, 1, 9, 0, 0)
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE

/** One event as the fake server received it. */
export interface SentEvent {
  readonly event_id: string
  readonly event_type: string
  readonly user_id: string
  readonly anonymous_id?: string
  readonly session_id: string
  readonly occurred_at: string
  readonly sent_at?: string
  readonly properties: Record<string, unknown>
  readonly experiments?: Record<string, string>
}

export interface Request {
  readonly at: number
  readonly via: "fetch" | "beacon"
  readonly headers: Record<string, string>
  /** Bytes on the wire (compressed when gzip). */
  readonly bytes: number
  readonly events: ReadonlyArray<SentEvent>
}

/** What the fake server answers to one fetch: a status, headers and body, or a network error. */
export type Reply =
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: unknown }
  | "network-error"

const accepted = (events: ReadonlyArray<SentEvent>): Reply => ({
  status: 200,
  body: {
    accepted: events.length,
    rejected: 0,
    results: events.map((event, index) => ({
      index,
      event_id: event.event_id,
      status: "accepted",
      reason: null,
      path: null,
      message: null
    }))
  }
})

const decodeBody = (body: BodyInit | null | undefined, gzip: boolean): { events: Array<SentEvent>; bytes: number } => {
  const bytes =
    typeof body === "string" ? Buffer.from(body) : body instanceof Uint8Array ? Buffer.from(body) : undefined
  if (bytes === undefined) throw new Error("unexpected body type")
  const json = (gzip ? gunzipSync(bytes) : bytes).toString("utf8")
  return { events: (JSON.parse(json) as { events: Array<SentEvent> }).events, bytes: bytes.length }
}

/** One site in one browser: the server, storage and outbox every tab shares. */
export class FakeBrowser {
  readonly kv: KeyValue = memoryKeyValue()
  outbox: OutboxStore = memoryStore()
  readonly requests: Array<Request> = []
  online = true
  /** Answers of the next fetches, in order; when empty, every event is accepted. */
  readonly replies: Array<Reply | ((events: ReadonlyArray<SentEvent>) => Reply)> = []
  /** How long the server takes to answer. */
  latencyMs = 0
  /** How many more beacons the browser accepts. */
  beaconBudget = Number.POSITIVE_INFINITY

  /** Every event the server received, in arrival order (fetches and beacons). */
  received(): Array<SentEvent> {
    return this.requests.flatMap((request) => request.events)
  }

  tab(options: Partial<TrackerOptions> = {}, setup: TabSetup = {}): FakeTab {
    return new FakeTab(this, options, setup)
  }
}

let uuidCounter = 0
export const fakeUuid = (): string => {
  uuidCounter++
  const hex = uuidCounter.toString(16).padStart(12, "0")
  return `00000000-0000-4000-8000-${hex}`
}

export interface TabSetup {
  readonly context?: Partial<EventContext>
  /** Compress bodies with the platform's CompressionStream, as browsers that have it do. */
  readonly gzip?: boolean
}

/** One tab: a tracker whose environment is the fake browser's, with lifecycle events fired by hand. */
export class FakeTab {
  readonly errors: Array<TrackerError> = []
  readonly tracker: Tracker
  random = () => 0.5
  private readonly listeners = new Map<PageEvent, Array<() => void>>()
  /** A crashed tab runs no timers and never hears back from the network. */
  crashed = false

  readonly browser: FakeBrowser

  constructor(browser: FakeBrowser, options: Partial<TrackerOptions>, setup: TabSetup) {
    this.browser = browser
    const env: Env = {
      now: () => Date.now(),
      random: () => this.random(),
      uuid: fakeUuid,
      schedule: (run, ms) => {
        const handle = setTimeout(() => {
          if (!this.crashed) run()
        }, ms)
        return () => clearTimeout(handle)
      },
      fetch: (_url, init) => this.serve(init),
      beacon: (_url, body) => {
        if (browser.beaconBudget <= 0) return false
        browser.beaconBudget--
        const decoded = decodeBody(body, false)
        browser.requests.push({ at: Date.now(), via: "beacon", headers: {}, ...decoded })
        return true
      },
      gzip: setup.gzip === true ? realGzip : undefined,
      online: () => browser.online,
      kv: browser.kv,
      outbox: {
        add: (items, max) => browser.outbox.add(items, max),
        claim: (owner, isGone) => browser.outbox.claim(owner, isGone),
        remove: (ids) => browser.outbox.remove(ids)
      },
      context: () => ({ device_type: "desktop", page_path: "/", page_url: "https://shop.example/", ...setup.context }),
      title: () => "Find your analytics stack",
      on: (event, listener) => {
        this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener])
      }
    }
    this.tracker = makeTracker(
      { endpoint: "https://launchpad.example", onError: (error) => this.errors.push(error), ...options },
      env
    )
  }

  fire(event: PageEvent): void {
    for (const listener of this.listeners.get(event) ?? []) listener()
  }

  private async serve(init: RequestInit): Promise<HttpAnswer> {
    const headers = Object.fromEntries(new Headers(init.headers).entries())
    const decoded = decodeBody(init.body, headers["content-encoding"] === "gzip")
    const browser = this.browser
    if (!browser.online) throw new TypeError("Failed to fetch")
    if (browser.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, browser.latencyMs))
    const next = browser.replies.shift() ?? accepted
    const reply = typeof next === "function" ? next(decoded.events) : next
    browser.requests.push({ at: Date.now(), via: "fetch", headers, ...decoded })
    if (this.crashed) return new Promise(() => {})
    if (reply === "network-error") throw new TypeError("Failed to fetch")
    return {
      status: reply.status,
      headers: { get: (name) => reply.headers?.[name.toLowerCase()] ?? null },
      json: async () => reply.body
    }
  }
}

const realGzip = async (body: string): Promise<Uint8Array<ArrayBuffer>> =>
  new Uint8Array(await new Response(new Blob([body]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer())

/** Runs timers and the promises they start, `ms` of fake time. */
export const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms)

/** Lets queued promises (outbox writes, a send) settle without moving the clock. */
export const settle = () => vi.advanceTimersByTimeAsync(0)

export const quizStarted = { quiz_id: "analytics_stack" } as const
