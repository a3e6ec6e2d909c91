/**
 * Virtual time that advances by itself.
 *
 * A program run under `VirtualTime.run` sees a `TestClock` that jumps straight to the next
 * timer deadline whenever no fiber can run and no real work (a worker round trip, a loopback
 * HTTP call, a database query marked with `withRealWork`) is in flight. Ten minutes of sleeps,
 * retry backoff and timeouts take a few milliseconds, deterministically, without calling
 * `TestClock.adjust`. A program where every fiber waits on something nobody will provide fails
 * fast with `VirtualTimeDeadlock` instead of hanging until the test runner's timeout.
 *
 * @since 0.1.0
 */
import {
  Cause,
  Clock,
  Context,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Metric,
  Schema,
  Scheduler,
  type Scope,
  Tracer
} from "effect"
import { TestClock } from "effect/testing"
import { CountingScheduler } from "./internal/countingScheduler.js"
import * as realWork from "./internal/realWork.js"
import { SpanTracker } from "./internal/spanTracker.js"
import { Attribution, makeContextHook, Owner, owners, quietly } from "./internal/suspensions.js"
import { TimerHeap } from "./internal/timerHeap.js"
import { VirtualClock } from "./internal/virtualClock.js"

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/**
 * How a run treats time.
 * - `"auto"` (default): `TestClock` advanced automatically to each timer deadline.
 * - `"manual"`: a fresh `TestClock` you move yourself with `TestClock.adjust` / `setTime`.
 * - `"live"`: real time; sleeps really sleep.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * const mode: VirtualTime.Mode = "manual"
 * ```
 * @since 0.1.0
 * @category models
 */
export type Mode = "auto" | "manual" | "live"

/**
 * Options for a virtual-time run. Every limit turns a runaway test into a fast, named failure.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * const options: VirtualTime.Options = { maxVirtualTime: "1 day", realWorkTimeout: "5 seconds" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default `"auto"`. */
  readonly mode?: Mode
  /** Maximum number of clock advances before failing with `VirtualTimeLimitExceeded` (default 100,000). */
  readonly maxAdvances?: number
  /** Maximum virtual time a run may reach (default 30 days). */
  readonly maxVirtualTime?: Duration.Input
  /** Real time one marked real operation may stay in flight (default 25 seconds). */
  readonly realWorkTimeout?: Duration.Input
  /** Real quiet time confirming a deadlock before failing (default 10 ms). */
  readonly deadlockGrace?: Duration.Input
  /** Virtual start time in epoch milliseconds (default 0). */
  readonly startTime?: number
}

/**
 * What a run cost: virtual milliseconds elapsed on the clock, real milliseconds spent, and how
 * many times the clock was advanced.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const measured = VirtualTime.measure(Effect.sleep("10 minutes"))
 * // Effect<{ value: void, timing: { virtualMs: 600000, realMs: ~3, advances: 1 } }>
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Timing {
  readonly mode: Mode
  readonly virtualMs: number
  readonly realMs: number
  readonly advances: number
}

/**
 * A value with the timing of the run that produced it.
 *
 * @example
 * ```ts
 * import type { VirtualTime } from "@weft/testing"
 * const m: VirtualTime.Measured<number> = {
 *   value: 1,
 *   timing: { mode: "auto", virtualMs: 0, realMs: 1, advances: 0 },
 *   leaks: { fibers: 0, timers: 0, realWork: [] }
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Measured<A> {
  readonly value: A
  readonly timing: Timing
  /** What the program left behind when it finished (only known in `"auto"` mode). */
  readonly leaks: Leaks
}

/**
 * Things still alive after a driven program finished: fibers it detached (`forkDetach`) that
 * never ended, virtual timers still pending (a detached fiber sleeping), marked real work still
 * in flight.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const leaky = Effect.forkDetach(Effect.forever(Effect.sleep("1 second")))
 * // VirtualTime.measure(leaky) → leaks: { fibers: 1, timers: 1, realWork: [] }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Leaks {
  readonly fibers: number
  readonly timers: number
  readonly realWork: ReadonlyArray<string>
}

const noLeaks: Leaks = { fibers: 0, timers: 0, realWork: [] }

/**
 * Whether anything leaked, and a sentence saying what.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * VirtualTime.describeLeaks({ fibers: 1, timers: 1, realWork: [] })
 * // "1 fiber still running, 1 virtual timer still pending"
 * ```
 * @since 0.1.0
 * @category utils
 */
