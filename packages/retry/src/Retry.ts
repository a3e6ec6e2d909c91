/**
 * Runs an effect (or a Promise-returning function) under a retry `Policy`: an event per retry,
 * per-attempt timeouts, a total time budget on the Clock, and a typed `RetriesExhausted`.
 *
 * @since 0.1.0
 */
import { Cause, Clock, Duration, Effect, Exit, Random, Result, Schema } from "effect"
import { dual } from "effect/Function"
import * as ErrorFilter from "./ErrorFilter.js"
import type * as Jitter from "./Jitter.js"
import * as Policy from "./Policy.js"
import { formatMillis } from "./internal/format.js"
import { plan } from "./internal/plan.js"
import { makeStepper } from "./internal/stepper.js"

/**
 * Every attempt the policy allowed failed, or the next wait would end past `maxElapsed`.
 * `attempts` counts attempts made, `lastError` is the last failure, `elapsed` is ms on the
 * Clock since the first attempt started.
 *
 * @example
 * ```ts
 * import { Retry } from "@weft/retry"
 * const error = new Retry.RetriesExhausted({ attempts: 5, lastError: { _tag: "Timeout" }, elapsed: 30000 })
 * error.message // "Gave up after 5 attempts in 30s; last error: Timeout"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class RetriesExhausted<out E = unknown> extends Schema.TaggedError<RetriesExhausted>()(
  "RetriesExhausted",
  { attempts: Schema.Number, lastError: Schema.Unknown, elapsed: Schema.Number }
) {
  declare readonly lastError: E
  override get message(): string {
    return `Gave up after ${this.attempts} ${this.attempts === 1 ? "attempt" : "attempts"} in ${formatMillis(this.elapsed)}; last error: ${describeError(this.lastError)}`
  }
}

/**
 * One attempt ran longer than the policy's `attemptTimeout`. Retryable (an `abortOn` entry
 * still stops it).
 *
 * @example
 * ```ts
 * import { Retry } from "@weft/retry"
 * new Retry.AttemptTimedOut({ attempt: 2, timeout: 5000 }).message // "Attempt 2 timed out after 5s"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class AttemptTimedOut extends Schema.TaggedError<AttemptTimedOut>()("AttemptTimedOut", {
  attempt: Schema.Number,
  timeout: Schema.Number
}) {
  override get message(): string {
    return `Attempt ${this.attempt} timed out after ${formatMillis(this.timeout)}`
  }
}

/**
 * Guard by `_tag` (works across copies of the package and after JSON).
 *
 * @example
 * ```ts
 * import { Retry } from "@weft/retry"
 * Retry.isRetriesExhausted({ _tag: "RetriesExhausted" }) // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isRetriesExhausted = (u: unknown): u is RetriesExhausted =>
  hasTag(u, "RetriesExhausted")

/**
 * Guard by `_tag`.
 *
 * @example
 * ```ts
 * import { Retry } from "@weft/retry"
 * Retry.isAttemptTimedOut(new Retry.AttemptTimedOut({ attempt: 1, timeout: 10 })) // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isAttemptTimedOut = (u: unknown): u is AttemptTimedOut => hasTag(u, "AttemptTimedOut")

/**
 * Emitted before each wait: `attempt` is the attempt that failed (1-based), `delay` the wait
 * in ms before attempt `attempt + 1`.
 *
 * @example
 * ```ts
 * import type { Retry } from "@weft/retry"
 * const log = (event: Retry.RetryEvent) =>
 *   `attempt ${event.attempt}/${event.maxAttempts} failed (${event.tags.join(",")}), retrying in ${event.delay}ms`
 * ```
 * @since 0.1.0
 * @category models
 */
export interface RetryEvent<E = unknown> {
  readonly attempt: number
  readonly maxAttempts: number
  readonly delay: number
  readonly error: E
  readonly tags: ReadonlyArray<string>
}

/**
 * Options of {@link retry}.
 *
 * @example
 * ```ts
 * import { Retry } from "@weft/retry"
 * import { Effect } from "effect"
 * const options: Retry.Options<{ readonly _tag: string }, never> = {
 *   onRetry: (event) => Effect.log(`retry in ${event.delay}ms`)
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Options<E, R2> extends ErrorFilter.Options<E | AttemptTimedOut> {
  /** Called before each wait. */
  readonly onRetry?: (event: RetryEvent<E | AttemptTimedOut>) => Effect.Effect<void, never, R2>
  /** Called as each attempt starts, with its 1-based number. */
  readonly onAttempt?: (attempt: number) => Effect.Effect<void, never, R2>
}

