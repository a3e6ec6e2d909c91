/**
 * Async test utilities: waiting for conditions, convergence, time limits, expected failures,
 * running many operations at once.
 *
 * Effect functions wait on Effect's `Clock`, so under `VirtualTime` (the harness default) every
 * wait is virtual — instant and deterministic. The `…Promise` twins are for plain async code and
 * wait in real time.
 *
 * @since 0.1.0
 */
import { Cause, Clock, Duration, Effect, Exit, Option, Schema } from "effect"
import { AssertionFailed, fail, formatMillis, millisOf, show } from "./internal/assertionFailed.js"

export {
  /**
   * The error every assertion raises: `assertion` names it, `message` says what happened.
   *
   * @example
   * ```ts
   * import { Async } from "@weft/testing"
   * const isAssertion = (e: unknown) => e instanceof Async.AssertionFailed
   * ```
   * @since 0.1.0
   * @category errors
   */
  AssertionFailed
}

/**
 * A limit given to a test helper is not usable (negative, not a number, not a duration). Names
 * the helper, the option and the value.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * const e = new Async.HarnessOptionInvalid({ helper: "waitFor", option: "timeout", value: "-1", message: "…" })
 * ```
 * @since 0.2.0
 * @category errors
 */
export class HarnessOptionInvalid extends Schema.TaggedError<HarnessOptionInvalid>()(
  "HarnessOptionInvalid",
  {
    helper: Schema.String,
    option: Schema.String,
    value: Schema.String,
    message: Schema.String
  }
) {}

const invalid = (helper: string, option: string, value: unknown, expected: string) =>
  new HarnessOptionInvalid({
    helper,
    option,
    value: String(value),
    message: `${helper}: ${option} must be ${expected}, got ${typeof value === "string" ? JSON.stringify(value) : String(value)}`
  })

/**
 * Checks a duration limit (a non-negative, non-NaN `Duration.Input`) and returns it in
 * milliseconds; throws `HarnessOptionInvalid` naming the helper and option otherwise.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * Async.checkDuration("advance", "duration", "1 second") // 1000
 * ```
 * @since 0.2.0
 * @category utils
 */
export const checkDuration = (helper: string, option: string, input: unknown): number => {
  // effect reads a NaN number as zero; a limit of NaN is a mistake, not "no time".
  const decoded =
    typeof input === "number" && Number.isNaN(input)
      ? Option.none()
      : Duration.fromInput(input as Duration.Input)
  const millis = Option.isSome(decoded) ? Duration.toMillis(decoded.value) : Number.NaN
  if (Number.isNaN(millis) || millis < 0)
    throw invalid(helper, option, input, 'a non-negative duration (e.g. 500 or "2 seconds")')
  return millis
}

/**
 * Checks a number option (finite unless `allowInfinity`, at least `min`, an integer if asked).
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * Async.checkNumber("assertConverges", "tolerance", 0.5, { min: 0 }) // 0.5
 * ```
 * @since 0.2.0
 * @category utils
 */
export const checkNumber = (
  helper: string,
  option: string,
  value: unknown,
  rule: { readonly min: number; readonly integer?: boolean }
): number => {
  if (
    typeof value !== "number" ||
    Number.isNaN(value) ||
    !Number.isFinite(value) ||
    value < rule.min ||
    (rule.integer === true && !Number.isInteger(value))
  ) {
    throw invalid(
      helper,
      option,
      value,
      `${rule.integer === true ? "an integer" : "a finite number"} ≥ ${rule.min}`
    )
  }
  return value
}

const checked = <A>(f: () => A): Effect.Effect<A, HarnessOptionInvalid> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (error) {
      if (error instanceof HarnessOptionInvalid) return Effect.fail(error)
      throw error
    }
  })

/**
 * Options for polling helpers. `timeout` defaults to 5 seconds, `interval` to 10 ms.
 *
 * @example
 * ```ts
 * import type { Async } from "@weft/testing"
 * const options: Async.PollOptions = { timeout: "2 seconds", interval: "50 millis" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface PollOptions {
  readonly timeout?: Duration.Input
  readonly interval?: Duration.Input
  /** Describes what is awaited, for the failure message. */
  readonly message?: string
}

