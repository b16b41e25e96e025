/** Shared test plumbing: a temporary data dir, the lake layers over it, file listings, child processes. */
import { type ChildProcess, spawn } from "node:child_process"
import { type Dirent, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { Settings, type SettingsShape } from "../../src/domain/Settings.ts"
import { EventFileWriter } from "../../src/lake/EventFileWriter.ts"
import { LakeLayer } from "../../src/lake/Lake.ts"
import { syntheticRows } from "./fixtures/events.ts"

/** A fresh data directory, removed when the scope closes. */
export const tempDataDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(path.join(tmpdir(), "launchpad-lake-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

export const lakeLayerFor = (dataDir: string, overrides: Partial<SettingsShape> = {}) =>
  LakeLayer.pipe(Layer.provide(Settings.layerWith({ dataDir, ...overrides })))

/** Every file under `dir`, as paths relative to it, sorted. */
export const listFiles = (dir: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (relative: string) => {
    let entries: Array<Dirent>
    try {
      entries = readdirSync(path.join(dir, relative), { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`
      if (entry.isDirectory()) walk(child)
      else out.push(child)
    }
  }
  walk("")
  return out.sort()
}

/** What a `*.parquet` glob would match. */
export const globParquet = (dir: string): ReadonlyArray<string> =>
  listFiles(dir).filter((f) => path.basename(f).endsWith(".parquet"))

const FIXTURES = path.join(import.meta.dirname, "fixtures")

export interface Child {
  readonly process: ChildProcess
  readonly exited: Promise<number | null>
}

/** Runs `node test/lake/fixtures/<script> …args` (Node strips the types). */
export const spawnFixture = (script: string, args: ReadonlyArray<string>): Child => {
  const child = spawn(process.execPath, [path.join(FIXTURES, script), ...args], { stdio: ["ignore", "ignore", "pipe"] })
  let stderr = ""
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code, signal) => {
      if (code !== 0 && signal === null) console.error(`${script} exited ${code}: ${stderr}`)
      resolve(code)
    })
  )
  return { process: child, exited }
}

export interface SeedOptions {
  readonly partitions: ReadonlyArray<number>
  readonly batches: number
  readonly size: number
  readonly baseMs: number
  /** Event-time span of one batch. */
  readonly spreadMs: number
  /** How far each batch's events start after the previous batch's. */
  readonly stepMs: number
}

/** Writes `batches` micro-batches per Kafka partition, like a stream processor would; returns the row count. */
export const seedEvents = (options: SeedOptions) =>
  Effect.gen(function* () {
    const writer = yield* EventFileWriter
    for (const partition of options.partitions) {
      for (let batch = 0; batch < options.batches; batch++) {
        const first = batch * options.size
        yield* writer.write({
          topic: "events_raw",
          partition,
          firstOffset: first,
          lastOffset: first + options.size - 1,
          rows: syntheticRows(partition, first, options.size, options.baseMs + batch * options.stepMs, options.spreadMs)
        })
      }
    }
    return options.partitions.length * options.batches * options.size
  })
