/**
 * Retry policies as data.
 *
 * @since 0.1.0
 */

/**
 * An exponential backoff policy.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  readonly maxAttempts: number
  readonly baseMillis: number
}

/**
 * The delays (in milliseconds) between attempts: base·2^(n-1) for retry n.
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * Policy.delays({ maxAttempts: 6, baseMillis: 2000 }) // [2000, 4000, 8000, 16000, 32000]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const delays = (policy: Policy): ReadonlyArray<number> =>
  Array.from({ length: policy.maxAttempts - 1 }, (_, i) => policy.baseMillis * 2 ** i)
