/**
 * The tracker: builds typed events (identity, session, context, experiment assignments), keeps them in
 * the durable outbox, delivers them in batches with retries, and hands what is left to the browser when
 * the page goes away. Pure over `Env`, so every rule here is unit-tested with fake timers and storage.
 */
import type { PropertiesOf, Track } from "../domain/SdkTypes.ts"
import { retryAfterMs, retryDelay } from "./Backoff.ts"
import type { Env, HttpAnswer } from "./Env.ts"
import type { OutboxItem, WireEvent } from "./Outbox.ts"
import { SCHEMA_VERSIONS } from "./SchemaVersions.ts"
import { nextSession, parseSession } from "./Session.ts"
import { assignVariant } from "./Variant.ts"

export interface TrackerOptions {
  /** Base URL of the Launchpad API, e.g. `https://launchpad.example.com` (`""`: this site's origin). */
  readonly endpoint: string
  /** Sent as `X-Write-Key` when the server requires write keys (LAUNCHPAD_WRITE_KEYS). */
  readonly writeKey?: string
  /** Send as soon as this many events wait (default 10). */
  readonly flushAt?: number
  /** Send what waits at least this often (default 5000 ms). */
  readonly flushIntervalMs?: number
  /** Most events kept waiting, across tabs; past it the oldest are dropped and counted (default 1000). */
  readonly maxQueue?: number
  /** Most events per request (default 100; the server takes 500 and 1 MiB). */
  readonly maxBatch?: number
  /** First retry waits up to this long; each next one up to twice as long (default 1000 ms). */
  readonly retryBaseMs?: number
  /** No retry waits longer, `Retry-After` included (default 5 min). */
  readonly retryCapMs?: number
  /** Sent as `context.app_version`. */
  readonly appVersion?: string
  /** Prefix of the storage keys and the IndexedDB name (default `lp`): trackers with other names share nothing. */
  readonly name?: string
  /** Called for what is not retried: events the server rejected, other 4xx answers, events dropped from a full queue. */
  readonly onError?: (error: TrackerError) => void
}

export type TrackerError =
  | {
      readonly kind: "rejected"
      readonly eventId: string
      readonly reason: string
      readonly path: string
      readonly message: string
    }
  | { readonly kind: "http"; readonly status: number; readonly events: number; readonly message: string }
  | { readonly kind: "dropped"; readonly events: number }

export interface TrackerStats {
  /** Events of this tab not yet delivered. */
  readonly queued: number
  readonly accepted: number
  readonly rejected: number
  /** Events given up on after a non-retryable answer (4xx). */
  readonly failed: number
  readonly dropped: number
  readonly retries: number
  readonly beaconed: number
}

export interface Tracker {
  /** Queues one event; `properties` are typed by the event type (a wrong one does not compile). */
  readonly track: Track
  /** A `page_view` of the current page. */
  readonly page: () => void
  /** From now on events carry `userId` (the anonymous id stays in `anonymous_id`). */
  readonly identify: (userId: string, traits?: PropertiesOf<"identify">["traits"]) => void
  /** Forgets the user: a new anonymous id, session and experiment assignments (for log-out). */
  readonly reset: () => void
  /**
   * The user's variant of `experiment`: drawn from a hash of user and experiment, then kept; the first
   * call for a user sends one `experiment_exposure`, and every later event carries the assignment.
   */
  readonly variant: <V extends string>(experiment: string, variants: readonly [V, ...Array<V>]) => V
  /** Sends what waits now (unless offline or waiting to retry); resolves when that attempt is over. */
  readonly flush: () => Promise<void>
  readonly stats: () => TrackerStats
}

/** A tab whose heartbeat is older is gone and its events are taken over; above the 1/min timer rate of hidden tabs. */
export const TAB_TIMEOUT_MS = 180_000
/** Browsers keep at most 64 KB of beacon and keepalive bodies in flight. */
export const BEACON_MAX_BYTES = 64 * 1024
const BATCH_MAX_BYTES = 512 * 1024
const GZIP_MIN_BYTES = 1024

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const text = (value: unknown): string => (typeof value === "string" ? value : "")

const noop = () => {}

const utf8 = new TextEncoder()

/** A stored outbox entry of this tab: 0 not yet handed to the outbox, 1 being added, 2 stored. */
interface Entry {
  readonly item: OutboxItem
  state: 0 | 1 | 2
}

