// Wraps a Scheduler so its dispatchers count tasks queued but not yet run. In effect 4.1 a
// runnable fiber is on the JS stack or queued here; everything else waits on a callback.
import type { Fiber, Scheduler } from "effect"

export class CountingScheduler implements Scheduler.Scheduler {
  queued = 0
  epoch = 0
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
        dispatcher.scheduleTask(() => {
          try {
            task()
          } finally {
            if (--this.queued === 0) this.onDrained()
          }
        }, priority)
      },
      flush: () => dispatcher.flush()
    }
  }
}
