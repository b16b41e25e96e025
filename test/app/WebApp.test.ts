/**
 * The web app on the API's server: built files with their cache and compression rules, client-side
 * routes falling back to index.html, unknown API paths answered with JSON 404s, the API untouched; and
 * in dev, Vite in middleware mode with its HMR WebSocket on the same port.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { WebApp } from "../../src/app/WebApp.ts"
import { builtWebApp } from "../ui/fixtures/build.ts"
import { startWebServer, type TestWebServer } from "../ui/fixtures/server.ts"

const get = (server: TestWebServer, path: string, headers: Record<string, string> = {}) =>
  fetch(`${server.baseUrl}${path}`, { headers, redirect: "manual" })

describe("built app (launchpad start)", () => {
  let server: TestWebServer
  let html = ""
  let script = ""

  beforeAll(async () => {
    server = await startWebServer(WebApp.layerBuilt({ root: await builtWebApp(), buildIfMissing: false }))
    html = await (await get(server, "/")).text()
    script = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1] ?? ""
  }, 120_000)
  afterAll(() => server?.close())

  it("serves index.html at / and at every client-side route, never cached", async () => {
    for (const path of ["/", "/result?use=web", "/dashboard", "/some/deep/link"]) {
      const response = await get(server, path)
      assert.strictEqual(response.status, 200, path)
      assert.strictEqual(response.headers.get("content-type"), "text/html; charset=utf-8")
      assert.strictEqual(response.headers.get("cache-control"), "no-cache")
      assert.include(await response.text(), '<div id="app"></div>')
    }
  })

  it("serves content-hashed assets for a year, brotli or gzip as the client accepts", async () => {
    assert.match(script, /^\/assets\/index-[\w-]+\.js$/)
    const plain = await get(server, script, { "accept-encoding": "identity" })
    const body = new Uint8Array(await plain.arrayBuffer())
    assert.strictEqual(plain.headers.get("cache-control"), "public, max-age=31536000, immutable")
    assert.strictEqual(plain.headers.get("content-type"), "text/javascript; charset=utf-8")
    assert.isNull(plain.headers.get("content-encoding"))
    assert.strictEqual(plain.headers.get("vary"), "Accept-Encoding")
    for (const [accept, encoding] of [
      ["gzip, deflate, br", "br"],
      ["gzip", "gzip"],
      ["br;q=0, gzip", "gzip"]
    ] as const) {
      // fetch decodes the body; the header and the decoded bytes prove which twin was sent.
      const response = await get(server, script, { "accept-encoding": accept })
      assert.strictEqual(response.headers.get("content-encoding"), encoding, accept)
      assert.deepStrictEqual(new Uint8Array(await response.arrayBuffer()), body)
    }
  })

  it("answers a matching If-None-Match with 304", async () => {
    const first = await get(server, "/")
    const etag = first.headers.get("etag") ?? ""
    assert.match(etag, /^"[\w-]+"$/)
    const again = await get(server, "/result", { "if-none-match": etag })
    assert.strictEqual(again.status, 304)
  })

  it("serves the SDK bundle at a stable URL, revalidated after five minutes", async () => {
    const response = await get(server, "/sdk/launchpad.js")
    assert.strictEqual(response.status, 200)
    assert.strictEqual(response.headers.get("cache-control"), "public, max-age=300, must-revalidate")
    assert.include(await response.text(), "createTracker")
  })

  it("answers unknown API paths and missing files with the API's JSON 404 (never index.html)", async () => {
    for (const path of ["/api/v1/nope", "/api", "/health/nope", "/metrics/x", "/docs/x"]) {
      const response = await get(server, path)
      assert.strictEqual(response.status, 404, path)
      const body = (await response.json()) as { error: { status: number; code: string } }
      assert.deepInclude(body.error, { status: 404, code: "not_found" })
    }
    const asset = await get(server, "/assets/index-00000000.js")
    assert.strictEqual(asset.status, 404)
    assert.strictEqual(asset.headers.get("content-type"), "application/json")
  })

  it("leaves the API alone: health, docs, OpenAPI and the event endpoints answer as before", async () => {
    assert.strictEqual((await get(server, "/health/live")).status, 200)
    assert.strictEqual((await get(server, "/openapi.json")).headers.get("content-type"), "application/json")
    assert.strictEqual((await get(server, "/docs")).status, 200)
    const posted = await fetch(`${server.baseUrl}/api/v1/events/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events: [] })
    })
    assert.strictEqual(posted.status, 200)
  })
})

describe("built app missing", () => {
  it("fails at start with an error that says to run pnpm build", async () => {
    const error = await startWebServer(
      WebApp.layerBuilt({ root: "/nonexistent/launchpad", buildIfMissing: false })
    ).then(
      () => undefined,
      (cause: unknown) => String(cause)
    )
    assert.include(error ?? "", "run `pnpm build`")
  }, 60_000)
})

describe("dev server (launchpad dev)", () => {
  let server: TestWebServer

  beforeAll(async () => {
    // Short HTTP timeouts: the HMR socket, once upgraded, must outlive them.
    server = await startWebServer(WebApp.layerDev, { requestTimeoutMs: 1_500, headersTimeoutMs: 1_000 })
  }, 120_000)
  afterAll(() => server?.close())

  it("serves the app through Vite (its client injected, TSX transformed) on the API's origin", async () => {
    const html = await (await get(server, "/result")).text()
    assert.include(html, "/@vite/client")
    const main = await get(server, "/main.tsx")
    assert.strictEqual(main.status, 200)
    assert.include(main.headers.get("content-type") ?? "", "javascript")
    assert.match(await main.text(), /solid-js.web/)
    const missing = await get(server, "/api/v1/nope")
    assert.strictEqual(missing.status, 404)
    assert.strictEqual(((await missing.json()) as { error: { code: string } }).error.code, "not_found")
  }, 60_000)

  it("serves the SDK at the same stable URL as the built app, compiled from its source", async () => {
    const sdk = await get(server, "/sdk/launchpad.js")
    assert.strictEqual(sdk.status, 200)
    assert.include(sdk.headers.get("content-type") ?? "", "javascript")
    assert.match(await sdk.text(), /export const createTracker/)
  }, 60_000)

  it("accepts Vite's HMR WebSocket on the same port, and keeps it open", async () => {
    const socket = new WebSocket(`${server.baseUrl.replace("http", "ws")}/`, "vite-hmr")
    const first = await new Promise<string>((resolve, reject) => {
      socket.addEventListener("message", (event) => resolve(String(event.data)), { once: true })
      socket.addEventListener("error", () => reject(new Error("the HMR socket failed")), { once: true })
    })
    assert.deepStrictEqual(JSON.parse(first), { type: "connected" })
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    assert.strictEqual(socket.readyState, WebSocket.OPEN, "still open past the request timeout")
    socket.close()
  })
})
