/** Helpers for tests that run `launchpad <command>` in child processes on free ports. */
import { spawn } from "node:child_process"
import { createServer } from "node:net"

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

export const waitFor = async <A>(what: string, probe: () => Promise<A | undefined>, timeoutMs = 45_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

export interface CliOutcome {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `launchpad <args>` to completion in a child process. */
export const runCli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<CliOutcome>((resolve, reject) => {
    const child = spawn(process.execPath, ["src/main.ts", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.once("error", reject)
    child.once("close", (code) => resolve({ code, stdout, stderr }))
  })
