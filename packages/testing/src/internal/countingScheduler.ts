// Wraps a Scheduler so its dispatchers count tasks queued but not yet run. In effect 4.1 a
// runnable fiber is on the JS stack or queued here; everything else waits on a callback.
import type { Fiber, Scheduler } from "effect"
import { quietly } from "./suspensions.js"

export class CountingScheduler implements Scheduler.Scheduler {
  queued = 0
  epoch = 0
  /** Tasks on the stack right now (a fiber resumed by one was resumed from inside Effect). */
  running = 0
  readonly executionMode: "sync" | "async"

  constructor(
    private readonly inner: Scheduler.Scheduler,
    private readonly onDrained: () => void
  ) {
    this.executionMode = inner.executionMode
  }

  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    return this.inner.shouldYield(fiber)
  }

  makeDispatcher(): Scheduler.SchedulerDispatcher {
    const dispatcher = this.inner.makeDispatcher()
    return {
      scheduleTask: (task, priority) => {
        this.queued++
        this.epoch++
        // Flushing may set a timer: the region's own, never a fiber's real work.
        quietly(() =>
          dispatcher.scheduleTask(() => {
            this.running++
            try {
              task()
            } finally {
              this.running--
              if (--this.queued === 0) this.onDrained()
            }
          }, priority)
        )
      },
      flush: () => dispatcher.flush()
    }
  }
}
