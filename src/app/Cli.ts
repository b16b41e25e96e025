/**
 * `pnpm launchpad <command>`: one command per role and task. Each role's command builds its layers
 * from `Roles.ts`; this file only parses arguments and picks the layer.
 */
import { Console, Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { settingsDoc } from "../domain/Settings.ts"
import { Roles } from "./Roles.ts"

const schemas = Command.make(
  "schemas",
  {
    out: Flag.String("out").pipe(
      Flag.withDescription("write one <event_type>.schema.json per event type into this directory"),
      Flag.optional
    )
  },
  Effect.fn("Cli.schemas")(function* ({ out }) {
    const { writeSchemas, printSchemas } = yield* Effect.promise(() => import("../domain/JsonSchemas.ts"))
    if (Option.isSome(out)) {
      const written = yield* writeSchemas(out.value)
      yield* Console.log(`wrote ${written} JSON Schemas to ${out.value}`)
    } else {
      yield* printSchemas
    }
  })
).pipe(Command.withDescription("Print (or write) the JSON Schema of every event type"))

const config = Command.make("config", {}, () =>
  Effect.forEach(settingsDoc, (s) => Console.log(`${s.env.padEnd(36)} ${s.default.padEnd(26)} ${s.description}`), {
    discard: true
  })
).pipe(Command.withDescription("List every environment variable with its default"))

const dev = Command.make("dev", {}, () => Layer.launch(Roles.dev)).pipe(
  Command.withDescription("Run every role in one process, with demo traffic (what `pnpm dev` runs)")
)

const start = Command.make("start", {}, () => Layer.launch(Roles.start)).pipe(
  Command.withDescription("Run every role in one process, production settings, no demo traffic")
)

export const cli = Command.make("launchpad").pipe(
  Command.withDescription("Launchpad: self-hosted, event-driven product analytics"),
  Command.withSubcommands([dev, start, schemas, config])
)
