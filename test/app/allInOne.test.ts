/**
 * The composition root as users run it: `launchpad start` (and `launchpad stream`, `launchpad broker` alone) in a child
 * process on free ports and a temporary data dir. Events posted to ingest must come out of the
 * warehouse's KPI API, the stream role must show its metrics, and processes must stop cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { TopicNames } from "../../src/kafka/Topics.ts"
import { journey, makeRandom } from "../../src/sim/Journeys.ts"
import { client } from "../kafka/fixtures/kafkajs.ts"
import { syntheticEvent } from "../lake/fixtures/events.ts"
import { freePort, runCli, waitFor } from "./fixtures.ts"

describe("launchpad start (all roles in one process)", () => {
  let child: ChildProcess | undefined
  let dataDir = ""
  let base = ""
  let output = ""

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "launchpad-start-"))
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    child = spawn(process.execPath, ["src/main.ts", "start"], {
      env: {
        ...process.env,
        PORT: String(port),
        BROKER_PORT: "0",
        LAUNCHPAD_DATA_DIR: dataDir,
        LAUNCHPAD_TRIGGER_MS: "200"
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString()
    })
    await waitFor("readiness", async () => ((await fetch(`${base}/health/ready`)).ok ? true : undefined))
  }, 60_000)

  afterAll(() => {
    child?.kill("SIGKILL")
    rmSync(dataDir, { recursive: true, force: true })
  })

  it("says what it started", () => {
    assert.include(output, "launchpad start: started")
    assert.include(output, "stream processor")
    assert.notInclude(output, "demo traffic")
  })

  it("serves the web app on the same origin and prints where to open it (built on demand without dist/app)", async () => {
    const page = await fetch(`${base}/result`)
    assert.strictEqual(page.status, 200)
    assert.include(await page.text(), '<div id="app"></div>')
    const missing = await fetch(`${base}/api/v1/nope`)
    assert.strictEqual(missing.status, 404)
    assert.strictEqual(((await missing.json()) as { error: { code: string } }).error.code, "not_found")
    assert.include(output, `configurator    ${base}/`)
    assert.include(output, `dashboard       ${base}/dashboard`)
  })

  it("documents both APIs in one OpenAPI document", async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> }
    for (const path of ["/api/v1/events", "/api/v1/events/batch", "/api/v1/kpis/latest", "/api/v1/live"]) {
      assert.property(doc.paths, path)
    }
    assert.strictEqual((await fetch(`${base}/docs`)).status, 200)
  })

  it("events posted to ingest reach the live KPIs", async () => {
    const random = makeRandom(99)
    const events = Array.from({ length: 20 }, (_, i) => journey(random, i + 1, Date.now() - 120_000))
      .flat()
      .map((timed) => timed.event)
    const answer = await fetch(`${base}/api/v1/events/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events })
    })
    assert.strictEqual(answer.status, 200)
    const body = (await answer.json()) as { accepted: number; rejected: number }
    assert.strictEqual(body.accepted, events.length)
    assert.strictEqual(body.rejected, 0)

    const counted = await waitFor("the events in /api/v1/kpis", async () => {
      const range = (await (await fetch(`${base}/api/v1/kpis?minutes_back=60`)).json()) as {
        minutes: ReadonlyArray<{ events: number }>
      }
      const total = range.minutes.reduce((sum, minute) => sum + minute.events, 0)
      return total === events.length ? total : undefined
    })
    assert.strictEqual(counted, events.length)
    // Every route of the merged server is labelled by its own template, the warehouse's included.
    const metrics = await (await fetch(`${base}/metrics`)).text()
    assert.match(metrics, /^launchpad_ingest_requests_total\{route="\/api\/v1\/kpis",status="200"\} [1-9]/m)
  })

  it("`launchpad models run` asks the running warehouse to build, since the process holds the file", async () => {
    const outcome = await runCli(["models", "run", "--url", base], { LAUNCHPAD_DATA_DIR: dataDir })
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.include(outcome.stderr, `(ran on the warehouse at ${base})`)
    assert.match(outcome.stdout, /^run [0-9a-f-]+: success/m)
    // The run is the warehouse's own: its history lists it.
    const runs = (await (await fetch(`${base}/api/v1/models/runs`)).json()) as {
      runs: ReadonlyArray<{ run_id: string }>
    }
    const runId = /^run ([0-9a-f-]+):/m.exec(outcome.stdout)?.[1]
    assert.isTrue(runs.runs.some((run) => run.run_id === runId))
  }, 60_000)

  it("`launchpad models run` pointed where nothing answers names the process holding the file, not a lock error", async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`
    const outcome = await runCli(["models", "run", "--url", nobody], { LAUNCHPAD_DATA_DIR: dataDir })
    assert.strictEqual(outcome.code, 1)
    assert.include(outcome.stderr, "warehouse.duckdb is held by another process (a running warehouse)")
    assert.include(outcome.stderr, "--url")
  }, 60_000)

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => child?.once("exit", (code) => resolve(code)))
    child?.kill("SIGTERM")
    const code = await exited
    child = undefined
    assert.include([0, 130, 143], code)
  }, 30_000)
})

/**
 * `launchpad <role>` alone in a child process on free ports and a temporary data dir; `body` runs once
 * its ops server answers /health/live, then the child must stop cleanly on SIGTERM.
 */
