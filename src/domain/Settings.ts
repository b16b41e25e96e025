/**
 * Every setting Launchpad reads, in one `Config`-based service. `settingsDoc` is the one table of
 * variables, defaults and meanings: `pnpm launchpad config` prints it, the README's configuration
 * table is checked against it, and the defaults are read from it (`loadSettings`), so none of the
 * three can drift.
 */

import { Config, ConfigProvider, Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"

/** A setting described for humans: the README table and `launchpad config` print these. */
export interface SettingDoc {
  readonly env: string
  readonly default: string
  readonly description: string
}

export const settingsDoc: ReadonlyArray<SettingDoc> = [
  { env: "PORT", default: "8000", description: "HTTP API and built UI port" },
  { env: "HOST", default: "127.0.0.1", description: "address the HTTP API binds to" },
  { env: "BROKER_PORT", default: "9092", description: "embedded Kafka broker port (0 = ephemeral)" },
  { env: "BROKER_HOST", default: "127.0.0.1", description: "address the embedded broker binds to and advertises" },
  {
    env: "BROKER_METRICS_PORT",
    default: "9308",
    description: "`launchpad broker` alone: /metrics and /health/live on BROKER_HOST (0 = ephemeral)"
  },
  {
    env: "KAFKA_BROKERS",
    default: "(unset: embedded broker)",
    description: "comma-separated host:port list of a real Kafka cluster; unset starts the embedded broker"
  },
  { env: "KAFKA_CLIENT_ID", default: "launchpad", description: "client id sent to Kafka" },
  {
    env: "LAUNCHPAD_DATA_DIR",
    default: "./data",
    description: "root of broker/, lake/, checkpoints/, warehouse.duckdb"
  },
  { env: "LAUNCHPAD_PARTITIONS", default: "3", description: "partitions of events_raw when it is created" },
  { env: "LAUNCHPAD_BROKER_RETENTION_HOURS", default: "168", description: "embedded broker: delete segments older" },
  {
    env: "LAUNCHPAD_BROKER_RETENTION_BYTES",
    default: "-1",
    description: "embedded broker: max bytes per partition (-1 = unlimited)"
  },
  { env: "LAUNCHPAD_BROKER_SEGMENT_BYTES", default: "67108864", description: "embedded broker: segment roll size" },
  {
    env: "LAUNCHPAD_BROKER_MAX_REQUEST_BYTES",
    default: "104857600",
    description: "embedded broker: max request frame"
  },
  { env: "LAUNCHPAD_AUTO_CREATE_TOPICS", default: "true", description: "embedded broker: create topics on Metadata" },
  {
    env: "LAUNCHPAD_GROUP_INITIAL_DELAY_MS",
    default: "0",
    description: "embedded broker: wait this long for more members before a new group's first rebalance"
  },
  { env: "LAUNCHPAD_MAX_BATCH_EVENTS", default: "500", description: "ingest: max events per batch request" },
  { env: "LAUNCHPAD_MAX_BODY_BYTES", default: "1048576", description: "ingest: max request body (decompressed)" },
  {
    env: "LAUNCHPAD_MAX_EVENT_BYTES",
    default: "32768",
    description: "ingest: max size of one enriched event; dead letters keep raw input up to this size"
  },
  {
    env: "LAUNCHPAD_WRITE_KEYS",
    default: "(unset: no auth)",
    description:
      "ingest: comma-separated id:secret write keys (secrets 16+ characters); when set every event request needs one"
  },
  {
    env: "LAUNCHPAD_CORS_ORIGINS",
    default: "*",
    description: "ingest endpoints (POST /api/v1/events, /batch): comma-separated origins allowed cross-origin"
  },
  {
    env: "LAUNCHPAD_READ_CORS_ORIGINS",
    default: "(unset: same origin only)",
    description:
      "every other endpoint (KPIs, reports, live, schemas, metrics): comma-separated origins allowed to read cross-origin"
  },
  {
    env: "LAUNCHPAD_API_TOKEN",
    default: "(unset: no token)",
    description:
      "read and run endpoints (KPIs, live, reports, exports, models, schemas) need Authorization: Bearer <token> (16+ characters)"
  },
  {
    env: "LAUNCHPAD_IP_SALT",
    default: "(unset: drop IPs)",
    description: "ingest: salt (16+ characters) to keep a hashed client IP"
  },
  { env: "LAUNCHPAD_MAX_IN_FLIGHT", default: "64", description: "ingest: produce requests in flight before 503" },
  {
    env: "LAUNCHPAD_MAX_BUFFERED_BYTES",
    default: "67108864",
    description: "ingest: request bodies being received, all connections together, before 503 (64 MiB)"
  },
  {
    env: "LAUNCHPAD_MIN_BODY_BYTES_PER_S",
    default: "1024",
    description: "ingest: a body receiving less than this on average over any 5 s gets 408 and is closed"
  },
  {
    env: "LAUNCHPAD_HEADERS_TIMEOUT_MS",
    default: "10000",
    description: "HTTP: request line and headers must arrive within this (408)"
  },
  {
    env: "LAUNCHPAD_REQUEST_TIMEOUT_MS",
    default: "30000",
    description: "HTTP: a whole request, body included, must arrive within this (408)"
  },
  {
    env: "LAUNCHPAD_KEEPALIVE_TIMEOUT_MS",
    default: "5000",
    description: "HTTP: idle keep-alive connections close after this"
  },
  { env: "LAUNCHPAD_MAX_CONNECTIONS", default: "1024", description: "HTTP: open connections; more are dropped" },
  {
    env: "LAUNCHPAD_PRODUCER_BUFFER_RECORDS",
    default: "10000",
    description: "producer: records accepted but not yet acknowledged before publish fails (503)"
  },
  {
    env: "LAUNCHPAD_CONSUMER_SESSION_TIMEOUT_MS",
    default: "10000",
    description: "consumer groups: a member that stops heartbeating (a crashed process) loses its partitions after this"
  },
  { env: "LAUNCHPAD_TRIGGER_MS", default: "1000", description: "stream: micro-batch trigger interval" },
  { env: "LAUNCHPAD_TRIGGER_EVENTS", default: "50000", description: "stream: micro-batch trigger size" },
  {
    env: "LAUNCHPAD_LAKE_INTERVAL_MS",
    default: "1000",
    description:
      "stream: lake files and checkpoint commit at most this often (micro-batches in between only plan and publish live KPIs)"
  },
  {
    env: "LAUNCHPAD_CHECKPOINT_SNAPSHOT_BYTES",
    default: "67108864",
    description: "stream: a partition's changelog grows to this (or its snapshot's size) before a new snapshot"
  },
  { env: "LAUNCHPAD_WATERMARK_DELAY_MS", default: "600000", description: "stream: watermark delay (10 min)" },
  { env: "LAUNCHPAD_LAKE_RETENTION_DAYS", default: "365", description: "lake: delete partitions older" },
  {
    env: "LAUNCHPAD_LAKE_MAINTENANCE_INTERVAL_S",
    default: "600",
    description: "stream: retention, then compaction of closed partitions, this often (0 = only `lake compact`)"
  },
  { env: "LAUNCHPAD_KPI_RETENTION_DAYS", default: "7", description: "warehouse: keep kpi_minute rows" },
  {
    env: "LAUNCHPAD_MODELS_INTERVAL_S",
    default: "60",
    description: "warehouse: an incremental model run at start and this often (runs never overlap; 0 = only on demand)"
  },
  {
    env: "LAUNCHPAD_WAREHOUSE_MEMORY_LIMIT",
    default: "(unset: DuckDB's 80 % of RAM)",
    description: "warehouse: DuckDB's memory limit, e.g. 4GB (larger work spills to warehouse.duckdb.tmp)"
  },
  { env: "LAUNCHPAD_DEMO_USERS_PER_MINUTE", default: "60", description: "dev: simulated visitors per minute" },
  { env: "LOG_LEVEL", default: "Info", description: "minimum log level (Trace … Fatal)" }
]

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0, { message: "expected a positive integer" }))

