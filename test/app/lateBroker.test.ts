/**
 * Roles started before their broker: `launchpad ingest`, `stream` and `serve` run against
 * KAFKA_BROKERS where nothing listens yet; `launchpad broker` appears there 5 s later. Each role must
 * stay up, say it is waiting, report not ready (ingest answering 503 with Retry-After at once), and
 * serve once the broker is there. They used to exit after ~1.5 s with `admin connect failed`.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { TopicNames } from "../../src/kafka/Topics.ts"
import { validEvent } from "../ingest/fixtures.ts"
import { client } from "../kafka/fixtures/kafkajs.ts"
import { syntheticEvent } from "../lake/fixtures/events.ts"
import { freePort, waitFor } from "./fixtures.ts"

const BROKER_LATE_MS = 5_000

interface Running {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: () => boolean
}

const run = (command: string, env: Record<string, string>): Running => {
  const child = spawn(process.execPath, ["src/main.ts", command], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  let exited = false
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.once("exit", () => {
    exited = true
  })
  return { child, output: () => output, exited: () => exited }
}

const stop = async (running: Running | undefined) => {
  if (running === undefined || running.exited()) return
  const exited = new Promise((resolve) => running.child.once("exit", resolve))
  running.child.kill("SIGTERM")
  await exited
}

const status = (url: string) => fetch(url).then((r) => r.status)

let brokerPort = 0
let dataDir = ""
let broker: Running | undefined
const roles: Record<string, { port: number; running: Running }> = {}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "launchpad-late-broker-"))
  brokerPort = await freePort()
  for (const role of ["ingest", "stream", "serve"]) {
    const port = await freePort()
    roles[role] = {
      port,
      running: run(role, {
        PORT: String(port),
        KAFKA_BROKERS: `127.0.0.1:${brokerPort}`,
        LAUNCHPAD_DATA_DIR: join(dataDir, role),
        LAUNCHPAD_TRIGGER_MS: "200"
      })
    }
  }
  // Every role is up (live) and not ready while there is no broker.
  for (const [role, { port }] of Object.entries(roles)) {
    await waitFor(`${role} /health/live`, async () =>
      (await status(`http://127.0.0.1:${port}/health/live`)) === 200 ? true : undefined
    )
    assert.strictEqual(await status(`http://127.0.0.1:${port}/health/ready`), 503, role)
  }
}, 60_000)

afterAll(async () => {
  await Promise.all(Object.values(roles).map(({ running }) => stop(running)))
  await stop(broker)
  rmSync(dataDir, { recursive: true, force: true })
})

const ingestUrl = () => `http://127.0.0.1:${roles.ingest?.port}`

describe("roles started before their broker", () => {
  it("meanwhile: no role exits, each says it is waiting, ingest answers 503 with Retry-After at once", async () => {
    const answer = await fetch(`${ingestUrl()}/api/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(validEvent())
    })
    assert.strictEqual(answer.status, 503)
    assert.strictEqual(answer.headers.get("retry-after"), "1")
    assert.strictEqual(((await answer.json()) as { error: { code: string } }).error.code, "broker_unavailable")
    // At once: the request never reached a send attempt (which would wait out the producer's retries).
    const metrics = await (await fetch(`${ingestUrl()}/metrics`)).text()
    assert.notMatch(metrics, /^launchpad_kafka_produce_batches_total [1-9]/m)
    // The warehouse's own API works without Kafka.
    assert.strictEqual(await status(`http://127.0.0.1:${roles.serve?.port}/api/v1/kpis/latest`), 200)
    await new Promise((resolve) => setTimeout(resolve, BROKER_LATE_MS))
    for (const [role, { running }] of Object.entries(roles)) {
      assert.isFalse(running.exited(), `${role} exited:\n${running.output()}`)
      assert.include(running.output(), `waiting for Kafka at 127.0.0.1:${brokerPort}`, role)
    }
  }, 30_000)

  it("once the broker appears every role becomes ready and serves", async () => {
    broker = run("broker", {
      BROKER_PORT: String(brokerPort),
      BROKER_METRICS_PORT: String(await freePort()),
      LAUNCHPAD_DATA_DIR: join(dataDir, "broker")
    })
    for (const [role, { port }] of Object.entries(roles)) {
      await waitFor(`${role} ready`, async () =>
        (await status(`http://127.0.0.1:${port}/health/ready`)) === 200 ? true : undefined
      )
    }
    const event = validEvent()
    const accepted = await waitFor("an accepted event", async () => {
      const answer = await fetch(`${ingestUrl()}/api/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(event)
      })
      return answer.status === 200 ? answer : undefined
    })
    assert.strictEqual(((await accepted.json()) as { accepted: number }).accepted, 1)

    // The stream role consumes what reaches events_raw.
    const producer = client([`127.0.0.1:${brokerPort}`]).producer()
    await producer.connect()
    const events = Array.from({ length: 5 }, (_, i) => syntheticEvent(i, Date.now() - 60_000, 30_000))
    await producer.send({
      topic: TopicNames.eventsRaw,
      messages: events.map((e) => ({ key: e.user_id, value: JSON.stringify(e) }))
    })
    await producer.disconnect()
    await waitFor("the stream role to count the events", async () => {
      const text = await (await fetch(`http://127.0.0.1:${roles.stream?.port}/metrics`)).text()
      const match = /^launchpad_stream_events_total (\d+)/m.exec(text)
      return Number(match?.[1] ?? 0) >= events.length + 1 ? true : undefined
    })
    // And the warehouse's sink consumes the stream's kpi_minute records.
    await waitFor("the warehouse to see the events", async () => {
      const body = (await (
        await fetch(`http://127.0.0.1:${roles.serve?.port}/api/v1/kpis?minutes_back=60`)
      ).json()) as {
        minutes: ReadonlyArray<{ events: number }>
      }
      const total = body.minutes.reduce((sum, minute) => sum + minute.events, 0)
      return total >= events.length + 1 ? true : undefined
    })
  }, 60_000)
})