export const describeLeaks = (leaks: Leaks): string | undefined => {
  const parts: Array<string> = []
  if (leaks.fibers > 0)
    parts.push(`${leaks.fibers} fiber${leaks.fibers === 1 ? "" : "s"} still running`)
  if (leaks.timers > 0) {
    parts.push(`${leaks.timers} virtual timer${leaks.timers === 1 ? "" : "s"} still pending`)
  }
  if (leaks.realWork.length > 0)
    parts.push(`real work still in flight: ${leaks.realWork.join(", ")}`)
  return parts.length === 0 ? undefined : parts.join(", ")
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * Every fiber of the program waits on something nobody will provide: nothing can run, no real
 * work is in flight and no timer is pending. `waiting` lists the innermost open spans.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Deferred, Effect } from "effect"
 * const stuck = Effect.flatMap(Deferred.make<void>(), Deferred.await)
 * VirtualTime.run(stuck) // fails with VirtualTimeDeadlock at virtual t=0ms
 * ```
 * @since 0.1.0
 * @category errors
 */
export class VirtualTimeDeadlock extends Schema.TaggedError<VirtualTimeDeadlock>()(
  "VirtualTimeDeadlock",
  {
    at: Schema.Number,
    waiting: Schema.Array(Schema.String),
    message: Schema.String
  }
) {}

/**
 * The run passed `maxAdvances` or `maxVirtualTime` — usually an endless periodic timer
 * (a poller or watchdog) hiding a program that will never finish.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * VirtualTime.run(Effect.forever(Effect.sleep("1 second")), { maxAdvances: 100 })
 * // fails with VirtualTimeLimitExceeded (limit: "advances")
 * ```
 * @since 0.1.0
 * @category errors
 */
export class VirtualTimeLimitExceeded extends Schema.TaggedError<VirtualTimeLimitExceeded>()(
  "VirtualTimeLimitExceeded",
  {
    limit: Schema.Literals(["advances", "virtual-time"]),
    at: Schema.Number,
    advances: Schema.Number,
    waiting: Schema.Array(Schema.String),
    message: Schema.String
  }
) {}

/**
 * A real operation marked with `withRealWork` stayed in flight longer than `realWorkTimeout`.
 * Virtual time is frozen while real work runs, so this is what stops a stuck one.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const hang = VirtualTime.withRealWork("db:query", Effect.never)
 * VirtualTime.run(hang, { realWorkTimeout: "1 second" }) // fails naming "db:query"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class RealWorkStuck extends Schema.TaggedError<RealWorkStuck>()("RealWorkStuck", {
  label: Schema.String,
  elapsedMs: Schema.Number,
  at: Schema.Number,
  message: Schema.String
}) {}

/**
 * A fiber waiting on something the harness could not see (a callback API that started no async
 * resource of its own, e.g. an event on an already-open socket) was resumed from outside Effect
 * after virtual time had moved on under it: a timeout or sleep may have fired early. The message
 * names the fiber (its open spans) and the virtual interval, and says how to fix it.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * const isUnobserved = (e: VirtualTime.VirtualTimeError) => e._tag === "RealWorkUnobserved"
 * ```
 * @since 0.2.0
 * @category errors
 */
export class RealWorkUnobserved extends Schema.TaggedError<RealWorkUnobserved>()(
  "RealWorkUnobserved",
  {
    label: Schema.String,
    from: Schema.Number,
    to: Schema.Number,
    message: Schema.String
  }
) {}

/**
 * Any failure raised by the virtual-time driver itself.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * const isDriverError = (e: VirtualTime.VirtualTimeError) => e._tag === "VirtualTimeDeadlock"
 * ```
 * @since 0.1.0
 * @category errors
 */
export type VirtualTimeError =
  | VirtualTimeDeadlock
  | VirtualTimeLimitExceeded
  | RealWorkStuck
  | RealWorkUnobserved

// ---------------------------------------------------------------------------------------------
// Real work
// ---------------------------------------------------------------------------------------------

