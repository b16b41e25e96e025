/**
 * Slow and greedy clients against a real ingest server: a bounded slowloris (hundreds of chunked
 * bodies that never end), headers that never end, and more connections than the cap. Memory stays
 * within the body budget, the slow connections are shed with 503 or 408 and closed, and valid
 * requests are served meanwhile. With Node's defaults every one of these connections was held for
 * minutes and 400 of them cost 341 MiB.
 */
import { spawn } from "node:child_process"
import * as net from "node:net"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll, beforeAll } from "vitest"
import { SLOW_BODY_WINDOW_MS } from "../../src/ingest/server/BodyBudget.ts"
import { postJson, startIngest, type TestIngest, validEvent } from "./fixtures.ts"

const BUDGET = 4 * 1024 * 1024
const MAX_CONNECTIONS = 500
const HEADERS_TIMEOUT_MS = 2_000

let ingest: TestIngest
let port: number

beforeAll(async () => {
  ingest = await startIngest({
    maxBodyBytes: 1024 * 1024,
    maxBufferedBytes: BUDGET,
    minBodyBytesPerSecond: 1024,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: 20_000,
    maxConnections: MAX_CONNECTIONS
  })
  port = Number(new URL(ingest.baseUrl).port)
})
afterAll(() => ingest.close())

interface SlowClient {
  readonly status: () => number | undefined
  readonly closed: Promise<number>
  readonly destroy: () => void
}

/** A raw connection that writes `head`, then `first`, then `trickle` every second, never finishing. */
const slowClient = (head: string, first: Uint8Array | undefined, trickle: string): SlowClient => {
  const socket = net.connect(port, "127.0.0.1")
  let answer = ""
  let ticker: NodeJS.Timeout | undefined
  socket.on("connect", () => {
    socket.write(head)
    if (first !== undefined) socket.write(first)
    ticker = setInterval(() => socket.write(trickle), 1_000)
  })
  socket.on("data", (data) => {
    answer += data.toString("latin1")
  })
  socket.on("error", () => undefined)
  const started = Date.now()
  const closed = new Promise<number>((resolve) =>
    socket.on("close", () => {
      clearInterval(ticker)
      resolve(Date.now() - started)
    })
  )
  return {
    status: () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(answer)
      return match === null ? undefined : Number(match[1])
    },
    closed,
    destroy: () => socket.destroy()
  }
}

const metric = async (name: string) => {
  const text = await fetch(`${ingest.baseUrl}/metrics`).then((r) => r.text())
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
  return Number(line?.split(" ").at(-1) ?? Number.NaN)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs `count` slow clients in a child process (fixtures/slowClients.ts) and returns what each got. */
const runSlowClients = (count: number, firstChunkBytes: number, runMs: number) =>
  new Promise<{ readonly statuses: Array<number | null>; readonly closed: Array<boolean> }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(new URL("./fixtures/slowClients.ts", import.meta.url)),
        String(port),
        String(count),
        String(firstChunkBytes),
        String(runMs)
      ],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let out = ""
    child.stdout.on("data", (data) => {
      out += String(data)
    })
    child.on("error", reject)
    child.on("exit", () => resolve(JSON.parse(out)))
  })

/** Samples `measure` every 250 ms until `done` settles; returns the peak. */
const peakWhile = async (done: Promise<unknown>, measure: () => Promise<number>) => {
  let settled = false
  void done.then(() => {
    settled = true
  })
  let peak = 0
  while (!settled) {
    peak = Math.max(peak, await measure())
    await sleep(250)
  }
  return peak
}

const rssGrowth = (before: number) => () => Promise.resolve(process.memoryUsage().rss - before)

