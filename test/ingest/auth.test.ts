/** Write keys (header and basic auth), and the salted IP hash, with LAUNCHPAD_WRITE_KEYS and LAUNCHPAD_IP_SALT set. */
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Redacted, Result } from "effect"
import { afterAll, beforeAll } from "vitest"
import { decodeDeadLetterJson } from "../../src/domain/DeadLetter.ts"
import { decodeEnrichedEventJson } from "../../src/domain/EventCodec.ts"
import { makeMatcher } from "../../src/ingest/server/WriteKeyAuth.ts"
import { TopicNames } from "../../src/kafka/Topics.ts"
import { apiClient, postJson, readTopics, startIngest, type TestIngest, validEvent } from "./fixtures.ts"

let ingest: TestIngest
const SALT = "pepper"

beforeAll(async () => {
  ingest = await startIngest({
    writeKeys: [
      { id: "web", secret: Redacted.make("web-secret") },
      { id: "ios", secret: Redacted.make("ios-secret") }
    ],
    ipSalt: Option.some(Redacted.make(SALT))
  })
})
afterAll(() => ingest.close())

const basic = (user: string, password = "") => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`

describe("write keys", () => {
  it("the matcher finds the key by secret and nothing for a wrong or empty one", () => {
    const matcher = makeMatcher([
      { id: "a", secret: Redacted.make("s1") },
      { id: "b", secret: Redacted.make("s2") }
    ])
    assert.strictEqual(matcher.match("s2"), "b")
    assert.isUndefined(matcher.match("s3"))
    assert.isUndefined(matcher.match(""))
    assert.isFalse(makeMatcher([]).enabled)
  })

  it.effect("a missing or wrong key gets 401; a good key in the header or as basic-auth username gets 200", () =>
    Effect.gen(function* () {
      const send = (headers: Record<string, string>) =>
        Effect.promise(() => postJson(ingest.baseUrl, "/api/v1/events", validEvent(), headers))
      for (const headers of [
        {},
        { "x-write-key": "nope" },
        { authorization: basic("nope") },
        { authorization: "Bearer web-secret" }
      ]) {
        const response = yield* send(headers)
        assert.strictEqual(response.status, 401, JSON.stringify(headers))
        assert.strictEqual((response.json as { error: { code: string } }).error.code, "unauthorized")
        assert.isNotNull(response.headers.get("x-request-id"))
      }
      assert.strictEqual((yield* send({ "x-write-key": "web-secret" })).status, 200)
      assert.strictEqual((yield* send({ authorization: basic("ios-secret") })).status, 200)
      // A wrong header key does not stop a good basic-auth key (either scheme may authenticate).
      assert.strictEqual((yield* send({ "x-write-key": "nope", authorization: basic("web-secret") })).status, 200)

      const client = yield* apiClient(ingest.baseUrl, "web-secret")
      assert.strictEqual((yield* client.events.batch({ payload: { events: [validEvent() as never] } })).accepted, 1)
      const unauthorized = yield* (yield* apiClient(ingest.baseUrl)).events
        .batch({ payload: { events: [] } })
        .pipe(Effect.flip)
      assert.strictEqual(unauthorized._tag, "Unauthorized")
      // Health and metrics need no key.
      assert.isTrue((yield* (yield* apiClient(ingest.baseUrl)).health.ready()).ready)
    })
  )

  it.effect("events and dead letters carry the write key's id and a salted IP hash, never the IP or secret", () =>
    Effect.gen(function* () {
      const good = validEvent()
      const bad = validEvent({ event_type: "nope" })
      const id = `auth-${crypto.randomUUID()}`
      const response = yield* Effect.promise(() =>
        postJson(
          ingest.baseUrl,
          "/api/v1/events/batch",
          { events: [good, bad] },
          {
            "x-write-key": "ios-secret",
            "x-request-id": id,
            "x-forwarded-for": "203.0.113.7, 10.0.0.1"
          }
        )
      )
      assert.strictEqual(response.status, 200)
      const records = yield* Effect.promise(() =>
        readTopics(ingest.kafka, [TopicNames.eventsRaw, TopicNames.eventsDeadletter])
      )
      const mine = records.filter((r) => r.value.includes(id))
      assert.strictEqual(mine.length, 2)
      for (const record of mine) {
        assert.notInclude(record.value, "203.0.113.7")
        assert.notInclude(record.value, "ios-secret")
      }
      const raw = mine.find((r) => r.topic === TopicNames.eventsRaw)
      const event = Result.getOrThrow(decodeEnrichedEventJson(raw?.value ?? ""))
      assert.strictEqual(event.write_key_id, "ios")
      const expected = createHash("sha256").update(SALT).update("\u0000").update("203.0.113.7").digest("hex")
      assert.strictEqual(event.ip_hash, expected)
      const dead = mine.find((r) => r.topic === TopicNames.eventsDeadletter)
      assert.strictEqual(Result.getOrThrow(decodeDeadLetterJson(dead?.value ?? "")).write_key_id, "ios")
    })
  )
})
