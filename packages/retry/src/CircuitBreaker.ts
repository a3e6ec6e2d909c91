/**
 * A consecutive-failure circuit breaker (closed → open → half-open → closed) on the Clock,
 * usable alone or inside `Retry.retry`. Built on `effect/persistence`'s `CircuitBreaker` with
 * an in-memory store per breaker; rejections are a typed, JSON-safe `CircuitOpen`.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Layer, Schema, type Scope } from "effect"
import { CircuitBreaker as EffectCircuitBreaker } from "effect/persistence"
import { readDuration } from "./internal/duration.js"
import { formatMillis } from "./internal/format.js"
import { show } from "./internal/validate.js"
import { InvalidPolicy } from "./Policy.js"

/**
 * A breaker policy as plain data: open after `failureThreshold` consecutive failures, let one
 * probe through `halfOpenAfter` ms later.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "@weft/retry"
 * import { Schema } from "effect"
 * Schema.decodeUnknownSync(CircuitBreaker.Policy)({ failureThreshold: 5, halfOpenAfter: 30000 })
 * ```
 * @since 0.1.0
 * @category models
 */
export const Policy = Schema.Struct({
  failureThreshold: Schema.Number,
  halfOpenAfter: Schema.Number
})
/**
 * @example
 * ```ts
 * import type { CircuitBreaker } from "@weft/retry"
 * const policy: CircuitBreaker.Policy = { failureThreshold: 5, halfOpenAfter: 30000 }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Policy = typeof Policy.Type

/**
 * A call was rejected without running: the circuit is `open` (`retryAfter` ms until a probe is
 * allowed — `Retry.retry` honours it) or `half-open` with its probe still running.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "@weft/retry"
 * new CircuitBreaker.CircuitOpen({ key: "payments", state: "open", retryAfter: 30000 }).message
 * // "Circuit payments is open; calls are rejected for another 30s"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class CircuitOpen extends Schema.TaggedError<CircuitOpen>()("CircuitOpen", {
  key: Schema.String,
  state: Schema.Literals(["open", "half-open"]),
  retryAfter: Schema.optionalKey(Schema.Number)
}) {
  override get message(): string {
    return this.state === "open"
      ? `Circuit ${this.key} is open; calls are rejected for another ${formatMillis(this.retryAfter ?? 0)}`
      : `Circuit ${this.key} is half-open and its probe call is still running; try again shortly`
  }
}

/**
 * Guard by `_tag`.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "@weft/retry"
 * CircuitBreaker.isCircuitOpen({ _tag: "CircuitOpen" }) // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isCircuitOpen = (u: unknown): u is CircuitOpen =>
  typeof u === "object" && u !== null && (u as { readonly _tag?: unknown })._tag === "CircuitOpen"

/**
 * The state of a circuit. `open` turns into `half-open` once `halfOpenAfter` has passed (the
 * next call is the probe).
 *
 * @example
 * ```ts
 * import type { CircuitBreaker } from "@weft/retry"
 * const state: CircuitBreaker.State = "half-open"
 * ```
 * @since 0.1.0
 * @category models
 */
export type State = "closed" | "open" | "half-open"

/**
 * A running breaker.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "@weft/retry"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const breaker: CircuitBreaker.CircuitBreaker = yield* CircuitBreaker.make({ failureThreshold: 3, halfOpenAfter: "30 seconds" })
 *   return yield* breaker.execute(Effect.succeed("ok"))
 * }).pipe(Effect.scoped)
 * ```
 * @since 0.1.0
 * @category models
 */
export interface CircuitBreaker {
  readonly key: string
  /** Runs `effect` through the circuit; rejected with `CircuitOpen` while open. */
  readonly execute: <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | CircuitOpen, R>
  readonly state: Effect.Effect<State>
}

/**
 * Options of {@link make}.
 *
 * @example
 * ```ts
 * import type { CircuitBreaker } from "@weft/retry"
 * const options: CircuitBreaker.Options = { failureThreshold: 5, halfOpenAfter: "30 seconds", key: "payments" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Consecutive failures that open the circuit (an integer >= 1). */
  readonly failureThreshold: number
  /** How long the circuit stays open before one probe call is let through. */
  readonly halfOpenAfter: Duration.Input
  /** A name for errors and logs; defaults to "circuit". */
  readonly key?: string
  /** Which failures count against the circuit; others are ignored. Defaults to every failure. */
  readonly isFailure?: (error: unknown) => boolean
}

