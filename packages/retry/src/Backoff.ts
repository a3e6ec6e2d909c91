/**
 * How long to wait before each retry, as plain data: the backoff kinds of a retry `Policy`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { formatMillis } from "./internal/format.js"

/**
 * Exponential backoff: retry `n` (1-based) waits `base · factor^(n-1)` ms.
 *
 * @example
 * ```ts
 * import { Backoff } from "@weft/retry"
 * const backoff: Backoff.Exponential = { kind: "exponential", base: 2000, factor: 2 }
 * Backoff.delay(backoff, 3) // 8000
 * ```
 * @since 0.1.0
 * @category models
 */
export const Exponential = Schema.Struct({
  kind: Schema.Literal("exponential"),
  base: Schema.Number,
  factor: Schema.Number
})
/**
 * @example
 * ```ts
 * import type { Backoff } from "@weft/retry"
 * const backoff: Backoff.Exponential = { kind: "exponential", base: 100, factor: 3 }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Exponential = typeof Exponential.Type

/**
 * Fixed backoff: every retry waits `delay` ms.
 *
 * @example
 * ```ts
 * import { Backoff } from "@weft/retry"
 * Backoff.delay({ kind: "fixed", delay: 500 }, 7) // 500
 * ```
 * @since 0.1.0
 * @category models
 */
export const Fixed = Schema.Struct({ kind: Schema.Literal("fixed"), delay: Schema.Number })
/**
 * @example
 * ```ts
 * import type { Backoff } from "@weft/retry"
 * const backoff: Backoff.Fixed = { kind: "fixed", delay: 500 }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Fixed = typeof Fixed.Type

/**
 * Linear backoff: retry `n` waits `base + increment · (n-1)` ms.
 *
 * @example
 * ```ts
 * import { Backoff } from "@weft/retry"
 * Backoff.delay({ kind: "linear", base: 1000, increment: 500 }, 3) // 2000
 * ```
 * @since 0.1.0
 * @category models
 */
export const Linear = Schema.Struct({
  kind: Schema.Literal("linear"),
  base: Schema.Number,
  increment: Schema.Number
})
/**
 * @example
 * ```ts
 * import type { Backoff } from "@weft/retry"
 * const backoff: Backoff.Linear = { kind: "linear", base: 1000, increment: 500 }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Linear = typeof Linear.Type

/**
 * Fibonacci backoff: retry `n` waits `base · fib(n)` ms (1, 1, 2, 3, 5, 8… times base), like
 * Effect's `Schedule.fibonacci`.
 *
 * @example
 * ```ts
 * import { Backoff } from "@weft/retry"
 * Backoff.delay({ kind: "fibonacci", base: 100 }, 5) // 500
 * ```
 * @since 0.1.0
 * @category models
 */
export const Fibonacci = Schema.Struct({ kind: Schema.Literal("fibonacci"), base: Schema.Number })
/**
 * @example
 * ```ts
 * import type { Backoff } from "@weft/retry"
 * const backoff: Backoff.Fibonacci = { kind: "fibonacci", base: 100 }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Fibonacci = typeof Fibonacci.Type

/**
 * No backoff: retries happen immediately.
 *
 * @example
 * ```ts
 * import { Backoff } from "@weft/retry"
 * Backoff.delay({ kind: "none" }, 1) // 0
 * ```
 * @since 0.1.0
 * @category models
 */
export const None = Schema.Struct({ kind: Schema.Literal("none") })
/**
 * @example
 * ```ts
 * import type { Backoff } from "@weft/retry"
 * const backoff: Backoff.None = { kind: "none" }
 * ```
 * @since 0.1.0
 * @category models
 */
export type None = typeof None.Type

/**
 * Every backoff kind, discriminated by `kind` (plain JSON data).
 *
 * @example
 * ```ts
 * import { Backoff } from "@weft/retry"
 * import { Schema } from "effect"
 * Schema.decodeUnknownSync(Backoff.Backoff)({ kind: "fixed", delay: 250 })
 * ```
 * @since 0.1.0
 * @category models
 */
