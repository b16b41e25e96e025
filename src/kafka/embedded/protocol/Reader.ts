/**
 * Cursor over a request frame: the big-endian primitives of the Kafka wire protocol. Plain class
 * (no Effect) because it runs for every request on the hot path; a short read throws
 * `MalformedFrame`, which the server turns into closing that one connection.
 */
export class MalformedFrame extends Error {
  override readonly name = "MalformedFrame"
}

export class Reader {
  readonly buf: Buffer
  pos: number

  constructor(buf: Buffer, pos = 0) {
    this.buf = buf
    this.pos = pos
  }

  private need(n: number): number {
    const at = this.pos
    if (n < 0 || at + n > this.buf.length) throw new MalformedFrame(`short read: need ${n} at ${at}/${this.buf.length}`)
    this.pos = at + n
    return at
  }

  remaining(): number {
    return this.buf.length - this.pos
  }

  int8(): number {
    return this.buf.readInt8(this.need(1))
  }

  int16(): number {
    return this.buf.readInt16BE(this.need(2))
  }

  int32(): number {
    return this.buf.readInt32BE(this.need(4))
  }

  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8))
  }

  boolean(): boolean {
    return this.int8() !== 0
  }

  nullableString(): string | null {
    const len = this.int16()
    if (len < 0) return null
    const at = this.need(len)
    return this.buf.toString("utf8", at, at + len)
  }

  string(): string {
    return this.nullableString() ?? ""
  }

  /** Bytes as a view into the frame (no copy). */
  nullableBytes(): Buffer | null {
    const len = this.int32()
    if (len < 0) return null
    const at = this.need(len)
    return this.buf.subarray(at, at + len)
  }

  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0)
  }

  nullableArray<A>(item: (r: Reader) => A): Array<A> | null {
    const n = this.int32()
    if (n < 0) return null
    if (n > this.remaining()) throw new MalformedFrame(`array length ${n} exceeds frame`)
    const out: Array<A> = []
    for (let i = 0; i < n; i++) out.push(item(this))
    return out
  }

  array<A>(item: (r: Reader) => A): Array<A> {
    return this.nullableArray(item) ?? []
  }

  /** Unsigned LEB128 varint (flexible-version tag buffers). */
  uvarint(): number {
    let value = 0
    let shift = 0
    for (;;) {
      const b = this.buf.readUInt8(this.need(1))
      value += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return value
      shift += 7
      if (shift > 28) throw new MalformedFrame("varint too long")
    }
  }

  /** Zigzag varint, as used inside records. */
  varint(): number {
    const u = this.uvarint()
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2
  }
}