const pollDefaults = (helper: string, options: PollOptions | undefined) => ({
  timeout: checkDuration(helper, "timeout", options?.timeout ?? "5 seconds"),
  interval: checkDuration(helper, "interval", options?.interval ?? "10 millis")
})

const elapsedSince = (start: number) => Effect.map(Clock.currentTimeMillis, (now) => now - start)

/**
 * Polls `condition` until it is true; fails with `AssertionFailed` after `timeout`.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * import { Effect, Ref } from "effect"
 * const program = Effect.gen(function* () {
 *   const ready = yield* Ref.make(false)
 *   yield* Effect.forkChild(Effect.andThen(Effect.sleep("1 second"), Ref.set(ready, true)))
 *   yield* Async.waitFor(Ref.get(ready), { timeout: "5 seconds" })
 * })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const waitFor = <E, R>(
  condition: Effect.Effect<boolean, E, R>,
  options?: PollOptions
): Effect.Effect<void, E | AssertionFailed | HarnessOptionInvalid, R> =>
  Effect.gen(function* () {
    const { timeout, interval } = yield* checked(() => pollDefaults("waitFor", options))
    const start = yield* Clock.currentTimeMillis
    let checks = 0
    for (;;) {
      checks++
      if (yield* condition) return
      const elapsed = yield* elapsedSince(start)
      if (elapsed >= timeout) {
        return yield* fail(
          "waitFor",
          `${options?.message ?? "condition"} still false after ${formatMillis(elapsed)} ` +
            `(${checks} checks, every ${formatMillis(interval)})`
        )
      }
      yield* Effect.sleep(Math.min(interval, timeout - elapsed))
    }
  })

/**
 * Retries `assertion` until it succeeds (it may fail or throw meanwhile); after `timeout` fails
 * with the last failure as the message.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * import { Effect } from "effect"
 * let calls = 0
 * const check = Effect.sync(() => {
 *   if (++calls < 3) throw new Error("not yet")
 *   return calls
 * })
 * Async.assertEventually(check, { timeout: "1 second" }) // Effect<3>
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertEventually = <A, E, R>(
  assertion: Effect.Effect<A, E, R>,
  options?: PollOptions
): Effect.Effect<A, AssertionFailed | HarnessOptionInvalid, R> =>
  Effect.gen(function* () {
    const { timeout, interval } = yield* checked(() => pollDefaults("assertEventually", options))
    const start = yield* Clock.currentTimeMillis
    let attempts = 0
    for (;;) {
      attempts++
      const exit = yield* Effect.exit(assertion)
      if (Exit.isSuccess(exit)) return exit.value
      if (Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.interrupt
      const elapsed = yield* elapsedSince(start)
      if (elapsed >= timeout) {
        return yield* fail(
          "assertEventually",
          `${options?.message ?? "assertion"} still failing after ${formatMillis(elapsed)} ` +
            `(${attempts} attempts); last failure: ${show(Cause.squash(exit.cause))}`
        )
      }
      yield* Effect.sleep(Math.min(interval, timeout - elapsed))
    }
  })

/**
 * Options for {@link assertConverges}.
 *
 * @example
 * ```ts
 * import type { Async } from "@weft/testing"
 * const options: Async.ConvergeOptions = { tolerance: 0.5, samples: 20, window: 4 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ConvergeOptions {
  /** The band the settled values must stay within (max − min of the window). */
  readonly tolerance: number
  /** Maximum number of samples to take (default 20). */
  readonly samples?: number
  /** Fewest samples before it may pass (default 5): a series that has not moved yet is no proof. */
  readonly minSamples?: number
  /** How many consecutive samples must sit within `tolerance` (default 3, at least 2). */
  readonly window?: number
  /** Total time budget on the Clock (default 10 seconds). */
  readonly timeout?: Duration.Input
  /** Wait between samples (default none). */
  readonly interval?: Duration.Input
}

