/**
 * One maintenance job (compaction or retention) at a time per lake, across processes: a lock file created
 * exclusively, holding the owner's pid. A lock whose owner is dead (killed mid-compaction) is taken over;
 * the job then repairs what the dead owner left (see Compaction's recovery).
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { ensureDir } from "../platform/DurableFiles.ts"
import { lakeRoot } from "./LakeLayout.ts"

export class LakeBusy extends Schema.TaggedError<LakeBusy>()("LakeBusy", {
  message: Schema.String,
  pid: Schema.Number
}) {}

export class LakeLockError extends Schema.TaggedError<LakeLockError>()("LakeLockError", {
  message: Schema.String,
  cause: Schema.Defect()
}) {}

const isAlive = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (cause) {
    // EPERM: the process exists but belongs to someone else.
    return cause instanceof Error && "code" in cause && cause.code === "EPERM"
  }
}

/** Locks this process holds: a lock file naming our pid that is not here was left by an earlier process. */
const held = new Set<string>()
let attempts = 0

/**
 * Tries to create the lock; returns the live owner's pid when someone else holds it. The pid is written
 * to a temporary file that is then hard-linked to the lock name, so a lock file never exists empty.
 */
const tryAcquire = async (file: string): Promise<number | undefined> => {
  attempts += 1
  const temp = `${file}.${process.pid}-${attempts}`
  await fs.writeFile(temp, String(process.pid))
  try {
    for (;;) {
      try {
        await fs.link(temp, file)
        held.add(file)
        return undefined
      } catch (cause) {
        if (!(cause instanceof Error && "code" in cause && cause.code === "EEXIST")) throw cause
      }
      const owner = Number(await fs.readFile(file, "utf8").catch(() => "0"))
      if (owner === process.pid ? held.has(file) : isAlive(owner)) return owner
      await fs.rm(file, { force: true })
    }
  } finally {
    await fs.rm(temp, { force: true })
  }
}

/** Runs `job` holding the lake's maintenance lock; fails with `LakeBusy` when another live process holds it. */
export const withMaintenanceLock = <A, E, R>(dataDir: string, job: Effect.Effect<A, E, R>) => {
  const file = path.join(lakeRoot(dataDir), "_maintenance.lock")
  const acquire = Effect.gen(function* () {
    yield* ensureDir(lakeRoot(dataDir))
    const owner = yield* Effect.tryPromise({
      try: () => tryAcquire(file),
      catch: (cause) => new LakeLockError({ message: `cannot take the lake lock ${file}`, cause })
    })
    if (owner !== undefined) {
      return yield* new LakeBusy({ message: `lake maintenance already running (pid ${owner})`, pid: owner })
    }
  })
  return Effect.acquireUseRelease(
    acquire,
    () => job,
    () =>
      Effect.promise(async () => {
        held.delete(file)
        await fs.rm(file, { force: true })
      })
  )
}