const positiveInt = (name: string) => Config.schema(PositiveInt, name)

const nonNegativeInt = (name: string) =>
  Config.schema(
    Schema.Int.check(Schema.isGreaterThanOrEqualTo(0, { message: "expected a non-negative integer" })),
    name
  )

const durationMs = (name: string) => positiveInt(name).pipe(Config.map(Duration.millis))

/** A DuckDB memory size: a number and a unit, as `SET memory_limit` takes it. */
const MemorySize = Schema.String.check(
  Schema.isPattern(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/, { message: "expected a size like 512MB or 4GB" })
)

/** `host:port`, validated so that a typo fails at start, not at first connect. */
const HostPort = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, { message: "expected host:port" })
)

/** `*`, or origins as browsers send them (scheme, host, optional port; no path), comma-separated. */
const CORS_ORIGIN = /^(\*|[a-z][a-z0-9+.-]*:\/\/[^/\s,]+)$/

const corsOrigins = (name: string) =>
  Config.schema(
    Schema.String.check(
      Schema.makeFilter(
        (text: string) =>
          text.split(",").every((origin) => CORS_ORIGIN.test(origin.trim())) ||
          "expected * or origins like https://shop.example, comma-separated (scheme, host, optional port; no path)"
      )
    ),
    name
  ).pipe(Config.map((text): ReadonlyArray<string> => text.split(",").map((origin) => origin.trim())))

