/**
 * What to handle, kept apart from how to retry: decides from an error's tags (its `_tag` plus
 * extra tags), its `retryable` flag and the policy's `retryOn` / `abortOn` lists whether a
 * failure is retried. Tags, not classes, so the decision survives JSON and sandbox boundaries.
 *
 * @since 0.1.0
 */

/**
 * Why a failure is or is not retried.
 *
 * @example
 * ```ts
 * import { ErrorFilter } from "@weft/retry"
 * const decide = ErrorFilter.make({ abortOn: ["Unauthorized"] })
 * const decision: ErrorFilter.Decision = decide({ _tag: "Unauthorized" })
 * decision.retry // false
 * ```
 * @since 0.1.0
 * @category models
 */
export type Decision =
  | {
      readonly retry: true
      readonly tags: ReadonlyArray<string>
      /** The error's `retryAfter` hint in ms, if it has a usable one. */
      readonly retryAfter: number | undefined
    }
  | {
      readonly retry: false
      readonly tags: ReadonlyArray<string>
      /**
       * `aborted`: a tag is in `abortOn`; `not-retryable`: the error says `retryable: false`;
       * `not-listed`: `retryOn` is set and names none of its tags; `rejected`: the predicate said no.
       */
      readonly reason: "aborted" | "not-retryable" | "not-listed" | "rejected"
    }

/**
 * A decision function for one policy and one set of options.
 *
 * @example
 * ```ts
 * import { ErrorFilter } from "@weft/retry"
 * const filter: ErrorFilter.ErrorFilter<unknown> = ErrorFilter.make({ retryOn: ["Timeout"] })
 * ```
 * @since 0.1.0
 * @category models
 */
export type ErrorFilter<E> = (error: E) => Decision

/**
 * Options that refine the policy's tag lists.
 *
 * @example
 * ```ts
 * import type { ErrorFilter } from "@weft/retry"
 * const options: ErrorFilter.Options<{ readonly cause?: { readonly _tag?: string } }> = {
 *   tagsOf: (error) => (error.cause?._tag ? [error.cause._tag] : [])
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Options<E> {
  /** Extra tags for an error (added to its `_tag`), e.g. the tag of a wrapped cause. */
  readonly tagsOf?: (error: E) => ReadonlyArray<string>
  /**
   * A predicate that must also agree before a failure is retried (ANDed with the policy's
   * `retryOn` tags), or a list of tags that replaces the policy's `retryOn` list.
   */
  readonly retryOn?: ((error: E, tags: ReadonlyArray<string>) => boolean) | ReadonlyArray<string>
}

/**
 * The tags of the policy fields an `ErrorFilter` reads.
 *
 * @example
 * ```ts
 * import type { ErrorFilter } from "@weft/retry"
 * const lists: ErrorFilter.TagLists = { retryOn: ["HttpError"], abortOn: ["Unauthorized"] }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface TagLists {
  readonly retryOn?: ReadonlyArray<string>
  readonly abortOn?: ReadonlyArray<string>
}

/**
 * The tag of the per-attempt timeout error; it is retried even when `retryOn` does not list
 * it (an `abortOn` entry still stops it).
 *
 * @example
 * ```ts
 * import { ErrorFilter } from "@weft/retry"
 * ErrorFilter.attemptTimedOutTag // "AttemptTimedOut"
 * ```
 * @since 0.1.0
 * @category models
 */
export const attemptTimedOutTag = "AttemptTimedOut"

const field = (error: unknown, name: string): unknown =>
  typeof error === "object" && error !== null ? (error as Record<string, unknown>)[name] : undefined

/**
 * An error's tags: its `_tag` (if a string) plus whatever `extra` returns.
 *
 * @example
 * ```ts
 * import { ErrorFilter } from "@weft/retry"
 * ErrorFilter.tagsOf({ _tag: "HttpError" }) // ["HttpError"]
 * ErrorFilter.tagsOf("boom") // []
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const tagsOf = <E>(
  error: E,
  extra?: (error: E) => ReadonlyArray<string>
): ReadonlyArray<string> => {
  const tag = field(error, "_tag")
  const own = typeof tag === "string" ? [tag] : []
  return extra === undefined ? own : [...own, ...extra(error)]
}

/**
 * `false` only for an error that says `retryable: false`.
 *
 * @example
 * ```ts
 * import { ErrorFilter } from "@weft/retry"
 * ErrorFilter.isRetryable({ _tag: "BadInput", retryable: false }) // false
 * ErrorFilter.isRetryable(new Error("flaky")) // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isRetryable = (error: unknown): boolean => field(error, "retryable") !== false

/**
 * An error's `retryAfter` hint in ms: a finite number >= 0, else `undefined`.
 *
 * @example
 * ```ts
 * import { ErrorFilter } from "@weft/retry"
 * ErrorFilter.retryAfterOf({ _tag: "RateLimited", retryAfter: 30000 }) // 30000
 * ErrorFilter.retryAfterOf({ retryAfter: "soon" }) // undefined
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const retryAfterOf = (error: unknown): number | undefined => {
  const value = field(error, "retryAfter")
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined
}

/**
 * Builds the decision function: `abortOn` wins over everything, then `retryable: false`, then
 * the `retryOn` tag list (when present; `options.retryOn` as a list replaces it), then the
 * `options.retryOn` predicate (when given).
 *
 * @example
 * ```ts
 * import { ErrorFilter } from "@weft/retry"
 * const decide = ErrorFilter.make({ retryOn: ["HttpError", "Unauthorized"], abortOn: ["Unauthorized"] })
 * decide({ _tag: "HttpError" }).retry // true
 * decide({ _tag: "Unauthorized" }).retry // false: abortOn beats retryOn
 * decide({ _tag: "ParseError" }).retry // false: not listed
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = <E = unknown>(lists: TagLists, options: Options<E> = {}): ErrorFilter<E> => {
  const { tagsOf: extra } = options
  const predicate = typeof options.retryOn === "function" ? options.retryOn : undefined
  const list = Array.isArray(options.retryOn) ? options.retryOn : lists.retryOn
  const retryOn = list === undefined ? undefined : new Set(list)
  const abortOn = new Set(lists.abortOn ?? [])
  return (error) => {
    const tags = tagsOf(error, extra)
    if (tags.some((tag) => abortOn.has(tag))) return { retry: false, tags, reason: "aborted" }
    if (!isRetryable(error)) return { retry: false, tags, reason: "not-retryable" }
    if (
      retryOn !== undefined &&
      !tags.some((tag) => retryOn.has(tag) || tag === attemptTimedOutTag)
    ) {
      return { retry: false, tags, reason: "not-listed" }
    }
    if (predicate !== undefined && !predicate(error, tags)) {
      return { retry: false, tags, reason: "rejected" }
    }
    return { retry: true, tags, retryAfter: retryAfterOf(error) }
  }
}
