/**
 * `pnpm launchpad <command>`: one command per role and task. Each role's command builds its layers
 * from `Roles.ts`; this file only parses arguments and picks the layer.
 */
import { Console, Context, Duration, Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { RejectReason } from "../domain/RejectReason.ts"
import { Settings, settingsDoc } from "../domain/Settings.ts"
import { Simulator } from "../sim/Simulator.ts"
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

const start = Command.make(
  "start",
  {
    demo: Flag.Boolean("demo").pipe(
      Flag.withDescription("also post demo traffic (LAUNCHPAD_DEMO_USERS_PER_MINUTE)"),
      Flag.withDefault(false)
    )
  },
  ({ demo }) => Layer.launch(Roles.start({ demo }))
).pipe(Command.withDescription("Run every role in one process, production settings, no demo traffic unless --demo"))

const sim = Command.make(
  "sim",
  {
    url: Flag.String("url").pipe(
      Flag.withDescription("base URL of the ingest API (default http://HOST:PORT)"),
      Flag.optional
    ),
    usersPerMinute: Flag.Int("users-per-minute").pipe(
      Flag.withDescription("simulated visitors arriving per minute"),
      Flag.withDefault(60)
    ),
    minutes: Flag.Int("minutes").pipe(
      Flag.withDescription("stop after this many minutes (default: run until interrupted)"),
      Flag.optional
    ),
    seed: Flag.Int("seed").pipe(Flag.withDescription("seed for repeatable journeys"), Flag.withDefault(1))
  },
  Effect.fn("Cli.sim")(function* ({ url, usersPerMinute, minutes, seed }) {
    const settings = yield* Settings
    const simulator = Simulator.layer({
      baseUrl: Option.getOrElse(url, () => `http://${settings.host}:${settings.port}`),
      usersPerMinute,
      seed
    })
    yield* Option.match(minutes, {
      onNone: () => Layer.launch(simulator),
      onSome: (m) =>
        Effect.scoped(
          Effect.gen(function* () {
            const context = yield* Layer.build(simulator)
            yield* Effect.sleep(Duration.minutes(m))
            const stats = yield* Context.get(context, Simulator).stats
            yield* Console.log(
              `simulated ${stats.users} users, ${stats.sent} events accepted, ${stats.rejected} rejected`
            )
          })
        )
    })
  }, Effect.provide(Settings.layer))
).pipe(Command.withDescription("Post simulated configurator traffic to an ingest API (what pnpm dev runs)"))

const build = Command.make("build", {}, () =>
  Effect.flatMap(
    Effect.promise(() => import("./WebBuild.ts")),
    (m) => Effect.flatMap(m.buildWeb(), (out) => Console.log(`built the web app and the SDK into ${out}`))
  )
).pipe(Command.withDescription("Build the web app and the SDK into dist/app (what `pnpm start` serves)"))

const broker = Command.make("broker", {}, () => Layer.launch(Roles.broker)).pipe(
  Command.withDescription(
    "Run only the embedded Kafka broker (BROKER_HOST:BROKER_PORT, data in LAUNCHPAD_DATA_DIR; /metrics on BROKER_METRICS_PORT)"
  )
)

const lakeCommands = Effect.promise(() => import("../lake/LakeCommands.ts"))

const lake = Command.make("lake").pipe(
  Command.withDescription("Lake maintenance (LAUNCHPAD_DATA_DIR/lake)"),
  Command.withSubcommands([
    Command.make("compact", {}, () => Effect.flatMap(lakeCommands, (m) => m.compact)).pipe(
      Command.withDescription(
        "Delete date partitions past LAUNCHPAD_LAKE_RETENTION_DAYS, repair crashed compactions, merge each closed partition's files into one"
      )
    ),
    Command.make("stats", {}, () => Effect.flatMap(lakeCommands, (m) => m.stats)).pipe(
      Command.withDescription("Files, rows, bytes and time range per lake partition (from Parquet footers)")
    )
  ])
)

const ingest = Command.make("ingest", {}, () => Layer.launch(Roles.ingest)).pipe(
  Command.withDescription("Run only the ingest HTTP API (HOST:PORT), against KAFKA_BROKERS or the embedded broker")
)

const stream = Command.make("stream", {}, () => Layer.launch(Roles.stream)).pipe(
  Command.withDescription(
    "Run only the stream processor (consumer group launchpad-stream): events_raw -> lake, checkpoints, kpi_minute"
  )
)

const serve = Command.make("serve", {}, () => Layer.launch(Roles.serve)).pipe(
  Command.withDescription(
    "Run only the warehouse: kpi_minute into LAUNCHPAD_DATA_DIR/warehouse.duckdb, KPI and live API on HOST:PORT"
  )
)

const modelCommands = Effect.promise(() => import("./ModelCommands.ts"))

const urlFlag = Flag.String("url").pipe(
  Flag.withDescription(
    "the warehouse API to run on (default http://HOST:PORT); the file is opened only when none answers"
  ),
  Flag.optional
)
const selectFlag = Flag.String("select").pipe(
  Flag.withDescription("models or layers, dbt syntax: fct_funnel, marts, +fct_funnel (ancestors), stg_events+"),
  Flag.optional
)

const models = Command.make("models").pipe(
  Command.withDescription("The SQL model DAG over the lake (src/models/sql): run, test, docs"),
  Command.withSubcommands([
    Command.make(
      "run",
      {
        url: urlFlag,
        select: selectFlag,
        fullRefresh: Flag.Boolean("full-refresh").pipe(
          Flag.withDescription("rebuild incremental models from scratch"),
          Flag.withDefault(false)
        )
      },
      (options) => Effect.flatMap(modelCommands, (m) => m.reportFailure(m.run(options)))
    ).pipe(Command.withDescription("Build the selected models (all by default); exits 1 when a model failed")),
    Command.make(
      "test",
      {
        url: urlFlag,
        select: selectFlag,
        failingRows: Flag.Int("failing-rows").pipe(
          Flag.withDescription("failing rows printed per test"),
          Flag.withDefault(10)
        )
      },
      (options) => Effect.flatMap(modelCommands, (m) => m.reportFailure(m.test(options)))
    ).pipe(
      Command.withDescription(
        "Run the data tests and source freshness checks; exits 1 on a failure, with the failing rows"
      )
    ),
    Command.make(
      "docs",
      {
        url: urlFlag,
        out: Flag.String("out").pipe(Flag.withDescription("write the manifest JSON to this file"), Flag.optional)
      },
      (options) => Effect.flatMap(modelCommands, (m) => m.reportFailure(m.docs(options)))
    ).pipe(Command.withDescription("The manifest of every model: SQL, columns, lineage, last run, rows, test results"))
  ])
)

const dlqCommands = Effect.promise(() => import("../ingest/DlqCommands.ts"))

const dlq = Command.make("dlq").pipe(
  Command.withDescription("Dead-letter topic tools (events_deadletter)"),
  Command.withSubcommands([
    Command.make(
      "replay",
      {
        reason: Flag.Literals("reason", RejectReason.literals).pipe(
          Flag.withDescription("only dead letters with this reason code"),
          Flag.optional
        ),
        since: Flag.Date("since").pipe(
          Flag.withDescription("only dead letters received at or after this ISO date-time"),
          Flag.optional
        )
      },
      (options) => Effect.flatMap(dlqCommands, (m) => m.replay(options))
    ).pipe(
      Command.withDescription(
        "Re-validate dead-lettered events and send those that now pass to events_raw, at most once each"
      )
    )
  ])
)

export const cli = Command.make("launchpad").pipe(
  Command.withDescription("Launchpad: self-hosted, event-driven product analytics"),
  Command.withSubcommands([dev, start, build, broker, ingest, stream, serve, models, sim, dlq, schemas, config, lake])
)
