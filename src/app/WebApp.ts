/**
 * The web app on the API's server and origin (ARCHITECTURE.md, Roles: one URL for a person).
 *
 * - `layerDev` (`launchpad dev`): Vite in middleware mode with hot reload. It answers the app's
 *   requests in front of the router, because Vite works on Node's request and response, and its HMR
 *   WebSocket on the server's upgrades.
 * - `layerBuilt` (`launchpad start`): the output of `launchpad build`, read into memory once:
 *   content-hashed assets cached for a year, everything else revalidated (`index.html` on every load),
 *   the build's `.br`/`.gz` twins sent to clients that accept them.
 *
 * Both add one catch-all GET route behind the API's routes (`routes`): a path under `/api`, `/health`,
 * `/metrics`, `/docs` or `/openapi.json` that the API does not know, or a missing file, gets the API's
 * JSON 404; any other path gets `index.html`, so client-side routes (`/result`, later `/dashboard`) load.
 */
import { createHash } from "node:crypto"
import { readdir, readFile, stat } from "node:fs/promises"
import { createServer, type IncomingMessage } from "node:http"
import { extname, join, relative, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { Console, Context, Effect, Layer, Schema } from "effect"
import { HttpRouter, HttpServer, type HttpServerRequest, HttpServerResponse } from "effect/http"
import { Settings } from "../domain/Settings.ts"
import type { FrontHandler } from "../ingest/server/EventsListener.ts"
import { buildWeb, VITE_CONFIG, WEB_OUT_DIR } from "./WebBuild.ts"

export class WebAppError extends Schema.TaggedError<WebAppError>()("WebAppError", { message: Schema.String }) {}

export interface WebAppShape {
  /** How the app is served, for the start-up message. */
  readonly mode: "dev" | "built"
  /** Handlers in front of the router (Vite's, in dev). */
  readonly front: ReadonlyArray<FrontHandler>
  /** Answers a GET that no API route took. */
  readonly fallback: (
    request: HttpServerRequest.HttpServerRequest
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse>
}

/** Paths that belong to the API and its operations endpoints, never to the app. */
const API_PATH = /^\/(api|health|metrics|docs|openapi\.json)(\/|$)/

export const isApiPath = (path: string): boolean => API_PATH.test(path)

const pathOf = (url: string): string => {
  const q = url.indexOf("?")
  return q === -1 ? url : url.slice(0, q)
}

/** A bare 404: the request-context middleware turns it into the API's JSON 404 body. */
const notFound = Effect.succeed(HttpServerResponse.empty({ status: 404 }))

const ioError = (what: string) => (cause: unknown) =>
  new WebAppError({ message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}` })

// ---------------------------------------------------------------------------------------------------
// dev: Vite in middleware mode

/** Where other sites load the SDK from, in dev (its source) and in start (its bundle). */
const SDK_PATH = "/sdk/launchpad.js"
const SDK_ENTRY = fileURLToPath(new URL("../sdk/index.ts", import.meta.url))

const makeDev = Effect.gen(function* () {
  // Vite listens for HMR upgrades on this stand-in, which never listens itself: the real server's
  // upgrades are handed to it by the front handler below, so the app and its HMR share one port.
  const relay = createServer()
  const vite = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: async () =>
        (await import("vite")).createServer({
          configFile: VITE_CONFIG,
          appType: "spa",
          server: { middlewareMode: true, ws: { server: relay } }
        }),
      catch: ioError("starting the Vite dev server failed (vite is a development dependency: run `pnpm install`)")
    }),
    (server) => Effect.promise(() => server.close())
  )
  const isAppRequest = (request: IncomingMessage) =>
    (request.method === "GET" || request.method === "HEAD") && !isApiPath(pathOf(request.url ?? "/"))
  const front: FrontHandler = {
    handle: (request, response) => {
      if (!isAppRequest(request)) return false
      // The SDK's stable URL, as `launchpad start` serves its bundle: here its source, compiled by Vite.
      if (pathOf(request.url ?? "/") === SDK_PATH) request.url = `/@fs${SDK_ENTRY}`
      vite.middlewares(request, response, () => {
        response.statusCode = 404
        response.end()
      })
      return true
    },
    upgrade: (request, socket, head) => {
      const protocol = request.headers["sec-websocket-protocol"]
      if (protocol !== "vite-hmr" && protocol !== "vite-ping") return false
      relay.emit("upgrade", request, socket, head)
      return true
    }
  }
  return {
    mode: "dev",
    front: [front],
    fallback: () => notFound
  } satisfies WebAppShape
})

// ---------------------------------------------------------------------------------------------------
// built: the files of `launchpad build`, from memory

interface BuiltFile {
  readonly body: Uint8Array
  readonly br: Uint8Array | undefined
  readonly gzip: Uint8Array | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly etag: string
}

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".ico": "image/x-icon",
  ".png": "image/png",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".webmanifest": "application/manifest+json"
}

/** Vite names everything under assets/ after its content: it can be cached forever. */
export const cacheControlOf = (path: string): string =>
  path.startsWith("/assets/")
    ? "public, max-age=31536000, immutable"
    : path.endsWith(".html")
      ? "no-cache"
      : "public, max-age=300, must-revalidate"

/** The encoding to send: brotli, else gzip, when the client accepts it (q > 0) and the build made one. */
export const pickEncoding = (
  acceptEncoding: string | undefined,
  available: { readonly br: boolean; readonly gzip: boolean }
): "br" | "gzip" | undefined => {
  const accepted = new Set<string>()
  for (const part of (acceptEncoding ?? "").toLowerCase().split(",")) {
    const [name = "", ...params] = part.trim().split(";")
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="))
    if (q === undefined || Number(q.slice(2)) > 0) accepted.add(name.trim())
  }
  if (available.br && accepted.has("br")) return "br"
  if (available.gzip && (accepted.has("gzip") || accepted.has("x-gzip"))) return "gzip"
  return undefined
}

const loadBuilt = (root: string) =>
  Effect.tryPromise({
    try: async () => {
      const names = (await readdir(root, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join("/"))
        .filter((name) => !name.split("/").some((part) => part.startsWith(".")))
      const present = new Set(names)
      const files = new Map<string, BuiltFile>()
      for (const name of names) {
        if (name.endsWith(".br") || name.endsWith(".gz")) continue
        const path = `/${name}`
        const body = await readFile(join(root, name))
        const twin = async (suffix: string) =>
          present.has(`${name}${suffix}`) ? new Uint8Array(await readFile(join(root, `${name}${suffix}`))) : undefined
        const br = await twin(".br")
        const gzip = await twin(".gz")
        const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`
        const headers: Record<string, string> = {
          "content-type": TYPES[extname(name)] ?? "application/octet-stream",
          "cache-control": cacheControlOf(path),
          etag
        }
        if (br !== undefined || gzip !== undefined) headers.vary = "Accept-Encoding"
        files.set(path, { body: new Uint8Array(body), br, gzip, headers, etag })
      }
      return files
    },
    catch: ioError(`reading the web app build in ${root} failed`)
  })

