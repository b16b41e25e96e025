/**
 * Builds a response as a list of buffers: primitives go into a growing scratch buffer, large
 * payloads (stored record batches) are appended by reference so fetch responses are not copied.
 */
export class Writer {
  private readonly chunks: Array<Buffer> = []
  private scratch: Buffer
  private pos = 0
  private flushed = 0

  constructor(initial = 256) {
    this.scratch = Buffer.allocUnsafe(initial)
  }

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.pos
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.scratch.length) return
    const next = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.pos + n))
    this.scratch.copy(next, 0, 0, this.pos)
    this.scratch = next
  }

  int8(v: number): this {
    this.ensure(1)
    this.pos = this.scratch.writeInt8(v, this.pos)
    return this
  }

  int16(v: number): this {
    this.ensure(2)
    this.pos = this.scratch.writeInt16BE(v, this.pos)
    return this
  }

  int32(v: number): this {
    this.ensure(4)
    this.pos = this.scratch.writeInt32BE(v, this.pos)
    return this
  }

  int64(v: bigint): this {
    this.ensure(8)
    this.pos = this.scratch.writeBigInt64BE(v, this.pos)
    return this
  }

  /** Unsigned LEB128 varint (flexible-version lengths and tag counts). */
  uvarint(v: number): this {
    let rest = v
    while (rest >= 0x80) {
      this.int8((((rest & 0x7f) | 0x80) << 24) >> 24)
      rest = Math.floor(rest / 128)
    }
    return this.int8(rest)
  }

  /** Zigzag varint, as used inside records. */
  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1)
  }

  boolean(v: boolean): this {
    return this.int8(v ? 1 : 0)
  }

  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1)
    const len = Buffer.byteLength(v)
    this.ensure(2 + len)
    this.pos = this.scratch.writeInt16BE(len, this.pos)
    this.pos += this.scratch.write(v, this.pos, "utf8")
    return this
  }

  string(v: string): this {
    return this.nullableString(v)
  }

  nullableBytes(v: Uint8Array | null): this {
    if (v === null) return this.int32(-1)
    this.int32(v.length)
    this.ensure(v.length)
    this.scratch.set(v, this.pos)
    this.pos += v.length
    return this
  }

  bytes(v: Uint8Array): this {
    return this.nullableBytes(v)
  }

  array<A>(items: ReadonlyArray<A>, item: (w: Writer, a: A) => void): this {
    this.int32(items.length)
    for (const a of items) item(this, a)
    return this
  }

  /** Appends buffers by reference (record batches), without copying. */
  raw(bufs: ReadonlyArray<Buffer>): this {
    if (this.pos > 0) {
      this.chunks.push(this.scratch.subarray(0, this.pos))
      this.flushed += this.pos
      this.scratch = this.scratch.subarray(this.pos)
      this.pos = 0
    }
    for (const b of bufs) {
      this.chunks.push(b)
      this.flushed += b.length
    }
    return this
  }

  finish(): Array<Buffer> {
    if (this.pos > 0) this.chunks.push(this.scratch.subarray(0, this.pos))
    return this.chunks
  }
}
