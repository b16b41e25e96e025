/**
 * CORS has two policies: the event endpoints accept writes from every configured origin (default
 * `*`, browsers everywhere run the SDK), every other endpoint answers cross-origin reads only for
 * LAUNCHPAD_READ_CORS_ORIGINS (default: none, same origin only). Before, every endpoint answered
 * `Access-Control-Allow-Origin: *`, so any web page could read the KPIs cross-origin.
 */
import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import { postJson, startIngest, type TestIngest, validEvent } from "./fixtures.ts"

let byDefault: TestIngest
let withReaders: TestIngest

beforeAll(async () => {
  const writeKeys = [{ id: "web", secret: Redacted.make("web-secret-0123456789") }]
  ;[byDefault, withReaders] = await Promise.all([
    startIngest({ writeKeys }),
    startIngest({ writeKeys, readCorsOrigins: ["https://dashboard.example"] })
  ])
})
afterAll(() => Promise.all([byDefault.close(), withReaders.close()]))

const evil = "https://evil.example"
const readPaths = ["/api/v1/schemas", "/metrics", "/health"]

const preflight = (baseUrl: string, path: string, origin: string, method: string) =>
  fetch(`${baseUrl}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": "content-type" }
  })

describe("CORS", () => {
  it("event endpoints: any origin may write, preflight included", async () => {
    for (const ingest of [byDefault, withReaders]) {
      const answer = await postJson(ingest.baseUrl, "/api/v1/events", validEvent(), {
        origin: evil,
        "x-write-key": "web-secret-0123456789"
      })
      assert.strictEqual(answer.status, 200)
      assert.strictEqual(answer.headers.get("access-control-allow-origin"), "*")
      const options = await preflight(ingest.baseUrl, "/api/v1/events/batch", evil, "POST")
      assert.strictEqual(options.headers.get("access-control-allow-origin"), "*")
      assert.include(options.headers.get("access-control-allow-methods") ?? "", "POST")
    }
  })

  it("read endpoints: no cross-origin access by default, even with write keys set", async () => {
    for (const path of readPaths) {
      const answer = await fetch(`${byDefault.baseUrl}${path}`, { headers: { origin: evil } })
      assert.strictEqual(answer.headers.get("access-control-allow-origin"), null, path)
      const options = await preflight(byDefault.baseUrl, path, evil, "GET")
      assert.strictEqual(options.headers.get("access-control-allow-origin"), null, path)
    }
  })

  it("read endpoints: the listed origins may read, others may not", async () => {
    for (const path of readPaths) {
      const allowed = await fetch(`${withReaders.baseUrl}${path}`, { headers: { origin: "https://dashboard.example" } })
      assert.strictEqual(allowed.headers.get("access-control-allow-origin"), "https://dashboard.example", path)
      // A browser lets a page read only when the header names its origin (or is *).
      const refused = await fetch(`${withReaders.baseUrl}${path}`, { headers: { origin: evil } })
      assert.notInclude([evil, "*"], refused.headers.get("access-control-allow-origin"), path)
    }
  })
})
