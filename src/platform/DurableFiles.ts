/**
 * Durable file steps, each complete on disk before it returns: fsync of files and of the directories
 * whose entries changed (a rename is only durable once its directory is). The lake's protocol, the
 * stream's checkpoints and the embedded broker's metadata are made of these. node:fs rather than the
 * platform FileSystem because fsync on a directory needs a raw descriptor.
 */
import * as fsSync from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Schema } from "effect"

export class FileIoError extends Schema.TaggedError<FileIoError>()("FileIoError", {
  message: Schema.String,
  path: Schema.String,
  cause: Schema.Defect()
}) {}

const io = <A>(what: string, target: string, f: () => Promise<A>): Effect.Effect<A, FileIoError> =>
  Effect.tryPromise({
    try: f,
    catch: (cause) =>
      new FileIoError({
        message: `${what} ${target}: ${cause instanceof Error ? cause.message : String(cause)}`,
        path: target,
        cause
      })
  })

const isErrno = (cause: unknown, code: string): boolean =>
  cause instanceof Error && "code" in cause && cause.code === code

const syncPath = async (target: string): Promise<void> => {
  const handle = await fs.open(target, "r")
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export const fsyncFile = (file: string) => io("fsync", file, () => syncPath(file))

/** `mkdir -p` that makes each directory it creates durable in its parent. */
export const ensureDir = (dir: string): Effect.Effect<void, FileIoError> =>
  io("mkdir", dir, async () => {
    const missing: Array<string> = []
    let current = path.resolve(dir)
    for (;;) {
      const exists = await fs.stat(current).then(
        () => true,
        (cause: unknown) => (isErrno(cause, "ENOENT") ? false : Promise.reject(cause))
      )
      if (exists) break
      missing.push(current)
      const parent = path.dirname(current)
      if (parent === current) break
      current = parent
    }
    if (missing.length === 0) return
    await fs.mkdir(dir, { recursive: true })
    for (const created of missing) await syncPath(path.dirname(created))
  })

/** Renames `from` over `to` (atomic on POSIX, replacing `to`) and makes the rename durable. */
export const renameDurable = (from: string, to: string) =>
  io("rename", `${from} -> ${to}`, async () => {
    await fs.rename(from, to)
    await syncPath(path.dirname(to))
    if (path.dirname(from) !== path.dirname(to)) await syncPath(path.dirname(from))
  })

/**
 * Writes `content` under a temporary name in the same directory, fsyncs, renames over `file`, fsyncs
 * the directory: a reader sees the old file or the new one, never a part. Promise form, for the
 * embedded broker's plain-TypeScript paths.
 */
export const writeFileAtomicPromise = async (file: string, temp: string, content: string): Promise<void> => {
  const handle = await fs.open(temp, "w")
  try {
    await handle.writeFile(content)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await fs.rename(temp, file)
  await syncPath(path.dirname(file))
}

/** `writeFileAtomicPromise`, synchronous: the embedded broker writes topic metadata inside synchronous request handling. */
export const writeFileAtomicSync = (file: string, temp: string, content: string): void => {
  const fd = fsSync.openSync(temp, "w")
  try {
    fsSync.writeFileSync(fd, content)
    fsSync.fsyncSync(fd)
  } finally {
    fsSync.closeSync(fd)
  }
  fsSync.renameSync(temp, file)
  const dirFd = fsSync.openSync(path.dirname(file), "r")
  try {
    fsSync.fsyncSync(dirFd)
  } finally {
    fsSync.closeSync(dirFd)
  }
}

/** `writeFileAtomicPromise` as an Effect. */
export const writeFileAtomic = (file: string, temp: string, content: string) =>
  io("write", file, () => writeFileAtomicPromise(file, temp, content))

/**
 * Writes `content` into `file` at byte `position` (creating the file at 0) and fsyncs it; the directory
 * too when the file is new, so that the entry is as durable as the bytes. Returns the bytes written.
 * Positional rather than appending: whatever lies past `position` (a tail nobody committed) is overwritten.
 */
export const writeAtDurable = (file: string, position: number, content: string) =>
  io("write", file, async () => {
    const bytes = Buffer.from(content)
    const handle = await fs.open(file, position === 0 ? "w" : "r+")
    try {
      let written = 0
      while (written < bytes.length) {
        written += (await handle.write(bytes, written, bytes.length - written, position + written)).bytesWritten
      }
      await handle.datasync()
    } finally {
      await handle.close()
    }
    if (position === 0) await syncPath(path.dirname(file))
    return bytes.length
  })

/** Writes `lines` (each ended by a newline) under a temporary name, fsyncs, renames over `file`; returns the bytes written. */
export const writeLinesAtomic = (file: string, temp: string, lines: Iterable<string>) =>
  io("write", file, async () => {
    const handle = await fs.open(temp, "w")
    let bytes = 0
    try {
      let pending: Array<string> = []
      let pendingLength = 0
      for (const line of lines) {
        pending.push(line, "\n")
        pendingLength += line.length + 1
        if (pendingLength >= 1 << 20) {
          const chunk = Buffer.from(pending.join(""))
          await handle.write(chunk)
          bytes += chunk.length
          pending = []
          pendingLength = 0
        }
      }
      const chunk = Buffer.from(pending.join(""))
      await handle.write(chunk)
      bytes += chunk.length
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(temp, file)
    await syncPath(path.dirname(file))
    return bytes
  })

/** Reads a file's bytes; `undefined` when it does not exist. */
export const readBytesIfExists = (file: string): Effect.Effect<Buffer | undefined, FileIoError> =>
  io("read", file, () =>
    fs.readFile(file).then(
      (bytes): Buffer | undefined => bytes,
      (cause: unknown) => (isErrno(cause, "ENOENT") ? undefined : Promise.reject(cause))
    )
  )

/** Removes files (absent ones are fine) and makes the removal durable. */
export const removeFilesDurable = (dir: string, names: ReadonlyArray<string>) =>
  io("remove from", dir, async () => {
    if (names.length === 0) return
    for (const name of names) await fs.rm(path.join(dir, name), { force: true })
    await syncPath(dir)
  })

/** Removes a file without waiting for durability (cleanup of temporaries: losing the removal is harmless). */
export const removeQuietly = (file: string) => Effect.promise(() => fs.rm(file, { force: true }))

/** Removes a directory tree (absent is fine). */
export const removeTree = (dir: string) => io("remove", dir, () => fs.rm(dir, { recursive: true, force: true }))

export interface DirEntry {
  readonly name: string
  readonly isDirectory: boolean
}

/** Lists a directory; a missing directory is empty. */
export const listDir = (dir: string): Effect.Effect<ReadonlyArray<DirEntry>, FileIoError> =>
  io("list", dir, () =>
    fs.readdir(dir, { withFileTypes: true }).then(
      (entries) => entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory() })),
      (cause: unknown) => (isErrno(cause, "ENOENT") ? [] : Promise.reject(cause))
    )
  )

/** Reads a text file; `undefined` when it does not exist. */
export const readTextIfExists = (file: string): Effect.Effect<string | undefined, FileIoError> =>
  io("read", file, () =>
    fs.readFile(file, "utf8").then(
      (text): string | undefined => text,
      (cause: unknown) => (isErrno(cause, "ENOENT") ? undefined : Promise.reject(cause))
    )
  )

export interface FileStat {
  readonly bytes: number
  readonly mtimeMs: number
}

/** Size and modification time; `undefined` when the file does not exist. */
export const statIfExists = (file: string): Effect.Effect<FileStat | undefined, FileIoError> =>
  io("stat", file, () =>
    fs.stat(file).then(
      (s): FileStat | undefined => ({ bytes: s.size, mtimeMs: s.mtimeMs }),
      (cause: unknown) => (isErrno(cause, "ENOENT") ? undefined : Promise.reject(cause))
    )
  )