/**
 * The value of a successful run and how many attempts it took.
 *
 * @example
 * ```ts
 * import type { Retry } from "@weft/retry"
 * const stats: Retry.Stats<string> = { value: "ok", attempts: 3 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Stats<A> {
  readonly value: A
  readonly attempts: number
}

/**
 * Like {@link retry}, and also returns how many attempts the success took.
 *
 * @example
 * ```ts
 * import { Policy, Retry } from "@weft/retry"
 * import { Effect } from "effect"
 * const policy = Policy.fixed({ delay: 10, maxAttempts: 3 })
 * const program = Retry.retryWithStats(Effect.succeed(1), policy) // { value: 1, attempts: 1 }
 * const piped = Effect.succeed(1).pipe(Retry.retryWithStats(policy))
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const retryWithStats: {
  <R2 = never>(
    policy: Policy.Policy,
    options?: Options<unknown, R2>
  ): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<Stats<A>, Failure<E>, R | R2>
  <A, E, R, R2 = never>(
    effect: Effect.Effect<A, E, R>,
    policy: Policy.Policy,
    options?: Options<E, R2>
  ): Effect.Effect<Stats<A>, Failure<E>, R | R2>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R, R2>(
    effect: Effect.Effect<A, E, R>,
    policy: Policy.Policy,
    options: Options<E, R2> = {}
  ): Effect.Effect<Stats<A>, Failure<E>, R | R2> => retryLoop(effect, policy, options)
)

const retryLoop = <A, E, R, R2>(
  effect: Effect.Effect<A, E, R>,
  policy: Policy.Policy,
  options: Options<E, R2>
): Effect.Effect<Stats<A>, Failure<E>, R | R2> =>
  Effect.gen(function* () {
    // A policy that skipped the constructors/decode (e.g. NaN maxAttempts) must not loop forever.
    const invalid = Policy.check(policy)
    if (invalid !== undefined) return yield* Effect.die(invalid)
    const randomService = yield* Random.Random
    const random: Jitter.RandomSource = () => randomService.nextDoubleUnsafe()
    const stepper = makeStepper(policy)
    const filter = ErrorFilter.make<E | AttemptTimedOut>(policy, options)
    const { onRetry, onAttempt } = options
    const timeout = policy.attemptTimeout
    const start = yield* Clock.currentTimeMillis
    let attempt = 0
    while (true) {
      attempt++
      if (onAttempt !== undefined) yield* onAttempt(attempt)
      const current = attempt
      const run: Effect.Effect<A, E | AttemptTimedOut, R> =
        timeout === undefined
          ? effect
          : Effect.timeoutOrElse(effect, {
              duration: Duration.millis(timeout),
              orElse: () => Effect.fail(new AttemptTimedOut({ attempt: current, timeout }))
            })
      const result = yield* Effect.result(run)
      if (Result.isSuccess(result)) return { value: result.success, attempts: attempt }
      const error = result.failure
      const now = yield* Clock.currentTimeMillis
      const next = plan(policy, filter, stepper, error, attempt, now - start, random)
      if (next._tag === "Abort") return yield* Effect.fail(error)
      if (next._tag === "Exhausted") {
        return yield* Effect.fail(
          new RetriesExhausted<E | AttemptTimedOut>({
            attempts: attempt,
            lastError: error,
            elapsed: now - start
          })
        )
      }
      if (onRetry !== undefined) {
        yield* onRetry({
          attempt,
          maxAttempts: policy.maxAttempts,
          delay: next.delay,
          error,
          tags: next.tags
        })
      }
      yield* Effect.sleep(Duration.millis(next.delay))
    }
  })

/**
 * Retries `effect` per `policy`. Fails with `RetriesExhausted` when attempts or `maxElapsed`
 * run out, or with the error itself when it is not retried (`abortOn`, `retryable: false`, not
 * in `retryOn`). All waiting is `Effect.sleep`, so `TestClock` drives it. Defects and
 * interruptions are never retried.
 *
 * @example
 * ```ts
 * import { Policy, Retry } from "@weft/retry"
 * import { Effect } from "effect"
 * const policy = Policy.exponential({ base: "2 seconds", maxAttempts: 5, retryOn: ["HttpError"] })
 * const fetchOnce = Effect.fail({ _tag: "HttpError", status: 503 } as const)
 * const program = Retry.retry(fetchOnce, policy, {
 *   onRetry: (event) => Effect.log(`attempt ${event.attempt}/${event.maxAttempts} failed, waiting ${event.delay}ms`)
 * })
 * const piped = fetchOnce.pipe(Retry.retry(policy)) // data-last for pipe
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const retry: {
  <R2 = never>(
    policy: Policy.Policy,
    options?: Options<unknown, R2>
  ): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, Failure<E>, R | R2>
  <A, E, R, R2 = never>(
    effect: Effect.Effect<A, E, R>,
    policy: Policy.Policy,
    options?: Options<E, R2>
  ): Effect.Effect<A, Failure<E>, R | R2>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R, R2>(
    effect: Effect.Effect<A, E, R>,
    policy: Policy.Policy,
    options: Options<E, R2> = {}
  ): Effect.Effect<A, Failure<E>, R | R2> =>
    Effect.map(retryLoop(effect, policy, options), (stats) => stats.value)
)

/**
 * The errors a retried effect can fail with: its own (re-raised as is when not retried),
 * `AttemptTimedOut` (when `attemptTimeout` is set and not retried), or `RetriesExhausted`.
 *
 * @example
 * ```ts
 * import type { Retry } from "@weft/retry"
 * type Errors = Retry.Failure<{ readonly _tag: "HttpError" }>
 * ```
 * @since 0.1.0
 * @category models
 */