const validate = (options: Options): number => {
  const problems: Array<{ readonly field: string; readonly message: string }> = []
  if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
    problems.push({
      field: "failureThreshold",
      message: `failureThreshold must be an integer >= 1, got ${show(options.failureThreshold)}`
    })
  }
  const read =
    typeof options.halfOpenAfter === "number" ? undefined : readDuration(options.halfOpenAfter)
  const duration =
    typeof options.halfOpenAfter === "number"
      ? options.halfOpenAfter
      : read === undefined
        ? Number.NaN
        : Duration.toMillis(read)
  if (!Number.isFinite(duration) || duration < 0) {
    problems.push({
      field: "halfOpenAfter",
      message: `halfOpenAfter must be a finite duration >= 0, got ${show(options.halfOpenAfter)}`
    })
  }
  const first = problems[0]
  if (first !== undefined) {
    throw new InvalidPolicy({
      field: first.field,
      message: `Invalid circuit breaker: ${problems.map((p) => p.message).join("; ")}`,
      issues: problems
    })
  }
  return duration
}

/**
 * Creates a breaker with its own in-memory state (the Scope ends it). Throws `InvalidPolicy`
 * for a bad threshold or delay. Time is read from the Clock, so `TestClock` drives it.
 *
 * @example
 * ```ts
 * import { CircuitBreaker, Policy, Retry } from "@weft/retry"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const breaker = yield* CircuitBreaker.make({ failureThreshold: 3, halfOpenAfter: "30 seconds", key: "payments" })
 *   const charge = breaker.execute(Effect.fail({ _tag: "PaymentsDown" } as const))
 *   // retry honours the CircuitOpen's retryAfter; put "CircuitOpen" in abortOn to fail fast instead
 *   return yield* Retry.retry(charge, Policy.exponential({ base: "1 second", maxAttempts: 5 }))
 * }).pipe(Effect.scoped)
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<CircuitBreaker, never, Scope.Scope> => {
  const halfOpenAfter = validate(options)
  const key = options.key ?? "circuit"
  const { isFailure } = options
  return Effect.gen(function* () {
    const context = yield* Layer.build(EffectCircuitBreaker.layerStoreMemory())
    const breaker = yield* EffectCircuitBreaker.make({
      tripPolicy: EffectCircuitBreaker.consecutive(options.failureThreshold),
      openDuration: Duration.millis(halfOpenAfter)
    }).pipe(Effect.provideContext(context))
    const execute = <A, E, R>(
      effect: Effect.Effect<A, E, R>
    ): Effect.Effect<A, E | CircuitOpen, R> =>
      breaker
        .execute(effect, {
          key,
          ...(isFailure === undefined
            ? {}
            : {
                classify: (exit) =>
                  exit._tag === "Success"
                    ? EffectCircuitBreaker.success
                    : exit.cause.reasons.some((r) => r._tag === "Fail" && !isFailure(r.error))
                      ? EffectCircuitBreaker.ignored
                      : EffectCircuitBreaker.failure()
              })
        })
        .pipe(
          Effect.catchIf(
            (error): error is EffectCircuitBreaker.CircuitBreakerError =>
              typeof error === "object" &&
              error !== null &&
              EffectCircuitBreaker.ErrorTypeId in error,
            (error) => {
              const reason = error.reason
              switch (reason._tag) {
                case "CircuitOpen":
                  return Effect.fail(
                    new CircuitOpen({
                      key,
                      state: "open",
                      retryAfter: Duration.toMillis(reason.retryAfter)
                    })
                  )
                case "CircuitHalfOpen":
                  return Effect.fail(new CircuitOpen({ key, state: "half-open" }))
                case "CircuitBreakerStoreError":
                  // The in-memory store cannot fail; keep a real failure visible if it ever does.
                  return Effect.die(reason)
              }
            }
          )
        )
    const state = breaker.state(key).pipe(
      Effect.map(
        (s): State =>
          s._tag === "Closed"
            ? "closed"
            : s._tag === "HalfOpen" || Duration.toMillis(s.retryAfter) <= 0
              ? "half-open"
              : "open"
      ),
      Effect.orDie
    )
    return { key, execute, state }
  })
}