/**
 * The outcome of a convergence check: the settled value, when it settled, every sample taken.
 *
 * @example
 * ```ts
 * import type { Async } from "@weft/testing"
 * const c: Async.Convergence = { value: 10, settledAt: 3, samples: [0, 9, 10, 10, 10] }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Convergence {
  readonly value: number
  /** Index of the first sample of the settled window. */
  readonly settledAt: number
  readonly samples: ReadonlyArray<number>
}

const spread = (values: ReadonlyArray<number>) => Math.max(...values) - Math.min(...values)

// Still drifting: every recent step moves the same way and none is smaller than the one before
// (a converging sequence's steps shrink; a drift's stay the same or grow, however small).
const drifting = (recent: ReadonlyArray<number>) => {
  const steps = recent.slice(1).map((v, i) => v - recent[i]!)
  if (steps.length < 2) return false
  return steps.every(
    (step, i) =>
      step !== 0 &&
      Math.sign(step) === Math.sign(steps[0]!) &&
      (i === 0 || Math.abs(step) >= Math.abs(steps[i - 1]!) * (1 - 1e-9))
  )
}

// Still oscillating: the recent steps keep changing direction without shrinking (a converging
// oscillation's swings get smaller; a steady one's do not, however small they are).
const oscillating = (recent: ReadonlyArray<number>) => {
  const steps = recent.slice(1).map((v, i) => v - recent[i]!)
  if (steps.length < 2 || steps.some((step) => step === 0)) return false
  return steps.every(
    (step, i) =>
      i === 0 ||
      (Math.sign(step) !== Math.sign(steps[i - 1]!) &&
        Math.abs(step) >= Math.abs(steps[i - 1]!) * (1 - 1e-9))
  )
}