/** A salt long enough not to be guessed (it protects hashed client IPs). */
const Secret = Schema.String.check(
  Schema.isMinLength(16, { message: "expected at least 16 characters" }),
  Schema.isPattern(/^\S+$/, { message: "expected no whitespace" })
)

/** Write-key secrets shorter than this are refused at start: they would be guessable. */
export const MIN_WRITE_KEY_SECRET_LENGTH = 16

export interface WriteKeyEntry {
  readonly id: string
  readonly secret: Redacted.Redacted<string>
}

/**
 * What is wrong with a LAUNCHPAD_WRITE_KEYS value, if anything. Set means auth is on, so a blank value,
 * an empty entry or an empty or short secret (what a half-filled template leaves) stops the process
 * instead of silently accepting everyone; "no auth" is the variable being unset.
 */
export const writeKeysProblem = (text: string): string | undefined => {
  if (text.trim() === "") {
    return "is set but blank; give id:secret pairs separated by commas, or unset it to run without write keys"
  }
  const ids = new Set<string>()
  for (const [index, entry] of text.split(",").entries()) {
    const pair = entry.trim()
    const colon = pair.indexOf(":")
    const id = colon === -1 ? pair : pair.slice(0, colon)
    const secret = colon === -1 ? "" : pair.slice(colon + 1)
    const which = `entry ${index + 1}${id === "" ? "" : ` (${id})`}`
    if (colon === -1 || !/^[^:,\s]+$/.test(id)) return `${which}: expected id:secret with a non-empty id`
    if (secret === "") return `${which}: the secret is empty`
    if (/\s/.test(secret)) return `${which}: the secret contains whitespace`
    if (secret.length < MIN_WRITE_KEY_SECRET_LENGTH) {
      return `${which}: the secret is shorter than ${MIN_WRITE_KEY_SECRET_LENGTH} characters`
    }
    if (ids.has(id)) return `${which}: the id is given twice`
    ids.add(id)
  }
  return undefined
}

const WriteKeysText = Schema.String.check(Schema.makeFilter((text: string) => writeKeysProblem(text) ?? true))

