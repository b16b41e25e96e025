/**
 * Small synchronous key-value stores for identity, session, experiment assignments and the tab registry:
 * localStorage, else first-party cookies, else memory (storage disabled: the tracker still works, for
 * the page's lifetime). Writes never throw: a full or blocked store must not break the host page.
 */

export interface KeyValue {
  readonly get: (key: string) => string | undefined
  readonly set: (key: string, value: string) => void
  readonly remove: (key: string) => void
}

export const memoryKeyValue = (): KeyValue => {
  const values = new Map<string, string>()
  return {
    get: (key) => values.get(key),
    set: (key, value) => {
      values.set(key, value)
    },
    remove: (key) => {
      values.delete(key)
    }
  }
}

/** A Web Storage area (localStorage). */
export const storageKeyValue = (storage: Storage): KeyValue => ({
  get: (key) => storage.getItem(key) ?? undefined,
  set: (key, value) => {
    try {
      storage.setItem(key, value)
    } catch {
      // Quota exceeded: the previous value stays.
    }
  },
  remove: (key) => storage.removeItem(key)
})

/** First-party cookies for the whole site, kept a year (what PostHog and Snowplow fall back to). */
export const cookieKeyValue = (doc: Document): KeyValue => {
  const write = (key: string, value: string, maxAge: number) => {
    doc.cookie = `${key}=${encodeURIComponent(value)};path=/;max-age=${maxAge};SameSite=Lax${location.protocol === "https:" ? ";Secure" : ""}`
  }
  return {
    get: (key) => {
      for (const pair of doc.cookie.split("; ")) {
        const at = pair.indexOf("=")
        if (pair.slice(0, at) === key) return decodeURIComponent(pair.slice(at + 1))
      }
      return undefined
    },
    set: (key, value) => write(key, value, 31_536_000),
    remove: (key) => write(key, "", 0)
  }
}

/** `make()` if it can store and read back a value, else undefined (blocked storage throws on access in some browsers). */
export const usable = (make: () => KeyValue): KeyValue | undefined => {
  try {
    const store = make()
    store.set("lp_probe", "1")
    const ok = store.get("lp_probe") === "1"
    store.remove("lp_probe")
    return ok ? store : undefined
  } catch {
    return undefined
  }
}