export const Backoff = Schema.Union([Exponential, Fixed, Linear, Fibonacci, None])
/**
 * @example
 * ```ts
 * import type { Backoff } from "@weft/retry"
 * const backoff: Backoff.Backoff = { kind: "exponential", base: 2000, factor: 2 }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Backoff = typeof Backoff.Type

/**
 * The backoff kinds, in the order the docs list them.
 *
 * @example
 * ```ts
 * import { Backoff } from "@weft/retry"
 * Backoff.kinds.includes("linear") // true
 * ```
 * @since 0.1.0
 * @category models
 */
export const kinds: ReadonlyArray<Backoff["kind"]> = [
  "exponential",
  "fixed",
  "linear",
  "fibonacci",
  "none"
]

/**
 * The largest delay any computation yields, in ms (2^31 − 1, about 24.8 days — the longest
 * `setTimeout`). Keeps uncapped exponential growth finite.
 *
 * @example
 * ```ts
 * import { Backoff } from "@weft/retry"
 * Backoff.delay({ kind: "exponential", base: 1000, factor: 10 }, 400) === Backoff.maxSafeDelay // true
 * ```
 * @since 0.1.0
 * @category models
 */
export const maxSafeDelay = 2_147_483_647

/**
 * The uncapped, un-jittered delay in ms before retry `retry` (1-based: retry 1 follows the
 * first failed attempt). Never NaN or infinite (clamped to {@link maxSafeDelay}).
 *
 * @example
 * ```ts
 * import { Backoff } from "@weft/retry"
 * const backoff: Backoff.Backoff = { kind: "exponential", base: 2000, factor: 2 }
 * ;[1, 2, 3, 4, 5].map((n) => Backoff.delay(backoff, n)) // [2000, 4000, 8000, 16000, 32000]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const delay = (backoff: Backoff, retry: number): number => {
  let millis: number
  switch (backoff.kind) {
    case "exponential":
      millis = backoff.base === 0 ? 0 : backoff.base * backoff.factor ** (retry - 1)
      break
    case "fixed":
      millis = backoff.delay
      break
    case "linear":
      millis = backoff.base + backoff.increment * (retry - 1)
      break
    case "fibonacci":
      millis = backoff.base === 0 ? 0 : backoff.base * fibonacci(retry)
      break
    case "none":
      return 0
  }
  return millis > maxSafeDelay ? maxSafeDelay : Math.max(millis, 0)
}

/**
 * The delay before the first retry (the `base` of the jitter formulas).
 *
 * @example
 * ```ts
 * import { Backoff } from "@weft/retry"
 * Backoff.first({ kind: "linear", base: 1000, increment: 500 }) // 1000
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const first = (backoff: Backoff): number => delay(backoff, 1)

/**
 * A short human description ("exponential 2s×2", "fixed 500ms", "linear 1s+500ms").
 *
 * @example
 * ```ts
 * import { Backoff } from "@weft/retry"
 * Backoff.describe({ kind: "exponential", base: 2000, factor: 2 }) // "exponential 2s×2"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const describe = (backoff: Backoff): string => {
  switch (backoff.kind) {
    case "exponential":
      return `exponential ${formatMillis(backoff.base)}×${backoff.factor}`
    case "fixed":
      return `fixed ${formatMillis(backoff.delay)}`
    case "linear":
      return `linear ${formatMillis(backoff.base)}+${formatMillis(backoff.increment)}`
    case "fibonacci":
      return `fibonacci ${formatMillis(backoff.base)}`
    case "none":
      return "no delay"
  }
}

// fib(1) = fib(2) = 1; overflows to Infinity past n ≈ 1476, which the caller clamps.
const fibonacci = (n: number): number => {
  let previous = 0
  let current = 1
  for (let i = 1; i < n; i++) {
    const next = previous + current
    previous = current
    current = next
  }
  return current
}