const withRole = async (
  role: string,
  opsPortVariable: string,
  extraEnv: Record<string, string>,
  body: (ports: { readonly ops: number; readonly broker: number }) => Promise<void>
): Promise<void> => {
  const dataDir = mkdtempSync(join(tmpdir(), `launchpad-${role}-role-`))
  const [ops, broker] = [await freePort(), await freePort()]
  const child = spawn(process.execPath, ["src/main.ts", role], {
    env: {
      ...process.env,
      [opsPortVariable]: String(ops),
      BROKER_PORT: String(broker),
      LAUNCHPAD_DATA_DIR: dataDir,
      ...extraEnv
    },
    stdio: "ignore"
  })
  try {
    await waitFor("the ops server", async () =>
      (await fetch(`http://127.0.0.1:${ops}/health/live`)).ok ? true : undefined
    )
    await body({ ops, broker })
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
    child.kill("SIGTERM")
    assert.include([0, 130, 143], await exited)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

describe("launchpad stream (the stream role alone)", () => {
  it(
    "processes events_raw and shows its metrics on PORT",
    () =>
      withRole("stream", "PORT", { LAUNCHPAD_TRIGGER_MS: "200" }, async (ports) => {
        const producer = client([`127.0.0.1:${ports.broker}`]).producer()
        try {
          await producer.connect()
          const events = Array.from({ length: 10 }, (_, i) => syntheticEvent(i, Date.now() - 60_000, 30_000))
          await producer.send({
            topic: TopicNames.eventsRaw,
            messages: events.map((event) => ({ key: event.user_id, value: JSON.stringify(event) }))
          })
          const counted = await waitFor("launchpad_stream_events_total in /metrics", async () => {
            const text = await (await fetch(`http://127.0.0.1:${ports.ops}/metrics`)).text()
            const match = /^launchpad_stream_events_total (\d+)/m.exec(text)
            // The checkpoint commits once per LAUNCHPAD_LAKE_INTERVAL_MS, after the events are counted.
            const committed = /^launchpad_stream_checkpoint_duration_seconds_count/m.test(text)
            return match?.[1] === "10" && committed ? text : undefined
          })
          assert.match(counted, /^launchpad_stream_consumer_lag\{/m)
          assert.match(counted, /^launchpad_stream_files_written_total/m)
        } finally {
          await producer.disconnect()
        }
      }),
    60_000
  )
})

describe("launchpad broker (the broker role alone)", () => {
  it(
    "serves the Kafka protocol on BROKER_PORT and its metrics on BROKER_METRICS_PORT",
    () =>
      withRole("broker", "BROKER_METRICS_PORT", {}, async (ports) => {
        const producer = client([`127.0.0.1:${ports.broker}`]).producer()
        try {
          await producer.connect()
          await producer.send({
            topic: "role-test",
            acks: -1,
            messages: [
              { key: "k", value: "a" },
              { key: "k", value: "b" }
            ]
          })
          const text = await (await fetch(`http://127.0.0.1:${ports.ops}/metrics`)).text()
          assert.match(text, /^kafka_broker_produce_requests_total [1-9]/m)
          assert.match(text, /^kafka_broker_log_end_offset\{topic="role-test",partition="\d+"\} 2$/m)
          assert.match(text, /^kafka_broker_fsync_seconds_count [1-9]/m)
        } finally {
          await producer.disconnect()
        }
      }),
    60_000
  )
})
