import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Exit, Option, Redacted } from "effect"
import { Settings, settingsConfig, settingsDoc } from "../../src/domain/Settings.ts"

const load = (env: Record<string, string>) => settingsConfig.parse(ConfigProvider.fromEnv({ env }))

describe("Settings", () => {
  it.effect("defaults match the documented table", () =>
    Effect.gen(function* () {
      const s = yield* load({})
      assert.strictEqual(s.port, 8000)
      assert.strictEqual(s.brokerPort, 9092)
      assert.strictEqual(s.dataDir, "./data")
      assert.strictEqual(s.partitions, 3)
      assert.isTrue(Option.isNone(s.kafkaBrokers))
      assert.isTrue(Settings.usesEmbeddedBroker(s))
      assert.strictEqual(Duration.toMillis(s.watermarkDelay), 600_000)
      assert.strictEqual(Duration.toMillis(s.sessionGap), 1_800_000)
      assert.deepStrictEqual(s.writeKeys, [])
    })
  )

  it.effect("parses lists, secrets and durations", () =>
    Effect.gen(function* () {
      const s = yield* load({
        KAFKA_BROKERS: "kafka-1:9092,kafka-2:9093",
        LAUNCHPAD_WRITE_KEYS: "web:s3cret,ios:other",
        LAUNCHPAD_TRIGGER_MS: "250"
      })
      assert.deepStrictEqual(Option.getOrThrow(s.kafkaBrokers), ["kafka-1:9092", "kafka-2:9093"])
      assert.isFalse(Settings.usesEmbeddedBroker(s))
      assert.deepStrictEqual(
        s.writeKeys.map((k) => [k.id, Redacted.value(k.secret)]),
        [
          ["web", "s3cret"],
          ["ios", "other"]
        ]
      )
      assert.notInclude(String(s.writeKeys[0]?.secret), "s3cret")
      assert.strictEqual(Duration.toMillis(s.triggerInterval), 250)
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
    ["LAUNCHPAD_AUTO_CREATE_TOPICS", "maybe", "LAUNCHPAD_AUTO_CREATE_TOPICS"]
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
