/**
 * Idempotent-producer bookkeeping for one partition: per producer id, its epoch, last sequence and
 * the last five batches (sequence range -> base offset), so a retried batch is recognised and
 * answered with its original offset instead of being appended twice.
 */
import { ErrorCode } from "../protocol/ErrorCodes.ts"

const MAX_TRACKED_BATCHES = 5
const SEQUENCE_MODULUS = 2 ** 31

interface TrackedBatch {
  readonly firstSeq: number
  readonly lastSeq: number
  readonly baseOffset: number
}

interface Producer {
  epoch: number
  lastSeq: number
  readonly batches: Array<TrackedBatch>
}

/** What to do with an incoming batch. */
export type SequenceCheck =
  | { readonly _tag: "Append" }
  | { readonly _tag: "Duplicate"; readonly baseOffset: number }
  | { readonly _tag: "Reject"; readonly errorCode: number }

const APPEND: SequenceCheck = { _tag: "Append" }

const lastSequence = (baseSequence: number, lastOffsetDelta: number): number =>
  (baseSequence + lastOffsetDelta) % SEQUENCE_MODULUS

export class ProducerState {
  private readonly producers = new Map<number, Producer>()

  check(producerId: number, epoch: number, baseSequence: number, lastOffsetDelta: number): SequenceCheck {
    if (producerId < 0) return APPEND
    const p = this.producers.get(producerId)
    if (p === undefined) return APPEND
    if (epoch < p.epoch) return { _tag: "Reject", errorCode: ErrorCode.INVALID_PRODUCER_EPOCH }
    if (epoch > p.epoch) return APPEND
    const lastSeq = lastSequence(baseSequence, lastOffsetDelta)
    for (const b of p.batches) {
      if (b.firstSeq === baseSequence && b.lastSeq === lastSeq) return { _tag: "Duplicate", baseOffset: b.baseOffset }
    }
    if (baseSequence !== (p.lastSeq + 1) % SEQUENCE_MODULUS) {
      return { _tag: "Reject", errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER }
    }
    return APPEND
  }

  /** Records an appended batch (also used when rebuilding from the log on recovery). */
  record(producerId: number, epoch: number, baseSequence: number, lastOffsetDelta: number, baseOffset: number): void {
    if (producerId < 0) return
    let p = this.producers.get(producerId)
    if (p === undefined || epoch !== p.epoch) {
      p = { epoch, lastSeq: -1, batches: [] }
      this.producers.set(producerId, p)
    }
    const lastSeq = lastSequence(baseSequence, lastOffsetDelta)
    p.lastSeq = lastSeq
    p.batches.push({ firstSeq: baseSequence, lastSeq, baseOffset })
    if (p.batches.length > MAX_TRACKED_BATCHES) p.batches.shift()
  }
}