const serveFile = (request: HttpServerRequest.HttpServerRequest, file: BuiltFile) => {
  const ifNoneMatch = request.headers["if-none-match"] ?? ""
  if (ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === file.etag)) {
    return HttpServerResponse.empty({ status: 304, headers: file.headers })
  }
  const encoding = pickEncoding(request.headers["accept-encoding"], {
    br: file.br !== undefined,
    gzip: file.gzip !== undefined
  })
  const body = encoding === "br" ? file.br : encoding === "gzip" ? file.gzip : file.body
  return HttpServerResponse.uint8Array(body ?? file.body, {
    headers: encoding === undefined ? file.headers : { ...file.headers, "content-encoding": encoding }
  })
}

const exists = (path: string) =>
  Effect.promise(() =>
    stat(path).then(
      () => true,
      () => false
    )
  )

export interface BuiltOptions {
  /** Directory of the build (default `dist/app`). */
  readonly root?: string
  /** When there is no build: build it first (default), or fail telling to run `pnpm build`. */
  readonly buildIfMissing?: boolean
}

const makeBuilt = (options: BuiltOptions) =>
  Effect.gen(function* () {
    const root = options.root ?? WEB_OUT_DIR
    if (!(yield* exists(join(root, "index.html")))) {
      if (options.buildIfMissing === false) {
        return yield* new WebAppError({
          message: `the web app is not built (no ${root}/index.html): run \`pnpm build\``
        })
      }
      yield* Effect.logWarning(`no web app build in ${root}: building it now (\`pnpm build\` does this ahead of time)`)
      yield* buildWeb({ outDir: root, quiet: true }).pipe(
        Effect.mapError((error) => new WebAppError({ message: `${error.message}; run \`pnpm build\`` }))
      )
    }
    const files = yield* loadBuilt(root)
    const index = files.get("/index.html")
    if (index === undefined) return yield* new WebAppError({ message: `${root} has no index.html: run \`pnpm build\`` })
    return {
      mode: "built",
      front: [],
      fallback: (request) => {
        const path = pathOf(request.url)
        if (isApiPath(path)) return notFound
        let decoded: string
        try {
          decoded = decodeURIComponent(path)
        } catch {
          decoded = path
        }
        const file = files.get(decoded)
        if (file !== undefined) return Effect.succeed(serveFile(request, file))
        // A missing file (an old asset name): a 404, not index.html served as JavaScript.
        if (extname(decoded) !== "") return notFound
        return Effect.succeed(serveFile(request, index))
      }
    } satisfies WebAppShape
  })

// ---------------------------------------------------------------------------------------------------

export class WebApp extends Context.Service<WebApp, WebAppShape>()("launchpad/app/WebApp") {
  static readonly layerDev = Layer.effect(WebApp, makeDev)

  static readonly layerBuilt = (options: BuiltOptions = {}) => Layer.effect(WebApp, makeBuilt(options))

  /** The catch-all GET route, behind every API route. */
  static readonly routes = HttpRouter.use((router) =>
    Effect.gen(function* () {
      const web = yield* WebApp
      yield* router.add("GET", "/*", web.fallback)
    })
  )

  /** Prints where to open the app once the server listens (the port may have been 0). */
  static readonly announce = Layer.effectDiscard(
    Effect.gen(function* () {
      const web = yield* WebApp
      const { host } = yield* Settings
      const address = (yield* HttpServer.HttpServer).address
      if (address._tag === "UnixPathAddress") return
      const shown = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host
      const base = `http://${shown}:${address.port}`
      yield* Console.log(
        [
          "",
          `  Launchpad is running (${web.mode === "dev" ? "web app with hot reload" : "built web app"}):`,
          `    configurator    ${base}/`,
          `    dashboard       ${base}/dashboard`,
          `    API docs        ${base}/docs`,
          `    health          ${base}/health`,
          `    metrics         ${base}/metrics`,
          ""
        ].join("\n")
      )
    })
  )
}
