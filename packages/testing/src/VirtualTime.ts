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
import { Cause, type Context, type Duration, Effect, type Scope } from "effect"
import { HarnessOptionInvalid } from "./Async.js"
import { makeAutoRegion } from "./internal/autoRegion.js"
import * as realWork from "./internal/realWork.js"
import { ActiveRegion, inheritedRun } from "./internal/regionRefs.js"
import { makeLiveRegion, makeManualRegion, makeScaledRegion } from "./internal/simpleRegions.js"
import {
  RealWorkStuck,
  RealWorkUnobserved,
  VirtualTimeDeadlock,
  VirtualTimeLimitExceeded
} from "./internal/timeErrors.js"

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/**
 * How a run treats time.
 * - `"auto"` (default): `TestClock` advanced automatically to each timer deadline.
 * - `"manual"`: a fresh `TestClock` you move yourself with `TestClock.adjust` / `setTime`.
 * - `"live"`: real time; sleeps really sleep.
 * - `"scaled"`: the wall clock running `scale` times faster (default 10×): a 10 s sleep waits
 *   1 real second. Real work does not pause it — for tests that must interleave with real
 *   servers (a timeout can fire during a slow real call, as in production, only sooner).
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * const mode: VirtualTime.Mode = "manual"
 * ```
 * @since 0.1.0
 * @category models
 */
export type Mode = "auto" | "manual" | "live" | "scaled"

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
  /** `"scaled"` mode: how many times faster than the wall clock time runs (default 10). */
  readonly scale?: number
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

export {
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
  VirtualTimeDeadlock,
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
  VirtualTimeLimitExceeded,
  /**
   * A real operation stayed in flight longer than `realWorkTimeout`. Virtual time is frozen while
   * real work runs, so this is what stops a stuck one.
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
  RealWorkStuck,
  /**
   * A fiber waiting on something the harness could not see (a callback API that started no I/O
   * of its own, e.g. an event on an already-open socket) was resumed from outside Effect after
   * virtual time had moved on under it. The message names the fiber (its open spans) and the
   * virtual interval, and says how to fix it.
   *
   * @example
   * ```ts
   * import { VirtualTime } from "@weft/testing"
   * const isUnobserved = (e: VirtualTime.VirtualTimeError) => e._tag === "RealWorkUnobserved"
   * ```
   * @since 0.2.0
   * @category errors
   */
  RealWorkUnobserved
}

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
  if (mode === "scaled") {
    const scale = options.scale ?? 10
    if (typeof scale !== "number" || !Number.isFinite(scale) || scale <= 0) {
      return Effect.die(
        new HarnessOptionInvalid({
          helper: "VirtualTime",
          option: "scale",
          value: String(scale),
          message: `VirtualTime: scale must be a finite number > 0, got ${String(scale)}`
        })
      )
    }
    return Effect.succeed(makeScaledRegion(options, scale))
  }
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
