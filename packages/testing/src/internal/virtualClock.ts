// The clock of a self-advancing region. It implements the TestClock interface (so
// `TestClock.adjust` / `setTime` / `withLive` work inside a region), but its sleeps wait on
// callbacks kept in a heap, so an advance is a synchronous wake of the sleeps due — no fibers
// forked, no scheduler turns (TestClock.setTime in effect 4.1 costs about a millisecond).
import { Clock, Duration, Effect, type Fiber } from "effect"
import type { TestClock } from "effect/testing"
import type { CountingTracker } from "./realWork.js"
import { accountedFor } from "./suspensions.js"
import type { TimerHeap } from "./timerHeap.js"

const nanosPerMilli = 1_000_000n

export class VirtualClock implements TestClock.TestClock {
  private now: number
  private readonly live: Clock.Clock = Clock.Clock.defaultValue()

  constructor(
    start: number,
    private readonly timers: TimerHeap,
    private readonly tracker: CountingTracker,
    /** Resolves once nothing runnable is queued (used between wake-ups of `adjust`). */
    private readonly settled: Effect.Effect<void>,
    /** Told about each sleeping fiber; returns what to call when its sleep ends. */
    private readonly onSleep: (
      fiber: Fiber.Fiber<unknown, unknown>
    ) => (() => void) | undefined = () => undefined
  ) {
    this.now = start
  }

  currentTimeMillisUnsafe(): number {
    return this.now
  }
  currentTimeNanosUnsafe(): bigint {
    return BigInt(Math.floor(this.now)) * nanosPerMilli
  }
  monotonicTimeNanosUnsafe(): bigint {
    return this.currentTimeNanosUnsafe()
  }
  readonly currentTimeMillis = Effect.sync(() => this.currentTimeMillisUnsafe())
  readonly currentTimeNanos = Effect.sync(() => this.currentTimeNanosUnsafe())
  readonly monotonicTimeNanos = Effect.sync(() => this.monotonicTimeNanosUnsafe())

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.withFiber((fiber) =>
      Effect.callback<void>(
        accountedFor((resume: (effect: Effect.Effect<void>) => void) => {
          const deadline = this.now + Duration.toMillis(duration)
          if (!(deadline > this.now)) return resume(Effect.void)
          // An infinite sleep never fires: it is not a timer the driver can advance to.
          if (!Number.isFinite(deadline)) return
          const ended = this.onSleep(fiber)
          const entry = this.timers.add(deadline, () => {
            ended?.()
            resume(Effect.void)
          })
          return Effect.sync(() => {
            ended?.()
            this.timers.remove(entry)
          })
        })
      )
    )
  }

  /** Moves to the next deadline at or before `target` and wakes every sleep due then. */
  wakeNext(target: number): boolean {
    const first = this.timers.takeDue(target)
    if (first === undefined) return false
    if (first.deadline > this.now) this.now = first.deadline
    first.wake()
    for (;;) {
      const next = this.timers.takeDue(this.now)
      if (next === undefined) return true
      next.wake()
    }
  }

  setTime(timestamp: number): Effect.Effect<void> {
    const self = this
    return Effect.gen(function* () {
      while (self.wakeNext(timestamp)) yield* self.settled
      if (timestamp > self.now) self.now = timestamp
    })
  }

  adjust(duration: Duration.Input): Effect.Effect<void> {
    return Effect.suspend(() =>
      this.setTime(this.now + Duration.toMillis(Duration.fromInputUnsafe(duration)))
    )
  }

  withLive<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    // Waiting on the live clock is real work: virtual time must not jump meanwhile.
    return Effect.acquireUseRelease(
      Effect.sync(() => this.tracker.begin("TestClock.withLive")),
      () => Effect.provideService(effect, Clock.Clock, this.live),
      (end) => Effect.sync(end)
    )
  }
}
