/**
 * A binary min-heap of (time, value) pairs: the index that lets dedup eviction and session emission
 * touch only the entries that are due, so a micro-batch costs O(batch · log state), never a scan of
 * the whole state. It is derived data: it is never checkpointed, but rebuilt from the state on decode.
 * Values are the state objects themselves, so a due entry costs no map lookup.
 */
export class TimeQueue<A extends object> {
  private readonly times: Array<number> = []
  private readonly values: Array<A> = []

  push(time: number, value: A): void {
    const times = this.times
    const values = this.values
    let i = times.length
    times.push(time)
    values.push(value)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const parentTime = times[parent]
      const parentValue = values[parent]
      if (parentTime === undefined || parentValue === undefined || parentTime <= time) break
      times[i] = parentTime
      values[i] = parentValue
      i = parent
    }
    times[i] = time
    values[i] = value
  }

  /** Removes and passes to `f` every entry with time ≤ `limit`, in time order. */
  popUntil(limit: number, f: (time: number, value: A) => void): void {
    for (;;) {
      const time = this.times[0]
      const value = this.values[0]
      if (time === undefined || value === undefined || time > limit) return
      this.removeTop()
      f(time, value)
    }
  }

  clear(): void {
    this.times.length = 0
    this.values.length = 0
  }

  private removeTop(): void {
    const times = this.times
    const values = this.values
    const lastTime = times.pop()
    const lastValue = values.pop()
    const n = times.length
    if (lastTime === undefined || lastValue === undefined || n === 0) return
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      let child = left
      let childTime = times[left] ?? Number.POSITIVE_INFINITY
      const rightTime = right < n ? (times[right] ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY
      if (rightTime < childTime) {
        child = right
        childTime = rightTime
      }
      const childValue = values[child]
      if (childTime >= lastTime || childValue === undefined) break
      times[i] = childTime
      values[i] = childValue
      i = child
    }
    times[i] = lastTime
    values[i] = lastValue
  }
}
