/**
 * The durable outbox: events waiting to be delivered, shared by every tab of the site, in IndexedDB (else
 * localStorage, else memory). Each event has an owner, the tab that sends it; a tab takes over the events
 * of tabs that are gone, in the same transaction that reads them, so two live tabs never send the same
 * event. The queue is bounded: past `max` events the oldest are dropped (and counted by the caller).
 */
import type { EventType, PropertiesOf, SdkEnvelope } from "../domain/SdkTypes.ts"

/** An event as the SDK queues it: the envelope, one event type and its properties (`sent_at` is added at each send). */
export type WireEvent = SdkEnvelope<EventType> & {
  readonly event_type: EventType
  readonly properties: PropertiesOf<EventType>
}

export interface OutboxItem {
  /** The event's `event_id`. */
  readonly id: string
  /** Insertion order across tabs (time-based); the oldest are sent, and dropped, first. */
  readonly seq: number
  /** The tab that sends it. */
  readonly owner: string
  readonly event: WireEvent
}

export interface OutboxStore {
  /** Adds `items`, then drops the oldest beyond `max`; resolves to the number dropped. */
  readonly add: (items: ReadonlyArray<OutboxItem>, max: number) => Promise<number>
  /**
   * Makes `owner` the owner of every item whose owner `isGone`, atomically, and resolves to all of
   * `owner`'s items, oldest first.
   */
  readonly claim: (owner: string, isGone: (owner: string) => boolean) => Promise<ReadonlyArray<OutboxItem>>
  readonly remove: (ids: ReadonlyArray<string>) => Promise<void>
}

const bySeq = (a: OutboxItem, b: OutboxItem) => a.seq - b.seq || (a.id < b.id ? -1 : 1)

/** `items` with `added`, oldest first, and the oldest beyond `max` split off as `drop`. */
export const appendBounded = (items: ReadonlyArray<OutboxItem>, added: ReadonlyArray<OutboxItem>, max: number) => {
  const all = [...items, ...added].sort(bySeq)
  const cut = Math.max(0, all.length - max)
  return { keep: all.slice(cut), drop: all.slice(0, cut) }
}

/** `owner`'s items, oldest first, after taking over those of gone owners (`adopted`, to write back). */
export const claimItems = (items: ReadonlyArray<OutboxItem>, owner: string, isGone: (owner: string) => boolean) => {
  const mine: Array<OutboxItem> = []
  const adopted: Array<OutboxItem> = []
  for (const item of [...items].sort(bySeq)) {
    if (item.owner === owner) mine.push(item)
    else if (isGone(item.owner)) {
      const taken = { ...item, owner }
      mine.push(taken)
      adopted.push(taken)
    }
  }
  return { mine, adopted }
}

/**
 * A store over a whole-array load and save (memory, localStorage). `save` returns how many of the oldest
 * items it had to leave out to fit (a full localStorage).
 */
export const arrayStore = (
  load: () => ReadonlyArray<OutboxItem>,
  save: (items: ReadonlyArray<OutboxItem>) => number
): OutboxStore => ({
  add: async (items, max) => {
    const { keep, drop } = appendBounded(load(), items, max)
    return drop.length + save(keep)
  },
  claim: async (owner, isGone) => {
    const { mine, adopted } = claimItems(load(), owner, isGone)
    if (adopted.length > 0) {
      const taken = new Map(adopted.map((item) => [item.id, item]))
      save(load().map((item) => taken.get(item.id) ?? item))
    }
    return mine
  },
  remove: async (ids) => {
    const gone = new Set(ids)
    save(load().filter((item) => !gone.has(item.id)))
  }
})

export const memoryStore = (): OutboxStore => {
  let items: ReadonlyArray<OutboxItem> = []
  return arrayStore(
    () => items,
    (next) => {
      items = next
      return 0
    }
  )
}

/** The outbox as one JSON array under `key`; when the area is full, the oldest half goes until it fits. */
export const localStorageStore = (storage: Storage, key: string): OutboxStore =>
  arrayStore(
    () => {
      try {
        const value: unknown = JSON.parse(storage.getItem(key) ?? "[]")
        return Array.isArray(value) ? value : []
      } catch {
        return []
      }
    },
    (items) => {
      for (let left = items; ; left = left.slice(Math.ceil(left.length / 2))) {
        try {
          storage.setItem(key, JSON.stringify(left))
          return items.length - left.length
        } catch {
          if (left.length === 0) return items.length
        }
      }
    }
  )

/**
 * The outbox in IndexedDB (database `name`, store `q`, keyed by event id). Each operation is one
 * read-write transaction, which IndexedDB runs one at a time across tabs: that is what makes `claim`
 * atomic. Transactions are committed explicitly, so a delete issued while the page unloads still lands.
 */
export const indexedDbStore = (idb: IDBFactory, name: string): Promise<OutboxStore> =>
  new Promise((resolve, reject) => {
    const request = idb.open(name, 1)
    request.onupgradeneeded = () => request.result.createObjectStore("q", { keyPath: "id" })
    request.onerror = () => reject(request.error)
    request.onsuccess = () => {
      const db = request.result
      const run = <A>(
        work: (store: IDBObjectStore, items: ReadonlyArray<OutboxItem>) => A,
        readAll = true
      ): Promise<A | undefined> =>
        new Promise((done, fail) => {
          const tx = db.transaction("q", "readwrite")
          const store = tx.objectStore("q")
          let result: A | undefined
          if (readAll) {
            const all = store.getAll()
            all.onsuccess = () => {
              result = work(store, all.result)
              tx.commit()
            }
          } else {
            result = work(store, [])
            tx.commit()
          }
          tx.oncomplete = () => done(result)
          tx.onerror = tx.onabort = () => fail(tx.error)
        })
      resolve({
        add: async (items, max) =>
          (await run((store, existing) => {
            const { drop } = appendBounded(existing, items, max)
            const dropped = new Set(drop.map((item) => item.id))
            for (const item of items) if (!dropped.has(item.id)) store.put(item)
            for (const item of drop) store.delete(item.id)
            return drop.length
          })) ?? 0,
        claim: async (owner, isGone) =>
          (await run((store, existing) => {
            const { mine, adopted } = claimItems(existing, owner, isGone)
            for (const item of adopted) store.put(item)
            return mine
          })) ?? [],
        remove: async (ids) => {
          await run((store) => {
            for (const id of ids) store.delete(id)
          }, false)
        }
      })
    }
  })