/**
 * Samples `getter` until its values settle: the last `window` samples all lie within a band of
 * width `tolerance` and are not still drifting (steps all in one direction, none smaller than the
 * one before). How big the early steps are does not matter; values that keep oscillating or
 * drifting at a steady pace — even in steps far below the tolerance — never settle and the
 * assertion fails, listing the samples.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * import { Effect } from "effect"
 * let x = 0
 * const step = Effect.sync(() => (x = x + (100 - x) / 2)) // 50, 75, 87.5, … → 100
 * Async.assertConverges(step, { tolerance: 1, samples: 20 })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertConverges = <E, R>(
  getter: Effect.Effect<number, E, R>,
  options: ConvergeOptions
): Effect.Effect<Convergence, E | AssertionFailed | HarnessOptionInvalid, R> =>
  Effect.gen(function* () {
    const helper = "assertConverges"
    const { maxSamples, minSamples, window, timeout, interval } = yield* checked(() => {
      checkNumber(helper, "tolerance", options.tolerance, { min: 0 })
      return {
        maxSamples: checkNumber(helper, "samples", options.samples ?? 20, {
          min: 2,
          integer: true
        }),
        minSamples: checkNumber(helper, "minSamples", options.minSamples ?? 5, {
          min: 2,
          integer: true
        }),
        window: checkNumber(helper, "window", options.window ?? 3, { min: 2, integer: true }),
        timeout: checkDuration(helper, "timeout", options.timeout ?? "10 seconds"),
        interval: checkDuration(helper, "interval", options.interval ?? 0)
      }
    })
    if (maxSamples < Math.max(window, minSamples)) {
      return yield* invalid(
        helper,
        "samples",
        maxSamples,
        `at least the window (${window}) and minSamples (${minSamples})`
      )
    }
    const start = yield* Clock.currentTimeMillis
    const samples: Array<number> = []
    let why = ""
    for (;;) {
      const value = yield* getter
      if (typeof value !== "number" || Number.isNaN(value)) {
        return yield* fail(
          "assertConverges",
          `sample ${samples.length} is not a number: ${show(value)}`
        )
      }
      samples.push(value)
      if (samples.length >= Math.max(window, minSamples)) {
        const tail = samples.slice(-window)
        if (
          spread(tail) <= options.tolerance &&
          !drifting(samples.slice(-window - 1)) &&
          !oscillating(samples.slice(-window - 1))
        ) {
          return { value, settledAt: samples.length - window, samples }
        }
      }
      const elapsed = yield* elapsedSince(start)
      if (samples.length >= maxSamples) {
        why = `${samples.length} samples`
        break
      }
      if (elapsed >= timeout) {
        why = `${formatMillis(elapsed)} (${samples.length} samples)`
        break
      }
      if (interval > 0) yield* Effect.sleep(interval)
    }
    const tail = samples.slice(-window)
    const steps = samples.slice(1).map((v, i) => v - samples[i]!)
    const signChanges = steps
      .slice(1)
      .filter(
        (step, i) => step !== 0 && steps[i] !== 0 && Math.sign(step) !== Math.sign(steps[i]!)
      ).length
    const shape =
      signChanges >= Math.max(2, steps.length / 2)
        ? "the values oscillate"
        : "the values are still moving"
    return yield* fail(
      "assertConverges",
      `did not settle within tolerance ${options.tolerance} after ${why}: ` +
        `${shape}; the last ${window} span ${Number(spread(tail).toFixed(6))}. ` +
        `Samples: [${samples.map((v) => Number(v.toFixed(6))).join(", ")}]`
    )
  })

/**
 * Fails with `AssertionFailed` if `effect` has not finished within `limit` on the Clock — and
 * interrupts it at the limit instead of waiting for it.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * import { Effect } from "effect"
 * Async.assertTimeLimit("2 seconds", Effect.sleep("10 seconds")) // fails at t=2s
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertTimeLimit = <A, E, R>(
  limit: Duration.Input,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | AssertionFailed | HarnessOptionInvalid, R> =>
  Effect.flatMap(
    checked(() => checkDuration("assertTimeLimit", "limit", limit)),
    (millis) =>
      Effect.timeoutOrElse(effect, {
        duration: millis,
        orElse: () =>
          Effect.fail(
            fail(
              "assertTimeLimit",
              `did not finish within ${formatMillis(millis)}; interrupted at the limit`
            )
          )
      })
  )

/**
 * Runs `effect` and checks how long it took on the Clock (virtual time under the harness).
 * Returns the value and the duration in milliseconds.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * import { Effect } from "effect"
 * Async.assertDuration(Effect.sleep("1 second"), { min: "1 second", max: "1500 millis" })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertDuration = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  bounds: { readonly min?: Duration.Input; readonly max?: Duration.Input }
): Effect.Effect<{ readonly value: A; readonly millis: number }, E | AssertionFailed, R> =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    const value = yield* effect
    const millis = (yield* Clock.currentTimeMillis) - start
    if (bounds.min !== undefined && millis < millisOf(bounds.min)) {
      return yield* fail(
        "assertDuration",
        `took ${formatMillis(millis)}, expected at least ${formatMillis(millisOf(bounds.min))}`
      )
    }
    if (bounds.max !== undefined && millis > millisOf(bounds.max)) {
      return yield* fail(
        "assertDuration",
        `took ${formatMillis(millis)}, expected at most ${formatMillis(millisOf(bounds.max))}`
      )
    }
    return { value, millis }
  })

/**
 * What a failure is expected to look like: its `_tag`, and/or a message (substring or pattern).
 *
 * @example
 * ```ts
 * import type { Async } from "@weft/testing"
 * const expected: Async.ExpectedError = { tag: "NodeFailed", message: /charge/ }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ExpectedError {
  readonly tag?: string
  readonly message?: string | RegExp
}

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : error instanceof Error
      ? error.name
      : undefined

const messageOf = (error: unknown): string =>
  error instanceof Error
    ? error.message
    : typeof error === "object" && error !== null && "message" in error
      ? String(error.message)
      : String(error)

const checkError = (
  assertion: string,
  error: unknown,
  expected: ExpectedError
): AssertionFailed | undefined => {
  const tag = tagOf(error)
  if (expected.tag !== undefined && tag !== expected.tag) {
    return fail(
      assertion,
      `expected an error tagged ${expected.tag}, got ${tag ?? "untagged"}: ${show(messageOf(error))}`
    )
  }
  const message = messageOf(error)
  if (
    expected.message !== undefined &&
    !(typeof expected.message === "string"
      ? message.includes(expected.message)
      : expected.message.test(message))
  ) {
    return fail(
      assertion,
      `expected a message matching ${String(expected.message)}, got ${show(message)}`
    )
  }
  return undefined
}

/**
 * Asserts that `effect` fails (with a typed error or a defect) matching `expected`; returns the
 * error. Succeeding is an `AssertionFailed` that shows the value.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * import { Effect } from "effect"
 * Async.assertRaises(Effect.fail({ _tag: "Invalid", message: "bad input" }), { tag: "Invalid" })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertRaises = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  expected: ExpectedError = {}
): Effect.Effect<unknown, AssertionFailed, R> =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) {
      return yield* fail(
        "assertRaises",
        `expected a failure, but it succeeded with ${show(exit.value)}`
      )
    }
    const error = Option.getOrElse(Cause.findErrorOption(exit.cause), () =>
      Cause.squash(exit.cause)
    )
    const mismatch = checkError("assertRaises", error, expected)
    if (mismatch !== undefined) return yield* mismatch
    return error
  })

/**
 * Runs effects concurrently (unbounded unless `concurrency` says otherwise) and returns every
 * result in order.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * import { Effect } from "effect"
 * Async.runConcurrent([Effect.succeed(1), Effect.succeed(2)]) // Effect<[1, 2]>
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const runConcurrent = <A, E, R>(
  effects: Iterable<Effect.Effect<A, E, R>>,
  options?: { readonly concurrency?: number | "unbounded" }
): Effect.Effect<Array<A>, E, R> =>
  Effect.all(Array.from(effects), { concurrency: options?.concurrency ?? "unbounded" })

/**
 * One outcome of {@link runConcurrentSettled}: the value or the error, in the input's place.
 *
 * @example
 * ```ts
 * import type { Async } from "@weft/testing"
 * const outcomes: Array<Async.Settled<number, string>> = [
 *   { _tag: "Success", value: 1 },
 *   { _tag: "Failure", error: "boom" }
 * ]
 * ```
 * @since 0.2.0
 * @category models
 */
