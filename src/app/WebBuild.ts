/**
 * `launchpad build` (`pnpm build`): the web app (`src/ui`) into `dist/app` and the SDK into
 * `dist/app/sdk/launchpad.js`, through `vite.config.ts`, with `.br` and `.gz` next to each text file.
 * Vite is a development dependency and is loaded only here.
 */
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Schema } from "effect"

/** Where `launchpad start` serves the app from. */
export const WEB_OUT_DIR = fileURLToPath(new URL("../../dist/app", import.meta.url))
/** The Vite config of the app and the SDK (dev server and builds). */
export const VITE_CONFIG = fileURLToPath(new URL("../../vite.config.ts", import.meta.url))

export class WebBuildError extends Schema.TaggedError<WebBuildError>()("WebBuildError", {
  message: Schema.String
}) {}

const failure = (what: string) => (cause: unknown) =>
  new WebBuildError({ message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}` })

/** Builds the app and the SDK into `outDir` (replacing what was there); `quiet` keeps Vite to warnings. */
export const buildWeb = Effect.fn("WebBuild.build")(function* (
  options: { readonly outDir?: string; readonly quiet?: boolean } = {}
) {
  const outDir = options.outDir ?? WEB_OUT_DIR
  const logLevel = options.quiet === true ? "warn" : "info"
  const vite = yield* Effect.tryPromise({
    try: () => import("vite"),
    catch: failure("vite is not installed (a development dependency): run `pnpm install`, then `pnpm build`")
  })
  yield* Effect.tryPromise({
    try: () => vite.build({ configFile: VITE_CONFIG, mode: "production", logLevel, build: { outDir } }),
    catch: failure("building the web app failed")
  })
  yield* Effect.tryPromise({
    try: () => vite.build({ configFile: VITE_CONFIG, mode: "sdk", logLevel, build: { outDir: join(outDir, "sdk") } }),
    catch: failure("building the SDK failed")
  })
  return outDir
})
