/**
 * The composition root: which layers each runtime mode runs. Reading this file shows the whole
 * pipeline that exists so far.
 */
import { Effect, Layer } from "effect"
import { Settings } from "../domain/Settings.ts"

/** Announces what a mode started, so `pnpm dev` says what is running. */
const announce = (mode: string, parts: ReadonlyArray<string>) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const settings = yield* Settings
      yield* Effect.logInfo(`launchpad ${mode}: started ${parts.join(", ")}`).pipe(
        Effect.annotateLogs({ dataDir: settings.dataDir })
      )
    })
  )

const dev = announce("dev", ["settings"]).pipe(Layer.provide(Settings.layer))
const start = announce("start", ["settings"]).pipe(Layer.provide(Settings.layer))

export const Roles = { dev, start } as const