/**
 * The real-work tracker service, keyed `"@weft/RealWork"` (shared by every Weft package by key;
 * the default does nothing).
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const inFlight = Effect.map(VirtualTime.RealWork, (tracker) => tracker.begin("probe"))
 * ```
 * @since 0.1.0
 * @category services
 */
export const RealWork: Context.Reference<RealWorkTracker> = realWork.RealWork

/**
 * The shape of the real-work tracker: `begin(label)` returns the function that ends it.
 *
 * @example
 * ```ts
 * import type { VirtualTime } from "@weft/testing"
 * const noop: VirtualTime.RealWorkTracker = { begin: () => () => {} }
 * ```
 * @since 0.1.0
 * @category models
 */
export type RealWorkTracker = realWork.RealWorkTracker

/**
 * Marks `effect` as real (non-Clock) asynchronous work while it runs, so virtual time does not
 * jump forward under it. Wrap each bounded real operation (one query, one HTTP call); never a
 * region that itself waits on the Clock.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const query = VirtualTime.withRealWork("db:select", Effect.promise(() => fetch("http://127.0.0.1:5432")))
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const withRealWork: <A, E, R>(
  label: string,
  effect: Effect.Effect<A, E, R>
) => Effect.Effect<A, E, R> = realWork.withRealWork

/**
 * Whether the current fiber runs inside a self-advancing virtual-time region.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const inside = VirtualTime.run(VirtualTime.isActive) // Effect<true>
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const isActive: Effect.Effect<boolean> = Effect.suspend(() =>
  Effect.map(ActiveRegion, (region) => region !== undefined)
)

interface RegionMarker {
  readonly mode: Mode
}

// Set in `fixtureContext`: the fiber runs a fixture call.
const FixtureCall = Context.Reference<boolean>("@weft/testing/FixtureCall", {
  defaultValue: () => false
})

const ActiveRegion = Context.Reference<RegionMarker | undefined>(
  "@weft/testing/VirtualTimeRegion",
  {
    defaultValue: () => undefined
  }
)

// ---------------------------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------------------------

const defaults = {
  maxAdvances: 100_000,
  maxVirtualTime: Duration.days(30),
  realWorkTimeout: Duration.seconds(25),
  deadlockGrace: Duration.millis(10)
}

const formatMs = (ms: number): string => (Number.isInteger(ms) ? `${ms}ms` : `${ms.toFixed(3)}ms`)

type Wake =
  | { readonly _tag: "Idle" }
  | {
      readonly _tag: "Stuck"
      readonly label: string
      readonly elapsedMs: number
      readonly unknown: boolean
    }

const interruptWithin = (fiber: Fiber.Fiber<unknown, unknown>, waitMs: number) =>
  Effect.callback<void>((resume) => {
    fiber.interruptUnsafe()
    const timer = setTimeout(() => resume(Effect.void), waitMs)
    const remove = fiber.addObserver(() => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      remove()
    })
  })

const nextTurn = Effect.callback<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

const realSleep = (ms: number) =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })

/**
 * A virtual-time region: one clock shared by every effect run in it, for as long as its scope
 * lives. The harness keeps one per test, so time moves forward monotonically across executions
 * and fixtures bound to `context` follow the same clock.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const region = yield* VirtualTime.makeRegion()
 *   yield* region.run(Effect.sleep("1 hour"))
 *   yield* region.run(Effect.sleep("1 hour"))
 *   return region.elapsed() // 7_200_000
 * }))
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Region {
  readonly mode: Mode
  /** The services effects in the region run with (Clock, Scheduler, real-work tracker, …). */
  readonly context: Context.Context<never>
  /** Runs `effect` in the region (driving the clock in `"auto"` mode) and measures it. */
  readonly measure: <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<Measured<A>, E | VirtualTimeError, R>
  /** Runs `effect` in the region. */
  readonly run: <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | VirtualTimeError, R>
  /** Current Clock time in milliseconds. */
  readonly now: () => number
  /** Clock milliseconds since the region started. */
  readonly elapsed: () => number
  /**
   * What is alive in the region right now (call when nothing should be). Fixture calls still
   * sleeping on the clock (bound to `fixtureContext`, abandoned by a timed-out node) are cut off
   * first and not counted.
   */
  readonly leaks: Effect.Effect<Leaks>
  /** The region's real-work tracker (a no-op unless `"auto"`), for callbacks outside fibers. */
  readonly realWork: RealWorkTracker
  /**
   * Marks work of unknown nature — a Promise from user code, which may be real I/O or may wait
   * on this region's clock — and returns the function that ends it. Call it before starting the
   * work. It holds time still like real work, except while a fixture bound to
   * `fixtureContext` has a call in flight or a run started after it is still running (then the
   * work is waiting on virtual time). A no-op unless `"auto"`.
   */
  readonly beginUnknownWork: (label: string) => () => void
  /**
   * Calls `call` (user code that may start work of unknown nature) and marks what it returns as
   * such work until `end` is called; fibers of the region it starts — directly or from a Promise
   * chain it began, e.g. `ctx.getResource` or a fixture call — are counted as work on its behalf,
   * and while any is alive it does not hold time. A plain call unless `"auto"`.
   */
  readonly callUnknown: <A>(
    label: string,
    call: () => A
  ) => { readonly value: A; readonly end: () => void }
  /** The context to bind `@weft/fixtures` fixtures to: `context`, counting their calls in flight. */
  readonly fixtureContext: Context.Context<never>
}