export type Settled<A, E> =
  | { readonly _tag: "Success"; readonly value: A }
  | { readonly _tag: "Failure"; readonly error: E | unknown }

const settle = <A, E>(exit: Exit.Exit<A, E>): Settled<A, E> =>
  Exit.isSuccess(exit)
    ? { _tag: "Success", value: exit.value }
    : {
        _tag: "Failure",
        error: Option.getOrElse(Cause.findErrorOption(exit.cause), () => Cause.squash(exit.cause))
      }

/**
 * Runs effects concurrently and keeps every outcome — values and errors in place, in order —
 * instead of stopping at the first failure.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * import { Effect } from "effect"
 * Async.runConcurrentSettled([Effect.succeed(1), Effect.fail("boom")])
 * // Effect<[{ _tag: "Success", value: 1 }, { _tag: "Failure", error: "boom" }]>
 * ```
 * @since 0.2.0
 * @category combinators
 */
export const runConcurrentSettled = <A, E, R>(
  effects: Iterable<Effect.Effect<A, E, R>>,
  options?: { readonly concurrency?: number | "unbounded" }
): Effect.Effect<Array<Settled<A, E>>, never, R> =>
  Effect.forEach(Array.from(effects), (effect) => Effect.map(Effect.exit(effect), settle), {
    concurrency: options?.concurrency ?? "unbounded"
  })

