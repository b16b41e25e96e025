/** Process entry point: `node src/main.ts <command>` (what `pnpm launchpad`, `pnpm dev` and `pnpm start` run). */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { ConfigProvider, Effect, References } from "effect"
import { Command } from "effect/cli"
import { cli } from "./app/Cli.ts"
import { VERSION } from "./app/Version.ts"
import { loadLogLevel } from "./domain/Settings.ts"

const program = cli.pipe(Command.run({ version: VERSION }))

// LOG_LEVEL sets the floor for every role; the CLI's own --log-level flag, when given, wins. A variable
// set to an empty string is a value, not "unset": `LAUNCHPAD_WRITE_KEYS=` must stop the process rather
// than turn auth off, so blank values reach the settings' checks.
Effect.gen(function* () {
  const level = yield* loadLogLevel
  return yield* program.pipe(Effect.provideService(References.MinimumLogLevel, level))
}).pipe(
  Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ preserveEmptyStrings: true }))),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