const inheritedRun = <A, E, R>(effect: Effect.Effect<A, E, R>, mode: Mode) =>
  Effect.gen(function* () {
    const realStart = performance.now()
    const start = yield* Clock.currentTimeMillis
    const value = yield* effect
    const end = yield* Clock.currentTimeMillis
    const timing: Timing = {
      mode,
      virtualMs: end - start,
      realMs: performance.now() - realStart,
      advances: 0
    }
    return { value, timing, leaks: noLeaks } satisfies Measured<A>
  })

const makeLiveRegion = (): Region => {
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

const makeManualRegion = (options: Options) =>
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

interface ActiveRun {
  readonly seq: number
  readonly fiber: Fiber.Fiber<unknown, unknown>
  readonly fail: (error: VirtualTimeError) => void
}

const makeAutoRegion = (options: Options) =>
  Effect.gen(function* () {
    const maxAdvances = options.maxAdvances ?? defaults.maxAdvances
    const millis = (input: Duration.Input | undefined, fallback: Duration.Duration) =>
      Duration.toMillis(input === undefined ? fallback : Duration.fromInputUnsafe(input))
    const maxVirtualTime = millis(options.maxVirtualTime, defaults.maxVirtualTime)
    const realWorkTimeout = millis(options.realWorkTimeout, defaults.realWorkTimeout)
    const deadlockGrace = millis(options.deadlockGrace, defaults.deadlockGrace)

    const baseScheduler = yield* Scheduler.Scheduler
    const startTime = options.startTime ?? 0
    const virtualNow = () => testClock.currentTimeMillisUnsafe() - startTime

    // --- idle detection -----------------------------------------------------------------------
    let waiter: ((wake: Wake) => void) | undefined
    let checkScheduled = false
    let stuckTimer: ReturnType<typeof setTimeout> | undefined
    const wakeUp = (wake: Wake) => {
      const resume = waiter
      if (resume === undefined) return
      waiter = undefined
      if (stuckTimer !== undefined) clearTimeout(stuckTimer)
      stuckTimer = undefined
      resume(wake)
    }
    const scheduler: CountingScheduler = new CountingScheduler(baseScheduler, () => poke())
    const tracker: realWork.CountingTracker = new realWork.CountingTracker(
      () => armStuckTimer(),
      () => poke()
    )
    const activity = () => scheduler.epoch + tracker.epoch
    // Work of unknown nature waits on virtual time (so must not hold it) while a fixture call
    // is in flight or a run it started is still going; otherwise it is treated as real work.
    const holdsTime = (op: realWork.InFlight) => {
      // Work started on its behalf is running as fibers of the region: it waits on them.
      if (op.owner !== undefined && op.owner.children > 0) return false
      if (op.unknown === undefined) return true
      return fixtureFibers === 0 && ![...active].some((run) => run.seq > op.unknown!.runSeq)
    }
    const realWorkHolds = () => {
      for (const op of tracker.inFlight.values()) if (holdsTime(op)) return true
      return false
    }
    // Quiet = nothing queued, nothing in flight, for two event-loop turns with no activity.
    const confirm = (turnsLeft: number, epoch: number) => {
      if (waiter === undefined) return
      if (scheduler.queued > 0) return
      if (realWorkHolds()) {
        armStuckTimer()
        return
      }
      if (activity() !== epoch) return poke()
      if (turnsLeft > 1) {
        setImmediate(() => confirm(turnsLeft - 1, epoch))
      } else {
        wakeUp({ _tag: "Idle" })
      }
    }
    const poke = () => {
      if (waiter === undefined || checkScheduled) return
      checkScheduled = true
      quietly(() =>
        setImmediate(() => {
          checkScheduled = false
          confirm(2, activity())
        })
      )
    }
    const armStuckTimer = () => {
      if (waiter === undefined || stuckTimer !== undefined) return
      const oldest = tracker.oldest(holdsTime)
      if (oldest === undefined) return
      const remaining = Math.max(0, oldest.startedAt + realWorkTimeout - performance.now())
      stuckTimer = quietly(() =>
        setTimeout(() => {
          stuckTimer = undefined
          const current = tracker.oldest(holdsTime)
          if (current === undefined) return
          const elapsedMs = performance.now() - current.startedAt
          if (elapsedMs >= realWorkTimeout) {
            wakeUp({
              _tag: "Stuck",
              label: current.label,
              elapsedMs,
              unknown: current.unknown !== undefined
            })
          } else {
            armStuckTimer()
          }
        }, remaining)
      )
    }

    // --- the region's services ----------------------------------------------------------------
    const timers = new TimerHeap()
    // Between the wake-ups of a program's own `TestClock.adjust`, let woken fibers run.
    const settled = Effect.callback<void>((resume) => {
      const check = () => {
        if (scheduler.queued === 0) resume(Effect.void)
        else setImmediate(check)
      }
      setImmediate(check)
    })
    // Fixture calls sleeping on the clock: a call the test abandoned (its node timed out) is cut
    // off at the leak check rather than reported — the harness, not the test, handed it out.
    const fixtureSleepers = new Set<Fiber.Fiber<unknown, unknown>>()
    const testClock = new VirtualClock(startTime, timers, tracker, settled, (fiber) => {
      if (!fiber.getRef(FixtureCall)) return undefined
      fixtureSleepers.add(fiber)
      return () => fixtureSleepers.delete(fiber)
    })
    const clock = testClock
    // Fibers started inside the region and not yet ended (detached ones outlive their run).
    let liveFibers = 0
    const outerMetrics = yield* Metric.FiberRuntimeMetrics
    const attribution = new Attribution()
    const fiberMetrics: Metric.FiberRuntimeMetricsService = {
      recordFiberStart: (context) => {
        liveFibers++
        attribution.start(context)
        outerMetrics?.recordFiberStart(context)
      },
      recordFiberEnd: (context, exit) => {
        liveFibers--
        if (attribution.end(context)) poke()
        outerMetrics?.recordFiberEnd(context, exit)
      }
    }
    // Fibers of fixture calls (fixtures bound to `fixtureContext`), counted apart.
    let fixtureFibers = 0
    const fixtureMetrics: Metric.FiberRuntimeMetricsService = {
      recordFiberStart: (context) => {
        fixtureFibers++
        fiberMetrics.recordFiberStart(context)
        poke()
      },
      recordFiberEnd: (context, exit) => {
        fixtureFibers--
        fiberMetrics.recordFiberEnd(context, exit)
        poke()
      }
    }
    const spans = new SpanTracker()
    const tracer = yield* Tracer.Tracer
    let waking = false
    const contextHook = (inner: Tracer.Tracer["context"]) =>
      makeContextHook(
        {
          beginReal: (label, owner) => tracker.beginSuspended(label, owner),
          now: () => testClock.currentTimeMillisUnsafe(),
          describe: (fiber) =>
            SpanTracker.path(Context.getOrUndefined(fiber.context, Tracer.ParentSpan)) ||
            `fiber #${fiber.id}`,
          internal: () => waking || scheduler.running > 0,
          onExternalResume: (label, since, now) => {
            const error = new RealWorkUnobserved({
              label,
              from: since - startTime,
              to: now - startTime,
              message:
                `${label} was resumed by a callback from outside Effect (real work the harness could ` +
                `not see) after virtual time had moved on under it, from t=${formatMs(since - startTime)} ` +
                `to t=${formatMs(now - startTime)}. Mark that work with VirtualTime.withRealWork, start it ` +
                `inside the callback's register (or return a Promise / Effect.tryPromise), or use ` +
                `time: "scaled" or "live" for this test.`
            })
            // Fail outside the fiber that is resuming.
            queueMicrotask(() => failAll(error))
          }
        },
        inner as Parameters<typeof makeContextHook>[1]
      ) as NonNullable<Tracer.Tracer["context"]>
    const context = Context.make(Clock.Clock, clock as Clock.Clock).pipe(
      Context.add(Scheduler.Scheduler, scheduler as Scheduler.Scheduler),
      Context.add(realWork.RealWork, tracker as realWork.RealWorkTracker),
      Context.add(
        Tracer.Tracer,
        spans.wrap(tracer, (inner) => contextHook(inner))
      ),
      Context.add(
        Metric.FiberRuntimeMetrics,
        fiberMetrics as Metric.FiberRuntimeMetricsService | undefined
      ),
      Context.add(ActiveRegion, { mode: "auto" } as RegionMarker | undefined)
    ) as Context.Context<never>
    const fixtureContext = Context.add(
      context,
      Metric.FiberRuntimeMetrics,
      fixtureMetrics as Metric.FiberRuntimeMetricsService | undefined
    ).pipe(Context.add(FixtureCall, true))

    // --- the driver: one per region, running while any run is active ----------------------------
    const active = new Set<ActiveRun>()
    let runSeq = 0
    let driving = false
    let advances = 0
    const failAll = (error: VirtualTimeError) => {
      for (const run of [...active]) run.fail(error)
    }
    const waitForQuiet = Effect.callback<Wake>((resume) => {
      waiter = (wake) => resume(Effect.succeed(wake))
      poke()
      armStuckTimer()
      return Effect.sync(() => {
        waiter = undefined
        if (stuckTimer !== undefined) clearTimeout(stuckTimer)
        stuckTimer = undefined
      })
    })
    const stillWaiting = () => [...active].some((run) => run.fiber.pollUnsafe() === undefined)
    const driverLoop: Effect.Effect<void> = Effect.gen(function* () {
      for (;;) {
        if (!stillWaiting()) {
          driving = false
          return
        }
        const wake = yield* waitForQuiet
        if (!stillWaiting()) continue
        if (wake._tag === "Stuck") {
          const at = virtualNow()
          failAll(
            new RealWorkStuck({
              label: wake.label,
              elapsedMs: Math.round(wake.elapsedMs),
              at,
              message:
                `real operation "${wake.label}" still in flight after ${Math.round(wake.elapsedMs)}ms ` +
                `of real time (virtual t=${formatMs(at)}); virtual time is frozen ` +
                `while real work runs. Raise realWorkTimeout if it is legitimately slow.` +
                (wake.unknown
                  ? " (A pending Promise from your code is taken for real work; if it waits on " +
                    "the virtual clock instead, return an Effect.)"
                  : "")
            })
          )
          continue
        }
        const next = timers.peek()
        if (next === undefined) {
          // Nothing runnable, nothing in flight, no timer: confirm after a short real grace.
          const epoch = activity()
          yield* realSleep(deadlockGrace)
          if (
            !stillWaiting() ||
            activity() !== epoch ||
            scheduler.queued > 0 ||
            realWorkHolds() ||
            timers.peek() !== undefined
          ) {
            continue
          }
          const at = virtualNow()
          const waiting = spans.describe()
          failAll(
            new VirtualTimeDeadlock({
              at,
              waiting,
              message:
                `deadlock at virtual t=${formatMs(at)}: no fiber can run, no real work is in flight ` +
                `and no timer is pending, so the program can never finish. ` +
                (waiting.length > 0
                  ? `Still open: ${waiting.join("; ")}.`
                  : "Every fiber waits on a Deferred, Queue, latch or join that nothing will complete.") +
                ` (If it awaits real I/O through a callback the harness cannot see, mark that work ` +
                `with withRealWork, or use time: "scaled" or "live".)`
            })
          )
          continue
        }
        const target = Math.max(next, testClock.currentTimeMillisUnsafe())
        if (advances >= maxAdvances || target - startTime > maxVirtualTime) {
          const at = virtualNow()
          const limit = advances >= maxAdvances ? "advances" : "virtual-time"
          const waiting = spans.describe()
          failAll(
            new VirtualTimeLimitExceeded({
              limit,
              at,
              advances,
              waiting,
              message:
                (limit === "advances"
                  ? `virtual time advanced ${maxAdvances} times (now t=${formatMs(at)}) without the program finishing`
                  : `the next timer fires at virtual t=${formatMs(target - startTime)}, past maxVirtualTime ` +
                    `${formatMs(maxVirtualTime)}`) +
                `; an endless periodic timer (poller, watchdog) may hide a program that never ends.` +
                (waiting.length > 0 ? ` Still open: ${waiting.join("; ")}.` : "")
            })
          )
          continue
        }
        advances++
        waking = true
        try {
          testClock.wakeNext(target)
        } finally {
          waking = false
        }
      }
    })
    let driverFiber: Fiber.Fiber<void> | undefined
    const ensureDriver = () => {
      if (driving) return
      driving = true
      driverFiber = Effect.runFork(driverLoop)
    }
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => (driverFiber === undefined ? Effect.void : Fiber.interrupt(driverFiber)))
    )

    const currentLeaks = Effect.gen(function* () {
      for (const fiber of [...fixtureSleepers]) fiber.interruptUnsafe()
      // Fibers interrupted on the way out need a few turns to end.
      for (let turn = 0; turn < 5 && (liveFibers > 0 || timers.size > 0); turn++) yield* nextTurn
      const leaks: Leaks = {
        fibers: Math.max(0, liveFibers),
        timers: timers.size,
        realWork: [...tracker.inFlight.values()].map((op) => op.label)
      }
      return leaks
    })

    const measure = <A, E, R>(
      effect: Effect.Effect<A, E, R>
    ): Effect.Effect<Measured<A>, E | VirtualTimeError, R> =>
      Effect.gen(function* () {
        if ((yield* ActiveRegion) !== undefined) return yield* inheritedRun(effect, "auto")
        const realStart = performance.now()
        const virtualStart = testClock.currentTimeMillisUnsafe()
        const advancesStart = advances
        // Numbered before it starts, so work it begins counts as begun after it.
        const seq = ++runSeq
        const fiber = yield* Effect.forkChild(Effect.provideContext(effect, context))
        let verdict: VirtualTimeError | undefined
        let virtualEnd = virtualStart
        let advancesEnd = advancesStart
        yield* Effect.callback<void>((resume) => {
          const run: ActiveRun = {
            seq,
            fiber,
            fail: (error) => {
              if (!active.delete(run)) return
              verdict = error
              resume(Effect.void)
            }
          }
          active.add(run)
          const removeObserver = fiber.addObserver(() => {
            // The clock may move on for other runs before this caller resumes.
            virtualEnd = testClock.currentTimeMillisUnsafe()
            advancesEnd = advances
            active.delete(run)
            poke()
            resume(Effect.void)
          })
          ensureDriver()
          poke()
          return Effect.sync(() => {
            removeObserver()
            active.delete(run)
          })
        })
        if (verdict !== undefined) {
          yield* interruptWithin(fiber, 1_000)
          return yield* Effect.fail(verdict)
        }
        const exit = yield* Fiber.await(fiber)
        const leaks = yield* currentLeaks
        if (Exit.isFailure(exit)) return yield* Effect.failCause(exit.cause)
        const timing: Timing = {
          mode: "auto",
          virtualMs: virtualEnd - virtualStart,
          realMs: performance.now() - realStart,
          advances: advancesEnd - advancesStart
        }
        return { value: exit.value, timing, leaks } satisfies Measured<A>
      })

    const region: Region = {
      mode: "auto",
      context,
      measure,
      run: (effect) => Effect.map(measure(effect), (m) => m.value),
      now: () => testClock.currentTimeMillisUnsafe(),
      elapsed: virtualNow,
      leaks: currentLeaks,
      realWork: tracker,
      beginUnknownWork: (label) => tracker.beginUnknown(label, runSeq),
      callUnknown: (label, call) => {
        const owner = new Owner()
        const end = tracker.beginUnknown(label, runSeq, owner)
        try {
          return { value: owners.run(owner, call), end }
        } catch (error) {
          end()
          throw error
        }
      },
      fixtureContext
    }
    return region
  })