/**
 * Runs effects one after another and returns every result in order.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * import { Effect } from "effect"
 * Async.runSequential([Effect.succeed("a"), Effect.succeed("b")]) // Effect<["a", "b"]>
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const runSequential = <A, E, R>(
  effects: Iterable<Effect.Effect<A, E, R>>
): Effect.Effect<Array<A>, E, R> => Effect.all(Array.from(effects), { concurrency: 1 })

// ---------------------------------------------------------------------------------------------
// Promise twins (real time)
// ---------------------------------------------------------------------------------------------

const fromThunk = <A>(thunk: () => A | PromiseLike<A>): Effect.Effect<A, unknown> =>
  Effect.tryPromise({ try: async () => await thunk(), catch: (error) => error })

const runOrThrow = async <A>(effect: Effect.Effect<A, unknown>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw Option.getOrElse(Cause.findErrorOption(exit.cause), () => Cause.squash(exit.cause))
}

/**
 * {@link waitFor} for plain async code, in real time.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * let done = false
 * setTimeout(() => (done = true), 20)
 * await Async.waitForPromise(() => done, { timeout: "1 second" })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const waitForPromise = (
  condition: () => boolean | PromiseLike<boolean>,
  options?: PollOptions
): Promise<void> => runOrThrow(waitFor(fromThunk(condition), options))

/**
 * {@link assertEventually} for plain async code, in real time.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * import { expect } from "vitest"
 * const queue: Array<number> = []
 * setTimeout(() => queue.push(1), 20)
 * await Async.assertEventuallyPromise(() => expect(queue).toEqual([1]))
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertEventuallyPromise = <A>(
  assertion: () => A | PromiseLike<A>,
  options?: PollOptions
): Promise<A> => runOrThrow(assertEventually(fromThunk(assertion), options))

/**
 * {@link assertConverges} for plain async code, in real time.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * let x = 0
 * await Async.assertConvergesPromise(async () => (x += (10 - x) / 2), { tolerance: 0.1 })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertConvergesPromise = (
  getter: () => number | PromiseLike<number>,
  options: ConvergeOptions
): Promise<Convergence> => runOrThrow(assertConverges(fromThunk(getter), options))

/**
 * {@link assertTimeLimit} for plain async code, in real time: at the limit the `signal` passed
 * to `fn` is aborted and the returned Promise rejects at once.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * await Async.assertTimeLimitPromise("1 second", (signal) => fetch("http://127.0.0.1:8080", { signal }))
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertTimeLimitPromise = <A>(
  limit: Duration.Input,
  fn: (signal: AbortSignal) => PromiseLike<A>
): Promise<A> =>
  runOrThrow(
    assertTimeLimit(
      limit,
      Effect.tryPromise({ try: (signal) => Promise.resolve(fn(signal)), catch: (error) => error })
    )
  )

/**
 * {@link assertRaises} for plain async code: `fn` must reject or throw matching `expected`.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * await Async.assertRaisesPromise(() => Promise.reject(new TypeError("bad")), { tag: "TypeError" })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertRaisesPromise = (
  fn: () => unknown,
  expected: ExpectedError = {}
): Promise<unknown> => runOrThrow(assertRaises(fromThunk(fn), expected))

/**
 * {@link runConcurrent} for Promise-returning functions.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * const [a, b] = await Async.runConcurrentPromise([async () => 1, async () => 2])
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const runConcurrentPromise = <A>(
  fns: Iterable<() => PromiseLike<A> | A>,
  options?: { readonly concurrency?: number | "unbounded" }
): Promise<Array<A>> => runOrThrow(runConcurrent(Array.from(fns, fromThunk), options))

/**
 * {@link runConcurrentSettled} for Promise-returning functions.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * const [ok, failed] = await Async.runConcurrentSettledPromise([async () => 1, async () => { throw new Error("x") }])
 * ```
 * @since 0.2.0
 * @category combinators
 */
export const runConcurrentSettledPromise = <A>(
  fns: Iterable<() => PromiseLike<A> | A>,
  options?: { readonly concurrency?: number | "unbounded" }
): Promise<Array<Settled<A, unknown>>> =>
  runOrThrow(runConcurrentSettled(Array.from(fns, fromThunk), options))

/**
 * {@link runSequential} for Promise-returning functions.
 *
 * @example
 * ```ts
 * import { Async } from "@weft/testing"
 * const order = await Async.runSequentialPromise([async () => "first", async () => "second"])
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const runSequentialPromise = <A>(
  fns: Iterable<() => PromiseLike<A> | A>
): Promise<Array<A>> => runOrThrow(runSequential(Array.from(fns, fromThunk)))
