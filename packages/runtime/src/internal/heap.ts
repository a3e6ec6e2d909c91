// A binary min-heap of integers ordered by a priority table (used for ready queues).
export class IntHeap {
  private readonly items: Array<number> = []
  constructor(private readonly priority: ArrayLike<number>) {}

  get size(): number {
    return this.items.length
  }

  /** The queued values, in no particular order. */
  toArray(): ReadonlyArray<number> {
    return this.items.slice()
  }

  push(value: number): void {
    const items = this.items
    const priority = this.priority
    let index = items.length
    items.push(value)
    const p = priority[value]!
    while (index > 0) {
      const parent = (index - 1) >> 1
      const parentValue = items[parent]!
      if (priority[parentValue]! <= p) break
      items[index] = parentValue
      index = parent
    }
    items[index] = value
  }

  pop(): number | undefined {
    const items = this.items
    if (items.length === 0) return undefined
    const top = items[0]!
    const last = items.pop()!
    if (items.length > 0) {
      const priority = this.priority
      const p = priority[last]!
      const length = items.length
      let index = 0
      while (true) {
        const left = 2 * index + 1
        if (left >= length) break
        const right = left + 1
        let child = left
        if (right < length && priority[items[right]!]! < priority[items[left]!]!) child = right
        if (priority[items[child]!]! >= p) break
        items[index] = items[child]!
        index = child
      }
      items[index] = last
    }
    return top
  }
}
