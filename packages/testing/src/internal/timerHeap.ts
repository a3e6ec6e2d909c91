// A binary min-heap of pending virtual sleeps with lazy removal: the next wake-up is the
// smallest active deadline (a linear scan grows quadratically with many concurrent timers).

export interface TimerEntry {
  readonly deadline: number
  readonly seq: number
  readonly wake: () => void
  active: boolean
}

export class TimerHeap {
  private readonly heap: Array<TimerEntry> = []
  private seq = 0
  size = 0

  add(deadline: number, wake: () => void): TimerEntry {
    const entry: TimerEntry = { deadline, seq: this.seq++, wake, active: true }
    this.heap.push(entry)
    this.up(this.heap.length - 1)
    this.size++
    return entry
  }

  remove(entry: TimerEntry): void {
    if (!entry.active) return
    entry.active = false
    this.size--
  }

  peek(): number | undefined {
    const heap = this.heap
    while (heap.length > 0 && !heap[0]!.active) this.pop()
    return heap[0]?.deadline
  }

  /** Removes and returns the earliest active entry due at or before `deadline`. */
  takeDue(deadline: number): TimerEntry | undefined {
    if (this.peek() === undefined || this.heap[0]!.deadline > deadline) return undefined
    const entry = this.heap[0]!
    this.pop()
    entry.active = false
    this.size--
    return entry
  }

  private pop(): void {
    const heap = this.heap
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      this.down(0)
    }
  }

  private less(a: TimerEntry, b: TimerEntry): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq)
  }

  private up(index: number): void {
    const heap = this.heap
    let i = index
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  private down(index: number): void {
    const heap = this.heap
    let i = index
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < heap.length && this.less(heap[left]!, heap[smallest]!)) smallest = left
      if (right < heap.length && this.less(heap[right]!, heap[smallest]!)) smallest = right
      if (smallest === i) return
      ;[heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!]
      i = smallest
    }
  }
}
