import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Exit, Option, Redacted } from "effect"
import { loadSettings, Settings, settingsDoc } from "../../src/domain/Settings.ts"

/** As the process reads them (src/main.ts): a variable set to "" is a value, not unset. */
const load = (env: Record<string, string>) =>
  loadSettings.pipe(
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env, preserveEmptyStrings: true }))
  )

describe("Settings", () => {
  it.effect("an unset variable reads as its documented default: the same as setting it to that text", () =>
    Effect.gen(function* () {
      const unset = yield* load({})
      for (const doc of settingsDoc) {
        if (doc.default.startsWith("(")) continue
        assert.deepStrictEqual(yield* load({ [doc.env]: doc.default }), unset, doc.env)
      }
      // And a default is really used: another value changes the settings.
      assert.notDeepEqual(yield* load({ PORT: "8001" }), unset)
      assert.isTrue(Option.isNone(unset.kafkaBrokers))
      assert.isTrue(Settings.usesEmbeddedBroker(unset))
      assert.deepStrictEqual(unset.writeKeys, [])
    })
  )

  it.effect("parses lists, secrets and durations", () =>
    Effect.gen(function* () {
      const s = yield* load({
        KAFKA_BROKERS: "kafka-1:9092,kafka-2:9093",
        LAUNCHPAD_WRITE_KEYS: "web:s3cret-0123456789, ios:other-0123456789",
        LAUNCHPAD_TRIGGER_MS: "250",
        LAUNCHPAD_WAREHOUSE_MEMORY_LIMIT: "4GB"
      })
      assert.deepStrictEqual(Option.getOrThrow(s.kafkaBrokers), ["kafka-1:9092", "kafka-2:9093"])
      assert.isFalse(Settings.usesEmbeddedBroker(s))
      assert.deepStrictEqual(
        s.writeKeys.map((k) => [k.id, Redacted.value(k.secret)]),
        [
          ["web", "s3cret-0123456789"],
          ["ios", "other-0123456789"]
        ]
      )
      assert.notInclude(String(s.writeKeys[0]?.secret), "s3cret")
      assert.isTrue(Option.isNone(s.ipSalt))
      assert.deepStrictEqual(s.corsOrigins, ["*"])
      assert.deepStrictEqual(s.readCorsOrigins, [])
      assert.strictEqual(Duration.toMillis(s.triggerInterval), 250)
      assert.deepStrictEqual(s.warehouseMemoryLimit, Option.some("4GB"))
      assert.isTrue(Option.isNone((yield* load({})).warehouseMemoryLimit))
    })
  )

  const bad: ReadonlyArray<readonly [string, string, string]> = [
    ["PORT", "abc", "finite number"],
    ["PORT", "70000", "PORT"],
    ["BROKER_PORT", "-1", "port 0-65535"],
    ["LAUNCHPAD_PARTITIONS", "0", "positive integer"],
    ["LAUNCHPAD_TRIGGER_MS", "1.5", "LAUNCHPAD_TRIGGER_MS"],
    ["KAFKA_BROKERS", "no-port-here", "host:port"],
    ["LAUNCHPAD_WRITE_KEYS", "missing-secret", "id:secret"],
    // Set means auth on: blank values and half-filled templates stop the process instead of turning auth off.
    ["LAUNCHPAD_WRITE_KEYS", "", "set but blank"],
    ["LAUNCHPAD_WRITE_KEYS", "  ", "set but blank"],
    ["LAUNCHPAD_WRITE_KEYS", "web:", "secret is empty"],
    ["LAUNCHPAD_WRITE_KEYS", "web:short", "shorter than 16"],
    ["LAUNCHPAD_WRITE_KEYS", "web:0123456789abcdef,", "entry 2"],
    ["LAUNCHPAD_WRITE_KEYS", "web:0123456789abcdef,web:fedcba9876543210", "given twice"],
    ["LAUNCHPAD_CORS_ORIGINS", "", "scheme, host"],
    ["LAUNCHPAD_CORS_ORIGINS", "https://shop.example/", "no path"],
    ["LAUNCHPAD_READ_CORS_ORIGINS", "shop.example", "scheme, host"],
    ["LAUNCHPAD_IP_SALT", "", "at least 16"],
    ["LAUNCHPAD_IP_SALT", "salty", "at least 16"],
    ["HOST", "", "HOST"],
    ["LAUNCHPAD_DATA_DIR", "", "LAUNCHPAD_DATA_DIR"],
    ["LAUNCHPAD_AUTO_CREATE_TOPICS", "maybe", "LAUNCHPAD_AUTO_CREATE_TOPICS"],
    ["LAUNCHPAD_WAREHOUSE_MEMORY_LIMIT", "lots", "like 512MB"],
    ["LAUNCHPAD_WAREHOUSE_MEMORY_LIMIT", "", "LAUNCHPAD_WAREHOUSE_MEMORY_LIMIT"]
  ]
  for (const [name, value, expected] of bad) {
    it.effect(`rejects ${name}=${value} naming the variable and the form`, () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(load({ [name]: value }))
        assert.isTrue(Exit.isFailure(exit))
        const message = String(Exit.isFailure(exit) ? exit.cause : "")
        assert.include(message, name)
        assert.include(message, expected)
      })
    )
  }

  it("README's configuration table lists every setting with its default", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8")
    for (const doc of settingsDoc) {
      assert.include(readme, `| \`${doc.env}\` | ${doc.default} |`, `README is missing ${doc.env}`)
    }
  })
})

describe("the process", () => {
  it("stops at start, naming the variable, when LAUNCHPAD_WRITE_KEYS is set but blank", () => {
    const run = spawnSync(process.execPath, ["src/main.ts", "ingest"], {
      env: { ...process.env, LAUNCHPAD_WRITE_KEYS: "" },
      encoding: "utf8",
      timeout: 30_000
    })
    assert.notStrictEqual(run.status, 0)
    assert.include(run.stdout + run.stderr, "LAUNCHPAD_WRITE_KEYS")
    assert.include(run.stdout + run.stderr, "set but blank")
  })
})