describe("slow clients", () => {
  it.live(
    "slowloris: 300 trickling bodies that never end get 408 and are closed; valid requests are served meanwhile",
    () =>
      Effect.promise(async () => {
        const before = process.memoryUsage().rss
        const attack = runSlowClients(300, 100, 3 * SLOW_BODY_WINDOW_MS)
        const served = peakWhile(attack, async () => {
          const ok = await postJson(ingest.baseUrl, "/api/v1/events", validEvent())
          assert.strictEqual(ok.status, 200, ok.text)
          return 0
        })
        const rss = await peakWhile(attack, rssGrowth(before))
        await served
        const { statuses, closed } = await attack
        assert.isTrue(
          closed.every((c) => c),
          "every slow connection is closed by the server"
        )
        assert.deepStrictEqual(
          statuses,
          statuses.map(() => 408)
        )
        assert.isBelow(rss, 48 * 1024 * 1024, `RSS grew by ${rss / 1024 / 1024} MiB`)
        assert.isAtLeast(await metric('launchpad_ingest_bodies_shed_total{reason="too_slow"}'), 300)
      }),
    60_000
  )

  it.live(
    "budget: bodies that would pass it get 503 with Retry-After at once; the ones inside it are shed when they stall",
    () =>
      Effect.promise(async () => {
        const before = process.memoryUsage().rss
        const firstChunkBytes = 256 * 1024
        // A fast burst of 256 KiB each, then a byte a second: 64 MiB if every body were kept (RSS is
        // noisy: 10-40 MiB of growth measured here with a 4 MiB budget).
        const attack = runSlowClients(256, firstChunkBytes, 4 * SLOW_BODY_WINDOW_MS)
        const buffered = peakWhile(attack, () => metric("launchpad_ingest_buffered_body_bytes"))
        const rss = await peakWhile(attack, rssGrowth(before))
        const { statuses, closed } = await attack
        assert.isTrue(
          closed.every((c) => c),
          "every connection is closed by the server"
        )
        const overBudget = statuses.filter((s) => s === 503).length
        const tooSlow = statuses.filter((s) => s === 408).length
        assert.strictEqual(overBudget + tooSlow, statuses.length, JSON.stringify(statuses))
        // At most BUDGET / 256 KiB = 16 bodies fit; the rest are refused at their first chunk.
        assert.isAtLeast(overBudget, statuses.length - BUDGET / firstChunkBytes)
        assert.isAtLeast(tooSlow, 1)
        assert.isAtMost(await buffered, BUDGET)
        assert.isBelow(rss, 48 * 1024 * 1024, `RSS grew by ${rss / 1024 / 1024} MiB`)
        assert.strictEqual(await metric("launchpad_ingest_buffered_body_bytes"), 0)
        const ok = await postJson(ingest.baseUrl, "/api/v1/events", validEvent())
        assert.strictEqual(ok.status, 200, ok.text)
      }),
    60_000
  )

  it.live("headers that never end are answered 408 and closed within the headers timeout", () =>
    Effect.promise(async () => {
      const client = slowClient("POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n", undefined, "X-Slow: 1\r\n")
      const elapsed = await client.closed
      assert.strictEqual(client.status(), 408)
      assert.isBelow(elapsed, HEADERS_TIMEOUT_MS + 2_500)
    })
  )

  it.live("connections past the cap are dropped at once; the ones under it are served", () =>
    Effect.promise(async () => {
      const sockets = await Promise.all(
        Array.from(
          { length: MAX_CONNECTIONS + 20 },
          () =>
            new Promise<net.Socket>((resolve) => {
              const socket = net.connect(port, "127.0.0.1", () => resolve(socket))
              socket.on("error", () => undefined)
            })
        )
      )
      const closed = await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<boolean>((resolve) => {
              if (socket.destroyed) return resolve(true)
              const timer = setTimeout(() => resolve(false), 1_000)
              socket.on("close", () => {
                clearTimeout(timer)
                resolve(true)
              })
            })
        )
      )
      const dropped = closed.filter(Boolean).length
      for (const socket of sockets) socket.destroy()
      assert.isAtLeast(dropped, 20)
      assert.isBelow(dropped, MAX_CONNECTIONS)
      await new Promise((resolve) => setTimeout(resolve, 200))
      const ok = await postJson(ingest.baseUrl, "/api/v1/events", validEvent())
      assert.strictEqual(ok.status, 200)
    })
  )
})