/**
 * Creates a virtual-time region that lives as long as the current scope (see {@link Region}).
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const program = Effect.scoped(
 *   Effect.flatMap(VirtualTime.makeRegion({ maxVirtualTime: "1 day" }), (region) =>
 *     region.run(Effect.sleep("1 hour"))
 *   )
 * )
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeRegion = (options: Options = {}): Effect.Effect<Region, never, Scope.Scope> => {
  const mode = options.mode ?? "auto"
  if (mode === "live") return Effect.succeed(makeLiveRegion())
  if (mode === "manual") return makeManualRegion(options)
  return makeAutoRegion(options)
}

/**
 * Runs `effect` under virtual time and returns its value with the virtual and real time it took.
 * Inside an enclosing virtual-time region the effect simply joins that region's clock.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const { value, timing } = yield* VirtualTime.measure(Effect.as(Effect.sleep("10 minutes"), "done"))
 *   // value === "done", timing.virtualMs === 600_000, timing.realMs ≈ 3
 * })
 * ```
 * @since 0.1.0
 * @category running
 */
export const measure = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: Options = {}
): Effect.Effect<Measured<A>, E | VirtualTimeError, R> =>
  Effect.gen(function* () {
    const region = yield* ActiveRegion
    if (region !== undefined) return yield* inheritedRun(effect, region.mode)
    return yield* Effect.scoped(Effect.flatMap(makeRegion(options), (r) => r.measure(effect)))
  })