const writeKeys = Config.schema(WriteKeysText, "LAUNCHPAD_WRITE_KEYS").pipe(
  Config.map(
    (text): ReadonlyArray<WriteKeyEntry> =>
      text.split(",").map((entry) => {
        const pair = entry.trim()
        const colon = pair.indexOf(":")
        return { id: pair.slice(0, colon), secret: Redacted.make(pair.slice(colon + 1)) }
      })
  ),
  Config.withDefault<ReadonlyArray<WriteKeyEntry>>([])
)

const logLevelConfig = Config.LogLevel("LOG_LEVEL")

export const settingsConfig = Config.all({
  port: Config.Port("PORT"),
  host: Config.NonEmptyString("HOST"),
  brokerPort: Config.schema(
    Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }, { message: "expected a port 0-65535" })),
    "BROKER_PORT"
  ),
  brokerHost: Config.NonEmptyString("BROKER_HOST"),
  brokerMetricsPort: Config.schema(
    Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }, { message: "expected a port 0-65535" })),
    "BROKER_METRICS_PORT"
  ),
  kafkaBrokers: Config.Array(HostPort, "KAFKA_BROKERS").pipe(Config.option),
  kafkaClientId: Config.NonEmptyString("KAFKA_CLIENT_ID"),
  dataDir: Config.NonEmptyString("LAUNCHPAD_DATA_DIR"),
  partitions: positiveInt("LAUNCHPAD_PARTITIONS"),
  brokerRetentionMs: positiveInt("LAUNCHPAD_BROKER_RETENTION_HOURS").pipe(Config.map((h) => h * 3_600_000)),
  brokerRetentionBytes: Config.Int("LAUNCHPAD_BROKER_RETENTION_BYTES"),
  brokerSegmentBytes: positiveInt("LAUNCHPAD_BROKER_SEGMENT_BYTES"),
  brokerMaxRequestBytes: positiveInt("LAUNCHPAD_BROKER_MAX_REQUEST_BYTES"),
  autoCreateTopics: Config.Boolean("LAUNCHPAD_AUTO_CREATE_TOPICS"),
  groupInitialDelayMs: nonNegativeInt("LAUNCHPAD_GROUP_INITIAL_DELAY_MS"),
  maxBatchEvents: positiveInt("LAUNCHPAD_MAX_BATCH_EVENTS"),
  maxBodyBytes: positiveInt("LAUNCHPAD_MAX_BODY_BYTES"),
  maxEventBytes: positiveInt("LAUNCHPAD_MAX_EVENT_BYTES"),
  writeKeys,
  corsOrigins: corsOrigins("LAUNCHPAD_CORS_ORIGINS"),
  // Unset means an empty list: same origin only.
  readCorsOrigins: corsOrigins("LAUNCHPAD_READ_CORS_ORIGINS").pipe(Config.withDefault<ReadonlyArray<string>>([])),
  apiToken: Config.schema(Secret, "LAUNCHPAD_API_TOKEN").pipe(Config.map(Redacted.make), Config.option),
  ipSalt: Config.schema(Secret, "LAUNCHPAD_IP_SALT").pipe(Config.map(Redacted.make), Config.option),
  maxInFlight: positiveInt("LAUNCHPAD_MAX_IN_FLIGHT"),
  maxBufferedBytes: positiveInt("LAUNCHPAD_MAX_BUFFERED_BYTES"),
  minBodyBytesPerSecond: positiveInt("LAUNCHPAD_MIN_BODY_BYTES_PER_S"),
  headersTimeoutMs: positiveInt("LAUNCHPAD_HEADERS_TIMEOUT_MS"),
  requestTimeoutMs: positiveInt("LAUNCHPAD_REQUEST_TIMEOUT_MS"),
  keepAliveTimeoutMs: positiveInt("LAUNCHPAD_KEEPALIVE_TIMEOUT_MS"),
  maxConnections: positiveInt("LAUNCHPAD_MAX_CONNECTIONS"),
  producerBufferRecords: positiveInt("LAUNCHPAD_PRODUCER_BUFFER_RECORDS"),
  consumerSessionTimeoutMs: positiveInt("LAUNCHPAD_CONSUMER_SESSION_TIMEOUT_MS"),
  triggerInterval: durationMs("LAUNCHPAD_TRIGGER_MS"),
  triggerEvents: positiveInt("LAUNCHPAD_TRIGGER_EVENTS"),
  lakeInterval: durationMs("LAUNCHPAD_LAKE_INTERVAL_MS"),
  checkpointSnapshotBytes: positiveInt("LAUNCHPAD_CHECKPOINT_SNAPSHOT_BYTES"),
  watermarkDelay: durationMs("LAUNCHPAD_WATERMARK_DELAY_MS"),
  lakeRetentionDays: positiveInt("LAUNCHPAD_LAKE_RETENTION_DAYS"),
  lakeMaintenanceInterval: nonNegativeInt("LAUNCHPAD_LAKE_MAINTENANCE_INTERVAL_S").pipe(Config.map(Duration.seconds)),
  kpiRetentionDays: positiveInt("LAUNCHPAD_KPI_RETENTION_DAYS"),
  modelsInterval: nonNegativeInt("LAUNCHPAD_MODELS_INTERVAL_S").pipe(Config.map(Duration.seconds)),
  warehouseMemoryLimit: Config.schema(MemorySize, "LAUNCHPAD_WAREHOUSE_MEMORY_LIMIT").pipe(Config.option),
  demoUsersPerMinute: positiveInt("LAUNCHPAD_DEMO_USERS_PER_MINUTE"),
  logLevel: logLevelConfig
})

