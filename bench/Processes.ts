/** Child-process plumbing shared by the bench sections that run roles in their own processes. */
import type { ChildProcess } from "node:child_process"
import * as net from "node:net"

/** A port that was free a moment ago (bound to 0, read, released). */
export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Polls `url` until it answers 200. */
export const waitFor = async (url: string, timeoutMs: number) => {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const ok = await fetch(url)
      .then((r) => r.status === 200)
      .catch(() => false)
    if (ok) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`)
}

/** SIGTERM, then wait for the exit (at once if it already exited). */
export const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })
