/**
 * An upgrade in place: `launchpad start` of this version on a data directory written by the release
 * before the KPI measures had one definition (commit cffc9a3: checkpoint snapshots in format 1,
 * warehouse tables created without recorded migrations). The fixture `fixtures/previous-format.tar.gz`
 * holds that data directory as the older `launchpad start` left it after 40 events were posted (they
 * are in its `events.json`: 8 users, one event every 30 s over 20 minutes), so the last 10 minutes'
 * windows and every session were still open in its checkpoints.
 *
 * After the upgrade one new event per partition moves the watermark past all of them: the restored
 * (migrated) state must close them with the right numbers, and the migrated warehouse must hold them.
 * One per partition, because a session that W closes in a partition without records waits for the
 * partition's next batch of records, whose offset range names its file (MicroBatch.ts).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Partitioners } from "kafkajs"
import { DuckDbClient } from "../../src/sql/DuckDbClient.ts"
import { freePort, waitFor } from "./fixtures.ts"

const dir = mkdtempSync(join(tmpdir(), "launchpad-upgrade-"))
const dataDir = join(dir, "data")
execFileSync("tar", ["xzf", new URL("./fixtures/previous-format.tar.gz", import.meta.url).pathname, "-C", dir])

interface FixtureEvent {
  readonly user_id: string
  readonly occurred_at: string
}
const events: ReadonlyArray<FixtureEvent> = JSON.parse(readFileSync(join(dir, "events.json"), "utf8"))

let child: ChildProcess | undefined
afterAll(() => {
  child?.kill("SIGKILL")
  rmSync(dir, { recursive: true, force: true })
})

/** The fixture's events_raw has 3 partitions: a user id for each, as the producer's murmur2 partitioner places keys. */
const userPerPartition = (): ReadonlyArray<string> => {
  const partitioner = Partitioners.DefaultPartitioner()
  const partitionMetadata = [0, 1, 2].map((partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0]
  }))
  const users = new Map<number, string>()
  for (let i = 0; users.size < partitionMetadata.length; i++) {
    const user = `user-after-upgrade-${i}`
    const partition = partitioner({ topic: "events_raw", partitionMetadata, message: { key: user, value: null } })
    if (!users.has(partition)) users.set(partition, user)
  }
  return [...users.values()]
}

const minuteOf = (iso: string) => Math.floor(Date.parse(iso) / 60_000) * 60_000

/** Per minute of the fixture's events, worked out from events.json: [events, distinct users]. */
const expectedMinutes = (): Map<number, readonly [number, number]> => {
  const byMinute = new Map<number, Array<string>>()
  for (const event of events) {
    const minute = minuteOf(event.occurred_at)
    byMinute.set(minute, [...(byMinute.get(minute) ?? []), event.user_id])
  }
  return new Map([...byMinute].map(([minute, users]) => [minute, [users.length, new Set(users).size] as const]))
}

const query = <A extends object>(sql: string) =>
  Effect.runPromise(
    Effect.flatMap(SqlClient.SqlClient, (client) => client.unsafe<A>(sql)).pipe(
      Effect.provide(Layer.fresh(DuckDbClient.layer({ filename: join(dataDir, "warehouse.duckdb") })))
    )
  )

describe("upgrade from the previous format", () => {
  it("restores format-1 checkpoints, migrates the warehouse, and closes the old windows and sessions right", async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    child = spawn(process.execPath, ["src/main.ts", "start"], {
      env: {
        ...process.env,
        PORT: String(port),
        BROKER_PORT: "0",
        LAUNCHPAD_DATA_DIR: dataDir,
        LAUNCHPAD_TRIGGER_MS: "200",
        // New events at now close every fixture minute (W = now − 1 s) and, the fixture being more than
        // the 30 min session gap old, every fixture session.
        LAUNCHPAD_WATERMARK_DELAY_MS: "1000",
        // The fixture's data must outlive the retention passes that run at start, however old it is.
        LAUNCHPAD_KPI_RETENTION_DAYS: "36500",
        LAUNCHPAD_BROKER_RETENTION_HOURS: "876000"
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString()
    })
    await waitFor("readiness", async () => ((await fetch(`${base}/health/ready`)).ok ? true : undefined))

    const now = new Date().toISOString()
    for (const user of userPerPartition()) {
      const posted = await fetch(`${base}/api/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          event_id: randomUUID(),
          event_type: "page_view",
          schema_version: 1,
          user_id: user,
          session_id: "s",
          occurred_at: now,
          context: { device_type: "desktop" },
          properties: {}
        })
      })
      assert.strictEqual(posted.status, 200)
    }

    const lastFixtureMinute = Math.max(...[...expectedMinutes().keys()])
    await waitFor("the fixture's minutes to be closed in the warehouse and its sessions in the lake", async () => {
      const sessionFiles = execFileSync("find", [join(dataDir, "lake"), "-path", "*sessions*", "-name", "*.parquet"])
      if (String(sessionFiles).trim() === "") return undefined
      const latest = (await (await fetch(`${base}/api/v1/kpis/latest`)).json()) as {
        freshness: { latest_closed_minute: string | null }
      }
      const closed = latest.freshness.latest_closed_minute
      return closed !== null && Date.parse(closed) >= lastFixtureMinute ? true : undefined
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${output.slice(-3000)}`)
    })
    const exited = new Promise((resolve) => child?.once("exit", resolve))
    child.kill("SIGTERM")
    await exited
    child = undefined

    const migrations = await query<{ name: string }>("SELECT name FROM _launchpad_migrations ORDER BY name")
    assert.deepStrictEqual(
      migrations.map((m) => m.name),
      ["0001_kpi_tables"]
    )
    // configurator_shares was defined after the fixture's release: added at start, empty on the old rows.
    const rows = await query<{
      minute_ms: number
      events: number
      distinct_users: number
      configurator_shares: number
      closed: boolean
    }>(
      "SELECT epoch_ms(minute)::DOUBLE AS minute_ms, events, distinct_users, configurator_shares, closed FROM kpi_minute"
    )
    const stored = new Map(
      rows.map((r) => [r.minute_ms, [r.events, r.distinct_users, r.configurator_shares, r.closed] as const])
    )
    for (const [minute, [count, users]] of expectedMinutes()) {
      assert.deepStrictEqual(stored.get(minute), [count, users, 0, true], new Date(minute).toISOString())
    }
    // Every fixture user's one session (events 4 minutes apart, never 30) closed with all 5 of its events.
    const sessions = await query<{ user_id: string; event_count: number }>(
      `SELECT user_id, event_count FROM read_parquet('${join(dataDir, "lake/sessions")}/**/*.parquet') ORDER BY user_id`
    )
    assert.deepStrictEqual(
      sessions.map((s) => [s.user_id, s.event_count]),
      Array.from({ length: 8 }, (_, i) => [`user-${i}`, 5])
    )
  }, 90_000)
})
