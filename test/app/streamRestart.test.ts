/**
 * A stream processor killed with SIGKILL never leaves its consumer group: its partitions stay with the
 * dead member until its session times out. With kafkajs's default (30 s) a restarted `launchpad
 * stream` sat idle that long; the session timeout is LAUNCHPAD_CONSUMER_SESSION_TIMEOUT_MS (10 s by
 * default), so the restarted process holds every partition again well before 30 s.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { freePort, waitFor } from "./fixtures.ts"

const children: Array<ChildProcess> = []
const dataDir = mkdtempSync(join(tmpdir(), "launchpad-stream-restart-"))

afterAll(() => {
  for (const child of children) child.kill("SIGKILL")
  rmSync(dataDir, { recursive: true, force: true })
})

const launch = (command: string, env: Record<string, string>) => {
  const child = spawn(process.execPath, ["src/main.ts", command], {
    env: { ...process.env, LAUNCHPAD_DATA_DIR: dataDir, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.push(child)
  let output = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString()
  })
  const assigned = () => (output.match(/stream: partition assigned/g) ?? []).length
  return { child, assigned }
}

describe("launchpad stream after kill -9", () => {
  it("a restarted processor holds every partition again within the session timeout, not kafkajs's 30 s", async () => {
    const brokerPort = await freePort()
    launch("broker", { BROKER_PORT: String(brokerPort), BROKER_METRICS_PORT: String(await freePort()) })
    const env = { KAFKA_BROKERS: `127.0.0.1:${brokerPort}`, LAUNCHPAD_PARTITIONS: "3" }
    const first = launch("stream", { ...env, PORT: String(await freePort()) })
    await waitFor("the first processor to hold 3 partitions", async () => (first.assigned() >= 3 ? true : undefined))
    first.child.kill("SIGKILL")
    const killedAt = Date.now()
    const second = launch("stream", { ...env, PORT: String(await freePort()) })
    await waitFor("the restarted processor to hold 3 partitions", async () =>
      second.assigned() >= 3 ? true : undefined
    )
    assert.isBelow(Date.now() - killedAt, 25_000)
  }, 60_000)
})
