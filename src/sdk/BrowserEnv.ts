/** The tracker's environment in a browser: storage with fallbacks, page context, fetch, beacons, page lifecycle. */
import type { EventContext } from "../domain/SdkTypes.ts"
import type { Env } from "./Env.ts"
import { cookieKeyValue, memoryKeyValue, storageKeyValue, usable } from "./KeyValue.ts"
import { indexedDbStore, localStorageStore, memoryStore, type OutboxStore } from "./Outbox.ts"
import { BEACON_MAX_BYTES } from "./Tracker.ts"

const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"] as const

const uuid = (): string =>
  typeof crypto.randomUUID === "function"
    ? crypto.randomUUID()
    : // Outside secure contexts randomUUID is missing; getRandomValues is not.
      "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
        (Number(c) ^ ((crypto.getRandomValues(new Uint8Array(1))[0] ?? 0) & (15 >> (Number(c) / 4)))).toString(16)
      )

const deviceType = (ua: string): EventContext["device_type"] =>
  /iPad|Tablet/i.test(ua) || (/Android/i.test(ua) && !/Mobi/i.test(ua))
    ? "tablet"
    : /Mobi|iPhone|Android/i.test(ua)
      ? "mobile"
      : "desktop"

/** Campaign parameters of the landing URL, kept for every event of the page. */
const campaign = (): Partial<Record<(typeof UTM)[number], string>> => {
  const params = new URLSearchParams(location.search)
  const out: Partial<Record<(typeof UTM)[number], string>> = {}
  for (const name of UTM) {
    const value = params.get(name)
    if (value) out[name] = value.slice(0, 1024)
  }
  return out
}

const context = (utm: ReturnType<typeof campaign>): EventContext => {
  const out: { -readonly [K in keyof EventContext]: EventContext[K] } = {
    device_type: deviceType(navigator.userAgent),
    page_url: location.href.slice(0, 2048),
    page_path: location.pathname.slice(0, 2048),
    ...utm
  }
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone
  if (navigator.language) out.locale = navigator.language
  if (timezone) out.timezone = timezone
  if (document.referrer) out.referrer = document.referrer.slice(0, 2048)
  if (screen.width >= 1) out.screen_width = Math.round(screen.width)
  if (screen.height >= 1) out.screen_height = Math.round(screen.height)
  return out
}

/** An outbox that resolves to IndexedDB, else localStorage, else memory, on first use. */
const outboxOf = (name: string, storage: Storage | undefined): OutboxStore => {
  const fallback = () => (storage === undefined ? memoryStore() : localStorageStore(storage, `${name}_outbox`))
  let store: Promise<OutboxStore>
  try {
    store = indexedDbStore(indexedDB, `${name}-outbox`).catch(fallback)
  } catch {
    store = Promise.resolve(fallback())
  }
  return {
    add: (items, max) => store.then((s) => s.add(items, max)),
    claim: (owner, isGone) => store.then((s) => s.claim(owner, isGone)),
    remove: (ids) => store.then((s) => s.remove(ids))
  }
}

const gzip = (body: string): Promise<Uint8Array<ArrayBuffer>> =>
  new Response(new Blob([body]).stream().pipeThrough(new CompressionStream("gzip")))
    .arrayBuffer()
    .then((buffer) => new Uint8Array(buffer))

export const browserEnv = (name: string, writeKey: string | undefined): Env => {
  const local = usable(() => storageKeyValue(localStorage))
  const utm = campaign()
  let keepaliveBytes = 0
  return {
    now: Date.now,
    random: Math.random,
    uuid,
    schedule: (run, ms) => {
      const handle = setTimeout(run, ms)
      return () => clearTimeout(handle)
    },
    fetch: (url, init) => fetch(url, init),
    // sendBeacon cannot carry a write key header; with one, a keepalive fetch, within the same 64 KB budget.
    beacon: (url, body) => {
      if (writeKey === undefined) return navigator.sendBeacon(url, new Blob([body], { type: "text/plain" }))
      if (keepaliveBytes + body.length > BEACON_MAX_BYTES) return false
      keepaliveBytes += body.length
      fetch(url, {
        method: "POST",
        keepalive: true,
        headers: { "content-type": "text/plain", "x-write-key": writeKey },
        body
      })
        .catch(() => undefined)
        .finally(() => {
          keepaliveBytes -= body.length
        })
      return true
    },
    gzip: typeof CompressionStream === "function" ? gzip : undefined,
    online: () => navigator.onLine !== false,
    kv: local ?? usable(() => cookieKeyValue(document)) ?? memoryKeyValue(),
    outbox: outboxOf(name, local === undefined ? undefined : localStorage),
    context: () => context(utm),
    title: () => document.title,
    on: (event, listener) => {
      if (event === "hidden")
        document.addEventListener("visibilitychange", () => document.visibilityState === "hidden" && listener())
      else addEventListener(event, listener)
    }
  }
}