export type Failure<E> = E | AttemptTimedOut | RetriesExhausted<E | AttemptTimedOut>

/**
 * Options of the Promise facade {@link run}.
 *
 * @example
 * ```ts
 * import type { Retry } from "@weft/retry"
 * const options: Retry.RunOptions = { signal: AbortSignal.timeout(10_000), onRetry: (e) => console.log(e.delay) }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  /** Aborting stops the current attempt's signal and any waiting, and rejects with `signal.reason`. */
  readonly signal?: AbortSignal
  readonly onRetry?: (event: RetryEvent) => void | PromiseLike<void>
  /** Extra tags; by default an `Error` without `_tag` is tagged with its `name`. */
  readonly tagsOf?: (error: unknown) => ReadonlyArray<string>
  /** A predicate ANDed with the policy's `retryOn` tags, or a tag list that replaces them. */
  readonly retryOn?:
    | ((error: unknown, tags: ReadonlyArray<string>) => boolean)
    | ReadonlyArray<string>
  /** Random source in [0, 1) for jitter (defaults to Effect's `Random`). */
  readonly random?: Jitter.RandomSource
}

/**
 * What `fn` receives on each attempt.
 *
 * @example
 * ```ts
 * import type { Retry } from "@weft/retry"
 * const fn = ({ attempt, signal }: Retry.AttemptContext) => fetch(`https://example.com?try=${attempt}`, { signal })
 * ```
 * @since 0.1.0
 * @category models
 */
export interface AttemptContext {
  readonly attempt: number
  /** Aborted when the run is cancelled or the attempt times out. */
  readonly signal: AbortSignal
}

const defaultTagsOf = (error: unknown): ReadonlyArray<string> =>
  error instanceof Error && (error as { readonly _tag?: unknown })._tag === undefined
    ? [error.name]
    : []

/**
 * Promise facade: calls `fn` until it resolves or the policy gives up. Rejects with
 * `RetriesExhausted`, with the error `fn` threw when it is not retried, or with
 * `signal.reason` as soon as `signal` aborts (the wait stops at once).
 *
 * @example
 * ```ts
 * import { Policy, Retry } from "@weft/retry"
 * const policy = Policy.exponential({ base: 200, maxAttempts: 4, retryOn: ["TypeError"] })
 * const body = await Retry.run(({ signal }) => fetch("https://example.com", { signal }).then((r) => r.text()), policy, {
 *   signal: AbortSignal.timeout(10_000)
 * })
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const run = <A>(
  fn: (context: AttemptContext) => PromiseLike<A>,
  policy: Policy.Policy,
  options: RunOptions = {}
): Promise<A> => {
  const { signal, onRetry, random } = options
  if (signal?.aborted) return Promise.reject(signal.reason)
  let attempt = 0
  const once = Effect.suspend(() => {
    const current = ++attempt
    return Effect.tryPromise({
      try: (attemptSignal) => fn({ attempt: current, signal: attemptSignal }),
      catch: (error) => error
    })
  })
  const tagsOf = options.tagsOf ?? defaultTagsOf
  const program = retry(once, policy, {
    tagsOf: (error) => tagsOf(error),
    ...(options.retryOn === undefined ? {} : { retryOn: options.retryOn }),
    ...(onRetry === undefined
      ? {}
      : { onRetry: (event) => Effect.promise(async () => onRetry(event)) })
  })
  const withRandom =
    random === undefined
      ? program
      : Effect.provideService(program, Random.Random, {
          nextDoubleUnsafe: random,
          nextIntUnsafe: () => Math.floor(random() * Number.MAX_SAFE_INTEGER)
        })
  return Effect.runPromiseExit(withRandom, signal === undefined ? undefined : { signal }).then(
    (exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      if (signal?.aborted && Cause.hasInterruptsOnly(exit.cause)) throw signal.reason
      throw Cause.squash(exit.cause)
    }
  )
}

const hasTag = (u: unknown, tag: string): boolean =>
  typeof u === "object" && u !== null && (u as { readonly _tag?: unknown })._tag === tag

const describeError = (error: unknown): string => {
  if (typeof error === "object" && error !== null) {
    const tag = (error as { readonly _tag?: unknown })._tag
    const message = (error as { readonly message?: unknown }).message
    if (typeof tag === "string")
      return typeof message === "string" && message !== "" ? `${tag}: ${message}` : tag
    if (typeof message === "string") return message
  }
  return String(error)
}
