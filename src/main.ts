/** Process entry point: `node src/main.ts <command>` (what `pnpm launchpad`, `pnpm dev` and `pnpm start` run). */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { Command } from "effect/cli"
import { cli } from "./app/Cli.ts"

cli.pipe(Command.run({ version: "0.1.0" }), Effect.provide(NodeServices.layer), NodeRuntime.runMain)