export const makeTracker = (options: TrackerOptions, env: Env): Tracker => {
  const {
    flushAt = 10,
    flushIntervalMs = 5000,
    maxQueue = 1000,
    maxBatch = 100,
    retryBaseMs = 1000,
    retryCapMs = 300_000,
    name = "lp",
    writeKey,
    onError = noop,
    appVersion
  } = options
  const url = `${options.endpoint.replace(/\/+$/, "")}/api/v1/events/batch`
  const { kv, outbox } = env
  const tab = env.uuid()
  const stats = { accepted: 0, rejected: 0, failed: 0, dropped: 0, retries: 0, beaconed: 0 }
  const mine = new Map<string, Entry>()
  const inflight = new Set<string>()
  let storage: Promise<unknown> = Promise.resolve()
  let running: Promise<void> = Promise.resolve()
  let queued: Promise<void> | undefined
  let attempt = 0
  let retryAt = 0
  let cancelRetry = noop
  let unloading = false
  let seq = 0

  const key = (field: string) => `${name}_${field}`
  const read = (field: string): unknown => {
    try {
      return JSON.parse(kv.get(key(field)) ?? "null")
    } catch {
      return null
    }
  }
  const readStrings = (field: string): Record<string, string> => {
    const value = read(field)
    const out: Record<string, string> = {}
    if (isRecord(value)) for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v
    return out
  }
  const write = (field: string, value: unknown) => kv.set(key(field), JSON.stringify(value))

  /** Outbox operations run one after another in call order, so an add always lands before a later claim or remove. */
  const stored = <A>(operation: () => Promise<A>): Promise<A> => {
    const result = storage.then(operation)
    storage = result.then(noop, noop)
    return result
  }

  const anonymousId = (): string => {
    let id = kv.get(key("anon"))
    if (id === undefined) {
      id = env.uuid()
      kv.set(key("anon"), id)
    }
    return id
  }
  const distinctId = () => kv.get(key("user")) ?? anonymousId()

  // The tab registry: tab id -> last heartbeat. Events of tabs missing from it are taken over.
  const tabs = () => {
    const value = read("tabs")
    return isRecord(value) ? value : {}
  }
  const alive = (registry: Record<string, unknown>, id: string, now: number) => {
    const at = registry[id]
    return typeof at === "number" && now - at <= TAB_TIMEOUT_MS
  }
  /** Other tabs seen alive at the last heartbeat: when one of them is gone, its events are to be taken over. */
  let others = new Set<string>()
  /** Refreshes this tab's entry (or removes it); true when a tab seen before is gone since. */
  const heartbeat = (stay: boolean): boolean => {
    const now = env.now()
    const registry = tabs()
    // Found gone (a frozen tab): other tabs may have taken its stored events; the next claim says which are left.
    if (stay && !alive(registry, tab, now)) for (const [id, entry] of mine) if (entry.state === 2) mine.delete(id)
    const next: Record<string, unknown> = {}
    for (const id in registry) if (id !== tab && alive(registry, id, now)) next[id] = registry[id]
    if (stay) next[tab] = now
    write("tabs", next)
    const seen = others
    others = new Set(Object.keys(next))
    return [...seen].some((id) => !others.has(id))
  }

  const sorted = () => [...mine.values()].sort((a, b) => a.item.seq - b.item.seq)

  const dropped = (events: number) => {
    stats.dropped += events
    onError({ kind: "dropped", events })
  }

  const persist = () => {
    const fresh = [...mine.values()].filter((entry) => entry.state === 0)
    if (fresh.length === 0) return
    for (const entry of fresh) entry.state = 1
    stored(() =>
      outbox.add(
        fresh.map((entry) => entry.item),
        maxQueue
      )
    ).then((count) => {
      for (const entry of fresh) entry.state = 2
      if (count > 0) dropped(count)
    }, noop)
  }

  /** Ids delivered by this page whose removal a claim running meanwhile may not have seen yet. */
  const gone = new Set<string>()

  /** Delivered (or given up): out of this tab and of the outbox. */
  const done = (ids: ReadonlyArray<string>) => {
    for (const id of ids) {
      mine.delete(id)
      gone.add(id)
    }
    stored(() => outbox.remove(ids)).catch(noop)
  }

  const send = async (batch: ReadonlyArray<OutboxItem>): Promise<boolean> => {
    const ids = batch.map((item) => item.id)
    for (const id of ids) inflight.add(id)
    const sent_at = new Date(env.now()).toISOString()
    const body = JSON.stringify({ events: batch.map((item) => ({ ...item.event, sent_at })) })
    let answer: HttpAnswer | undefined
    try {
      const zipped = env.gzip !== undefined && body.length >= GZIP_MIN_BYTES ? await env.gzip(body) : undefined
      const headers: Record<string, string> = { "content-type": "application/json" }
      if (zipped !== undefined) headers["content-encoding"] = "gzip"
      if (writeKey !== undefined) headers["x-write-key"] = writeKey
      answer = await env.fetch(url, { method: "POST", headers, body: zipped ?? body })
    } catch {
      // A network error: retried like a 503.
    } finally {
      for (const id of ids) inflight.delete(id)
    }
    const status = answer?.status ?? 0
    if (answer === undefined || status === 408 || status === 429 || status >= 500) {
      const now = env.now()
      const wait = retryAfterMs(answer?.headers.get("retry-after"), now)
      retryAt = now + retryDelay(attempt++, retryBaseMs, retryCapMs, env.random, wait)
      stats.retries++
      cancelRetry()
      cancelRetry = env.schedule(flush, retryAt - now)
      return false
    }
    attempt = 0
    retryAt = 0
    const reply = await answer.json().catch(noop)
    if (status >= 300) {
      stats.failed += batch.length
      const error = isRecord(reply) && isRecord(reply.error) ? reply.error : {}
      onError({ kind: "http", status, events: batch.length, message: text(error.message) })
    } else {
      const results = isRecord(reply) && Array.isArray(reply.results) ? reply.results : []
      for (const result of results) {
        if (!isRecord(result)) continue
        if (result.status === "rejected") {
          stats.rejected++
          onError({
            kind: "rejected",
            eventId: text(result.event_id),
            reason: text(result.reason),
            path: text(result.path),
            message: text(result.message)
          })
        } else stats.accepted++
      }
    }
    done(ids)
    return true
  }

  /**
   * One delivery pass: take over the events of gone tabs, then send this tab's events in batches until
   * done or a retryable failure. Unless `always`, only when events were taken over (a reload, a closed tab).
   */
  const deliver = async (always: boolean) => {
    if (unloading || !env.online() || env.now() < retryAt) return
    heartbeat(true)
    const registry = tabs()
    const now = env.now()
    let taken = 0
    try {
      const claimed = await stored(() => outbox.claim(tab, (owner) => !alive(registry, owner, now)))
      const ids = new Set(claimed.map((item) => item.id))
      // Stored events missing from the outbox were dropped from a full queue, or taken by another tab.
      for (const [id, entry] of mine) if (entry.state === 2 && !ids.has(id)) mine.delete(id)
      for (const item of claimed) {
        if (mine.has(item.id) || gone.has(item.id)) continue
        mine.set(item.id, { item, state: 2 })
        taken++
      }
      for (const id of gone) if (!ids.has(id)) gone.delete(id)
    } catch {
      // The outbox failed: send what this tab holds in memory.
    }
    if (!always && taken === 0) return
    for (;;) {
      const batch: Array<OutboxItem> = []
      let bytes = 0
      for (const { item } of sorted()) {
        bytes += JSON.stringify(item.event).length
        if (batch.length >= maxBatch || (batch.length > 0 && bytes > BATCH_MAX_BYTES)) break
        batch.push(item)
      }
      if (batch.length === 0 || !(await send(batch))) return
    }
  }

  let always = false
  /** Queues a delivery pass after the running one (calls meanwhile share it). */
  const pass = (send: boolean): Promise<void> => {
    persist()
    always ||= send
    queued ??= running = running
      .then(() => {
        queued = undefined
        const sendAll = always
        always = false
        return deliver(sendAll)
      })
      .catch(noop)
    return queued
  }
  const flush = () => pass(true)

  /**
   * The page is going away (`final`) or hidden: what is not in flight goes out as beacons of at most
   * 64 KB, oldest first, until the browser refuses one; the rest stays in the outbox for the next page.
   */
  const unload = (final: boolean) => {
    const now = env.now()
    // A tab found gone may have lost its stored events to another tab; once unloading, it beacons what it still holds.
    if ((unloading || alive(tabs(), tab, now)) && env.online() && now >= retryAt) {
      const sent_at = new Date(now).toISOString()
      let chunk: Array<string> = []
      let ids: Array<string> = []
      let bytes = 0
      const beacon = (): boolean => {
        if (chunk.length === 0) return true
        if (!env.beacon(url, `{"events":[${chunk.join(",")}]}`)) return false
        stats.beaconed += ids.length
        const direct: Array<string> = []
        const pending: Array<string> = []
        for (const id of ids) {
          const state = mine.get(id)?.state
          mine.delete(id)
          gone.add(id)
          // Stored ones are deleted now (a transaction started during pagehide still commits); one still
          // being added is deleted after its add; one never handed to the outbox has nothing to delete.
          if (state === 2) direct.push(id)
          else if (state === 1) pending.push(id)
        }
        outbox.remove(direct).catch(noop)
        if (pending.length > 0) stored(() => outbox.remove(pending)).catch(noop)
        chunk = []
        ids = []
        bytes = 0
        return true
      }
      for (const { item } of sorted()) {
        if (inflight.has(item.id)) continue
        const json = JSON.stringify({ ...item.event, sent_at })
        const size = utf8.encode(json).length + 1
        if (size + 12 > BEACON_MAX_BYTES) continue
        if (bytes + size + 12 > BEACON_MAX_BYTES && !beacon()) break
        chunk.push(json)
        ids.push(item.id)
        bytes += size
      }
      beacon()
    }
    if (final) {
      unloading = true
      heartbeat(false)
    }
  }

  const track: Track = (eventType, properties) => {
    const now = env.now()
    const session = nextSession(parseSession(kv.get(key("session"))), now, env.uuid)
    write("session", session)
    const anonymous = anonymousId()
    const experiments = readStrings("exp")
    const context = env.context()
    const event: WireEvent = {
      event_id: env.uuid(),
      event_type: eventType,
      schema_version: SCHEMA_VERSIONS[eventType],
      user_id: kv.get(key("user")) ?? anonymous,
      anonymous_id: anonymous,
      session_id: session.id,
      occurred_at: new Date(now).toISOString(),
      context: appVersion === undefined ? context : { ...context, app_version: appVersion },
      properties,
      ...(Object.keys(experiments).length > 0 ? { experiments } : {})
    }
    mine.set(event.event_id, {
      item: { id: event.event_id, seq: now * 1000 + (seq++ % 1000), owner: tab, event },
      state: 0
    })
    // Bounded in memory too, for when the outbox cannot store (stored events are counted by the outbox).
    let evicted = 0
    for (const [id, entry] of mine) {
      if (mine.size <= maxQueue) break
      mine.delete(id)
      if (entry.state === 0) evicted++
    }
    if (evicted > 0) dropped(evicted)
    if (unloading) return unload(false)
    Promise.resolve().then(persist)
    if (mine.size - inflight.size >= flushAt) flush()
  }

  const variant = <V extends string>(experiment: string, variants: readonly [V, ...Array<V>]): V => {
    const assigned = readStrings("exp")
    const before = assigned[experiment]
    const chosen = variants.find((v) => v === before) ?? assignVariant(experiment, distinctId(), variants)
    if (chosen !== before) write("exp", { ...assigned, [experiment]: chosen })
    const seen = read("seen")
    const marks = Array.isArray(seen) ? seen : []
    const mark = `${distinctId()} ${experiment}`
    if (!marks.includes(mark)) {
      write("seen", [...marks, mark].slice(-50))
      track("experiment_exposure", { experiment_key: experiment, variant: chosen })
    }
    return chosen
  }

  const tick = () => {
    if (!unloading && (heartbeat(true) || mine.size > 0)) pass(mine.size > 0)
    env.schedule(tick, flushIntervalMs)
  }

  env.on("pagehide", () => unload(true))
  env.on("hidden", () => unload(false))
  env.on("pageshow", () => {
    unloading = false
    heartbeat(true)
  })
  env.on("online", () => {
    attempt = 0
    retryAt = 0
    flush()
  })
  // The anonymous id and a live session exist from the start, so tabs opened one after the other share
  // them even when their first events race (a valid stored session is left as it is).
  anonymousId()
  const kept = parseSession(kv.get(key("session")))
  const session = nextSession(kept, env.now(), env.uuid)
  if (session.id !== kept?.id) write("session", session)
  heartbeat(true)
  env.schedule(tick, flushIntervalMs)
  // Events left by tabs that are gone (a reload with events queued) go out now.
  pass(false)

  return {
    track,
    page: () => {
      const title = env.title().slice(0, 1024)
      track("page_view", title === "" ? {} : { title })
    },
    identify: (userId, traits = {}) => {
      kv.set(key("user"), userId)
      track("identify", { traits })
    },
    reset: () => {
      for (const field of ["user", "session", "exp", "seen"]) kv.remove(key(field))
      kv.set(key("anon"), env.uuid())
    },
    variant,
    flush,
    stats: () => ({ ...stats, queued: mine.size })
  }
}
