/** The outbox's pure rules (bounds, ownership) and its localStorage and key-value fallbacks. */
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { memoryKeyValue, storageKeyValue, usable } from "../../src/sdk/KeyValue.ts"
import {
  appendBounded,
  claimItems,
  localStorageStore,
  memoryStore,
  type OutboxItem,
  type WireEvent
} from "../../src/sdk/Outbox.ts"

const event = (id: string): WireEvent => ({
  event_id: id,
  event_type: "quiz_started",
  schema_version: 1,
  user_id: "u",
  session_id: "s",
  occurred_at: "2026-06-01T09:00:00.000Z",
  context: { device_type: "desktop" },
  properties: { quiz_id: "analytics_stack" }
})
const item = (seq: number, owner = "tab-a"): OutboxItem => ({ id: `e${seq}`, seq, owner, event: event(`e${seq}`) })

/** A Storage whose total size (characters of keys and values) is capped, like a browser's 5 MB. */
class CappedStorage implements Storage {
  private readonly values = new Map<string, string>()
  private readonly capacity: number
  constructor(capacity: number) {
    this.capacity = capacity
  }
  get length() {
    return this.values.size
  }
  clear() {
    this.values.clear()
  }
  getItem(key: string) {
    return this.values.get(key) ?? null
  }
  key(index: number) {
    return [...this.values.keys()][index] ?? null
  }
  removeItem(key: string) {
    this.values.delete(key)
  }
  setItem(key: string, value: string) {
    let used = key.length + value.length
    for (const [k, v] of this.values) if (k !== key) used += k.length + v.length
    if (used > this.capacity) throw new DOMException("quota", "QuotaExceededError")
    this.values.set(key, value)
  }
}

const Seqs = Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1000 })))
const Max = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 50 }))

describe("appendBounded", () => {
  it.prop(
    "keeps the newest min(n, max) items, oldest first, and drops exactly the rest",
    [Seqs, Seqs, Max],
    ([existing, added, max]) => {
      const items = [...new Set(existing)].map((seq) => item(seq))
      const more = [...new Set(added)].filter((seq) => !existing.includes(seq)).map((seq) => item(seq))
      const { keep, drop } = appendBounded(items, more, max)
      const all = [...items, ...more].map((i) => i.seq).sort((a, b) => a - b)
      assert.deepStrictEqual(
        keep.map((i) => i.seq),
        all.slice(Math.max(0, all.length - max))
      )
      assert.deepStrictEqual(
        drop.map((i) => i.seq),
        all.slice(0, Math.max(0, all.length - max))
      )
    },
    { arbitrary: { runs: 200 } }
  )
})

describe("claimItems", () => {
  it("takes over the items of gone owners, never those of live ones, oldest first", () => {
    const items = [item(3, "live"), item(1, "gone"), item(2, "me"), item(0, "me")]
    const { mine, adopted } = claimItems(items, "me", (owner) => owner === "gone")
    assert.deepStrictEqual(
      mine.map((i) => [i.id, i.owner]),
      [
        ["e0", "me"],
        ["e1", "me"],
        ["e2", "me"]
      ]
    )
    assert.deepStrictEqual(
      adopted.map((i) => i.id),
      ["e1"]
    )
  })
})

describe("stores", () => {
  for (const [name, make] of [
    ["memory", () => memoryStore()],
    ["localStorage", () => localStorageStore(new CappedStorage(1_000_000), "lp_outbox")]
  ] as const) {
    it(`${name}: add is bounded, claim transfers ownership, remove deletes`, async () => {
      const store = make()
      assert.strictEqual(await store.add([item(0, "a"), item(1, "a"), item(2, "b")], 10), 0)
      assert.strictEqual(await store.add([item(3, "b"), item(4, "b")], 4), 1)
      const claimed = await store.claim("b", (owner) => owner === "a")
      assert.deepStrictEqual(
        claimed.map((i) => i.id),
        ["e1", "e2", "e3", "e4"]
      )
      assert.deepStrictEqual(await store.claim("a", () => false), [], "a's item now belongs to b")
      await store.remove(["e1", "e3"])
      assert.deepStrictEqual(
        (await store.claim("b", () => false)).map((i) => i.id),
        ["e2", "e4"]
      )
    })
  }

  it("localStorage: when the area is full, the oldest go until the queue fits, and are counted", async () => {
    const one = JSON.stringify(item(0)).length
    const store = localStorageStore(new CappedStorage(10 + one * 6), "lp_outbox")
    const dropped = await store.add(
      Array.from({ length: 10 }, (_, i) => item(i)),
      100
    )
    const left = await store.claim("tab-a", () => false)
    assert.strictEqual(dropped + left.length, 10)
    assert.isAbove(left.length, 0)
    assert.deepStrictEqual(
      left.map((i) => i.seq),
      Array.from({ length: left.length }, (_, i) => 10 - left.length + i)
    )
  })

  it("localStorage: a corrupt value reads as an empty queue", async () => {
    const storage = new CappedStorage(1000)
    storage.setItem("lp_outbox", "{not json")
    assert.deepStrictEqual(await localStorageStore(storage, "lp_outbox").claim("a", () => true), [])
  })
})

describe("key-value fallbacks", () => {
  it("a storage that throws or does not keep values is not usable; memory always is", () => {
    const throwing = {
      get: () => {
        throw new DOMException("denied", "SecurityError")
      },
      set: () => undefined,
      remove: () => undefined
    }
    assert.isUndefined(usable(() => throwing))
    assert.isUndefined(usable(() => storageKeyValue(new CappedStorage(0))))
    assert.isDefined(usable(() => storageKeyValue(new CappedStorage(100))))
    assert.isDefined(usable(memoryKeyValue))
  })
})