export type SettingsShape = Config.Success<typeof settingsConfig>

/**
 * The defaults, as text: what an unset variable reads as. They are the `default` column of
 * `settingsDoc` (the README's table), parsed by the same `Config` as a value given in the environment,
 * so the documented default and the effective one cannot differ. Variables documented as "(unset: …)"
 * have none: their `Config` says what unset means.
 */
const documentedDefaults = ConfigProvider.fromEnvRecord(
  Object.fromEntries(settingsDoc.filter((doc) => !doc.default.startsWith("(")).map((doc) => [doc.env, doc.default]))
)

/** `provider`, falling back to the documented defaults. */
export const withDocumentedDefaults = (provider: ConfigProvider.ConfigProvider): ConfigProvider.ConfigProvider =>
  ConfigProvider.orElse(provider, documentedDefaults)

const parseWithDefaults = <A>(config: Config.Config<A>): Effect.Effect<A, Config.ConfigError> =>
  Effect.gen(function* () {
    const provider = yield* ConfigProvider.ConfigProvider
    return yield* config.parse(withDocumentedDefaults(provider))
  })

/** Every setting, from the current `ConfigProvider` (the environment) and the documented defaults. */
export const loadSettings = parseWithDefaults(settingsConfig)

/** `LOG_LEVEL` alone: the entry point reads it before any role's settings, so it applies to their loading too. */
export const loadLogLevel = parseWithDefaults(logLevelConfig)

/** The settings service. `layer` reads the environment; `layerWith` is for tests and embedding. */
export class Settings extends Context.Service<Settings, SettingsShape>()("launchpad/domain/Settings") {
  static readonly layer = Layer.effect(Settings, loadSettings)

  static readonly layerWith = (overrides: Partial<SettingsShape>) =>
    Layer.effect(
      Settings,
      Effect.map(loadSettings, (base) => ({ ...base, ...overrides }))
    )

  /** The embedded broker runs only when no cluster is configured. */
  static readonly usesEmbeddedBroker = (settings: SettingsShape): boolean => Option.isNone(settings.kafkaBrokers)
}