/**
 * Runs `effect` under virtual time (see the module docs). Data-first or data-last.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect, Schedule } from "effect"
 * let attempts = 0
 * const flaky = Effect.suspend(() => (++attempts < 3 ? Effect.fail("down") : Effect.succeed("up")))
 * // attempts at virtual 0, 2000 and 6000 ms; about a millisecond of real time
 * const program = flaky.pipe(Effect.retry(Schedule.exponential("2 seconds")), VirtualTime.run())
 * ```
 * @since 0.1.0
 * @category running
 */
export const run: {
  (
    options?: Options
  ): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | VirtualTimeError, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: Options
  ): Effect.Effect<A, E | VirtualTimeError, R>
} = function () {
  // biome-ignore lint/complexity/noArguments: dual arity
  const args = arguments
  if (Effect.isEffect(args[0])) {
    const effect = args[0] as Effect.Effect<unknown, unknown, unknown>
    return Effect.map(measure(effect, (args[1] as Options | undefined) ?? {}), (m) => m.value)
  }
  const options = (args[0] as Options | undefined) ?? {}
  return (effect: Effect.Effect<unknown, unknown, unknown>) =>
    Effect.map(measure(effect, options), (m) => m.value)
} as never

/**
 * Promise facade: runs a self-contained effect under virtual time.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const value = await VirtualTime.runPromise(Effect.as(Effect.sleep("1 hour"), 42)) // 42, instantly
 * ```
 * @since 0.1.0
 * @category running
 */
export const runPromise = <A, E>(effect: Effect.Effect<A, E>, options?: Options): Promise<A> =>
  Effect.runPromise(run(effect, options))

/**
 * Promise facade of {@link measure}.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const { timing } = await VirtualTime.measurePromise(Effect.sleep("1 hour"))
 * timing.virtualMs // 3_600_000
 * ```
 * @since 0.1.0
 * @category running
 */
export const measurePromise = <A, E>(
  effect: Effect.Effect<A, E>,
  options?: Options
): Promise<Measured<A>> => Effect.runPromise(measure(effect, options))

/**
 * Renders a driver failure (or any cause) as the first line a person should read.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Cause } from "effect"
 * VirtualTime.describeCause(Cause.fail("boom")) // "boom"
 * ```
 * @since 0.1.0
 * @category utils
 */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (error instanceof Error) return error.message
  return typeof error === "string" ? error : JSON.stringify(error)
}
