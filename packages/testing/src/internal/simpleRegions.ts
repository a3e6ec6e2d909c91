// The regions that do not drive a clock: "live" (real time), "manual" (a TestClock you move)
// and "scaled" (the wall clock, N times faster).
import { Clock, Context, Duration, Effect, Fiber, Layer, Scheduler } from "effect"
import { TestClock } from "effect/testing"
import type { Measured, Options, Region, Timing } from "../VirtualTime.js"
import { ActiveRegion, inheritedRun, noLeaks } from "./regionRefs.js"
import { RealWork } from "./realWork.js"

export const makeLiveRegion = (): Region => {
  const context = Context.make(Clock.Clock, Clock.Clock.defaultValue()).pipe(
    Context.add(ActiveRegion, { mode: "live" })
  )
  const start = Date.now()
  const measure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      if ((yield* ActiveRegion) !== undefined) return yield* inheritedRun(effect, "live")
      const realStart = performance.now()
      const value = yield* Effect.provideContext(effect, context)
      const realMs = performance.now() - realStart
      const timing: Timing = { mode: "live", virtualMs: realMs, realMs, advances: 0 }
      return { value, timing, leaks: noLeaks } satisfies Measured<A>
    })
  return {
    mode: "live",
    context,
    measure,
    run: (effect) => Effect.map(measure(effect), (m) => m.value),
    now: () => Date.now(),
    elapsed: () => Date.now() - start,
    leaks: Effect.succeed(noLeaks),
    realWork: RealWork.defaultValue(),
    beginUnknownWork: () => () => {},
    callUnknown: (_label, call) => ({ value: call(), end: () => {} }),
    fixtureContext: context
  }
}

export const makeManualRegion = (options: Options) =>
  Effect.gen(function* () {
    const testContext = yield* Layer.build(TestClock.layer())
    const testClock = Context.get(testContext, Clock.Clock) as TestClock.TestClock
    const startTime = options.startTime ?? 0
    if (startTime !== 0) yield* testClock.setTime(startTime)
    const context = Context.make(Clock.Clock, testClock).pipe(
      Context.add(Scheduler.Scheduler, Context.get(testContext, Scheduler.Scheduler)),
      Context.add(ActiveRegion, { mode: "manual" })
    )
    const measure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.gen(function* () {
        if ((yield* ActiveRegion) !== undefined) return yield* inheritedRun(effect, "manual")
        const realStart = performance.now()
        const start = testClock.currentTimeMillisUnsafe()
        // A fresh fiber, so its dispatcher comes from the TestClock's scheduler.
        const fiber = yield* Effect.forkChild(Effect.provideContext(effect, context))
        const value = yield* Fiber.join(fiber)
        const timing: Timing = {
          mode: "manual",
          virtualMs: testClock.currentTimeMillisUnsafe() - start,
          realMs: performance.now() - realStart,
          advances: 0
        }
        return { value, timing, leaks: noLeaks } satisfies Measured<A>
      })
    const region: Region = {
      mode: "manual",
      context,
      measure,
      run: (effect) => Effect.map(measure(effect), (m) => m.value),
      now: () => testClock.currentTimeMillisUnsafe(),
      elapsed: () => testClock.currentTimeMillisUnsafe() - startTime,
      leaks: Effect.succeed(noLeaks),
      realWork: RealWork.defaultValue(),
      beginUnknownWork: () => () => {},
      callUnknown: (_label, call) => ({ value: call(), end: () => {} }),
      fixtureContext: context
    }
    return region
  })

// The wall clock, `scale` times faster: a sleep of d waits d / scale real ms. Real work does not
// pause it (it is not driven), so it interleaves with real servers the way production would —
// only faster.
class ScaledClock implements Clock.Clock {
  private readonly realStart = performance.now()
  constructor(
    private readonly start: number,
    private readonly scale: number
  ) {}
  currentTimeMillisUnsafe(): number {
    return this.start + (performance.now() - this.realStart) * this.scale
  }
  currentTimeNanosUnsafe(): bigint {
    return BigInt(Math.floor(this.currentTimeMillisUnsafe() * 1_000_000))
  }
  monotonicTimeNanosUnsafe(): bigint {
    return this.currentTimeNanosUnsafe()
  }
  readonly currentTimeMillis = Effect.sync(() => this.currentTimeMillisUnsafe())
  readonly currentTimeNanos = Effect.sync(() => this.currentTimeNanosUnsafe())
  readonly monotonicTimeNanos = Effect.sync(() => this.monotonicTimeNanosUnsafe())
  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      const millis = Duration.toMillis(duration)
      if (!Number.isFinite(millis)) return
      const deadline = this.currentTimeMillisUnsafe() + millis
      // A timer may fire a little early on the real clock: wait out the rest, so a sleep of d
      // always ends at least d later on this clock.
      let timer: ReturnType<typeof setTimeout> | undefined
      const wait = () => {
        const remaining = deadline - this.currentTimeMillisUnsafe()
        if (remaining <= 0) return resume(Effect.void)
        timer = setTimeout(wait, Math.max(1, remaining / this.scale))
      }
      wait()
      return Effect.sync(() => clearTimeout(timer))
    })
  }
}

export const makeScaledRegion = (options: Options, scale: number): Region => {
  const startTime = options.startTime ?? 0
  const clock = new ScaledClock(startTime, scale)
  const context = Context.make(Clock.Clock, clock as Clock.Clock).pipe(
    Context.add(ActiveRegion, { mode: "scaled" })
  )
  const measure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      if ((yield* ActiveRegion) !== undefined) return yield* inheritedRun(effect, "scaled")
      const realStart = performance.now()
      const start = clock.currentTimeMillisUnsafe()
      const value = yield* Effect.provideContext(effect, context)
      const timing: Timing = {
        mode: "scaled",
        virtualMs: clock.currentTimeMillisUnsafe() - start,
        realMs: performance.now() - realStart,
        advances: 0
      }
      return { value, timing, leaks: noLeaks } satisfies Measured<A>
    })
  return {
    mode: "scaled",
    context,
    measure,
    run: (effect) => Effect.map(measure(effect), (m) => m.value),
    now: () => clock.currentTimeMillisUnsafe(),
    elapsed: () => clock.currentTimeMillisUnsafe() - startTime,
    leaks: Effect.succeed(noLeaks),
    realWork: RealWork.defaultValue(),
    beginUnknownWork: () => () => {},
    callUnknown: (_label, call) => ({ value: call(), end: () => {} }),
    fixtureContext: context
  }
}
