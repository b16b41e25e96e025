/**
 * TCP framing for the Kafka protocol: `INT32 size` + request. Each connection answers in request
 * order (a long-polling Fetch holds back later responses on its connection, as Kafka does), caps
 * the frame size, pauses reading while the socket is backed up, and is closed on its own when a
 * frame is malformed or asks for an API this broker does not implement.
 */
import * as net from "node:net"
import type { Broker, Response } from "./Broker.ts"
import { readRequestHeader } from "./protocol/Header.ts"
import { Reader } from "./protocol/Reader.ts"

interface Slot {
  done: boolean
  correlationId: number
  response: Response
}

/** Most requests one connection may have in flight before it stops reading. */
const MAX_IN_FLIGHT = 256

class Connection {
  private readonly socket: net.Socket
  private readonly broker: Broker
  private readonly maxFrameBytes: number
  private readonly onError: (message: string) => void
  private chunks: Array<Buffer> = []
  private buffered = 0
  private readonly slots: Array<Slot> = []
  private paused = false
  private closed = false

  constructor(socket: net.Socket, broker: Broker, maxFrameBytes: number, onError: (message: string) => void) {
    this.socket = socket
    this.broker = broker
    this.maxFrameBytes = maxFrameBytes
    this.onError = onError
    socket.setNoDelay(true)
    socket.on("data", (chunk) => this.onData(chunk))
    socket.on("drain", () => this.maybeResume())
    socket.on("error", () => this.close())
    socket.on("close", () => {
      this.closed = true
    })
  }

  close(reason?: string): void {
    if (reason !== undefined) this.onError(reason)
    this.closed = true
    this.chunks = []
    this.socket.destroy()
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    while (!this.closed && this.buffered >= 4) {
      const head = this.contiguous(4)
      const size = head.readInt32BE(0)
      if (size < 0 || size > this.maxFrameBytes) {
        this.close(`frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes}`)
        return
      }
      if (this.buffered < 4 + size) return
      const frame = this.contiguous(4 + size)
      this.consume(4 + size)
      this.dispatch(frame.subarray(4, 4 + size))
    }
  }

  /** Makes the first `n` buffered bytes one buffer (concatenating only when a frame spans chunks). */
  private contiguous(n: number): Buffer {
    const first = this.chunks[0] as Buffer
    if (first.length >= n) return first
    const joined = Buffer.concat(this.chunks, this.buffered)
    this.chunks = [joined]
    return joined
  }

  private consume(n: number): void {
    const first = this.chunks[0] as Buffer
    this.buffered -= n
    if (first.length === n) this.chunks.shift()
    else this.chunks[0] = first.subarray(n)
  }

  private dispatch(frame: Buffer): void {
    const r = new Reader(frame)
    let slot: Slot
    let result: Response | Promise<Response>
    try {
      const header = readRequestHeader(r)
      slot = { done: false, correlationId: header.correlationId, response: null }
      result = this.broker.handle(header, r, this.socket.remoteAddress ?? "")
    } catch (e) {
      this.close(`closing connection: ${e instanceof Error ? e.message : String(e)}`)
      return
    }
    this.slots.push(slot)
    if (result instanceof Promise) {
      result.then(
        (response) => this.complete(slot, response),
        (e: unknown) => this.close(`closing connection: ${e instanceof Error ? e.message : String(e)}`)
      )
      if (this.slots.length >= MAX_IN_FLIGHT) this.pause()
    } else {
      this.complete(slot, result)
    }
  }

  private complete(slot: Slot, response: Response): void {
    slot.done = true
    slot.response = response
    if (this.closed) return
    let head = this.slots[0]
    if (head?.done !== true) return
    this.socket.cork()
    while (head?.done === true) {
      this.slots.shift()
      if (head.response !== null) {
        const body = head.response.finish()
        let size = 4
        for (const b of body) size += b.length
        const prefix = Buffer.allocUnsafe(8)
        prefix.writeInt32BE(size, 0)
        prefix.writeInt32BE(head.correlationId, 4)
        let ok = this.socket.write(prefix)
        for (const b of body) ok = this.socket.write(b) && ok
        if (!ok) this.pause()
      }
      head = this.slots[0]
    }
    this.socket.uncork()
    this.maybeResume()
  }

  private pause(): void {
    if (this.paused) return
    this.paused = true
    this.socket.pause()
  }

  private maybeResume(): void {
    if (this.paused && !this.socket.writableNeedDrain && this.slots.length < MAX_IN_FLIGHT) {
      this.paused = false
      this.socket.resume()
    }
  }
}

export interface ServerHandle {
  readonly port: number
  readonly close: () => Promise<void>
}

/** Listens on host:port (0 = ephemeral) and resolves with the bound port. */
export const listen = (
  broker: Broker,
  host: string,
  port: number,
  maxFrameBytes: number,
  onError: (message: string) => void
): Promise<ServerHandle> =>
  new Promise((resolve, reject) => {
    const sockets = new Set<net.Socket>()
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      new Connection(socket, broker, maxFrameBytes, onError)
    })
    server.once("error", reject)
    server.listen(port, host, () => {
      server.off("error", reject)
      const address = server.address()
      const bound = typeof address === "object" && address !== null ? address.port : port
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            for (const s of sockets) s.destroy()
          })
      })
    })
  })
