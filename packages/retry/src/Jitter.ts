/**
 * Jitter kinds with the formulas of AWS's "Exponential Backoff And Jitter", as pure functions
 * of (delay, state, random) so tests can pin the random source.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { applyJitter } from "./internal/jitter.js"

/**
 * `none` keeps the computed delay; `full` = rand(0, t); `equal` = t/2 + rand(0, t/2);
 * `decorrelated` = min(cap, rand(base, previous·3)), where `t` is the capped backoff delay.
 *
 * @example
 * ```ts
 * import { Jitter } from "@weft/retry"
 * import { Schema } from "effect"
 * Schema.decodeUnknownSync(Jitter.Jitter)("full") // "full"
 * ```
 * @since 0.1.0
 * @category models
 */
export const Jitter = Schema.Literals(["none", "full", "equal", "decorrelated"])
/**
 * @example
 * ```ts
 * import type { Jitter } from "@weft/retry"
 * const jitter: Jitter.Jitter = "equal"
 * ```
 * @since 0.1.0
 * @category models
 */
export type Jitter = typeof Jitter.Type

/**
 * The jitter kinds.
 *
 * @example
 * ```ts
 * import { Jitter } from "@weft/retry"
 * Jitter.kinds.length // 4
 * ```
 * @since 0.1.0
 * @category models
 */
export const kinds: ReadonlyArray<Jitter> = Jitter.literals

/**
 * A source of random numbers in [0, 1), like `Math.random`. Inject one to make jitter
 * deterministic.
 *
 * @example
 * ```ts
 * import type { Jitter } from "@weft/retry"
 * const alwaysHalf: Jitter.RandomSource = () => 0.5
 * ```
 * @since 0.1.0
 * @category models
 */
export type RandomSource = () => number

/**
 * What a jitter formula needs besides the random number.
 *
 * @example
 * ```ts
 * import type { Jitter } from "@weft/retry"
 * const input: Jitter.Input = { delay: 4000, base: 2000, previous: 2000, cap: 60000 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Input {
  /** The capped backoff delay `t` for this retry (ms). */
  readonly delay: number
  /** The backoff's first delay (ms); the lower bound of `decorrelated`. */
  readonly base: number
  /** The previous jittered delay (ms); `base` before the first retry. */
  readonly previous: number
  /** The cap (ms): `maxDelay`, or `Backoff.maxSafeDelay` when there is none. */
  readonly cap: number
}

/**
 * Applies a jitter formula. `random` is one draw in [0, 1); `none` ignores it.
 *
 * @example
 * ```ts
 * import { Jitter } from "@weft/retry"
 * const input = { delay: 4000, base: 2000, previous: 2000, cap: 60000 }
 * Jitter.apply("full", input, 0.25) // 1000
 * Jitter.apply("equal", input, 0.5) // 3000
 * Jitter.apply("decorrelated", input, 0.5) // 2000 + 0.5 · (6000 − 2000) = 4000
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const apply = (jitter: Jitter, input: Input, random: number): number =>
  applyJitter(jitter, input.delay, input.base, input.previous, input.cap, random)

/**
 * The inclusive range a jittered delay falls in (what the formulas promise).
 *
 * @example
 * ```ts
 * import { Jitter } from "@weft/retry"
 * Jitter.bounds("equal", { delay: 4000, base: 2000, previous: 2000, cap: 60000 }) // [2000, 4000]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const bounds = (jitter: Jitter, input: Input): readonly [number, number] => {
  switch (jitter) {
    case "none":
      return [input.delay, input.delay]
    case "full":
      return [0, input.delay]
    case "equal":
      return [input.delay / 2, input.delay]
    case "decorrelated": {
      const upper = Math.min(input.cap, Math.max(input.base, input.previous * 3))
      return [Math.min(input.base, input.cap), upper]
    }
  }
}

/**
 * A human description: "full jitter", "no jitter", …
 *
 * @example
 * ```ts
 * import { Jitter } from "@weft/retry"
 * Jitter.describe("decorrelated") // "decorrelated jitter"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const describe = (jitter: Jitter): string =>
  jitter === "none" ? "no jitter" : `${jitter} jitter`
