/**
 * Retry policies as plain, Schema-described JSON data: validating constructors, the exact delay
 * sequence, a one-line description and an equivalent Effect `Schedule`.
 *
 * @since 0.1.0
 */
import { Cause, Duration, Effect, Random, Result, Schedule, Schema, SchemaIssue } from "effect"
import * as Backoff from "./Backoff.js"
import * as ErrorFilter from "./ErrorFilter.js"
import * as Jitter from "./Jitter.js"
import { readDuration } from "./internal/duration.js"
import { formatMillis } from "./internal/format.js"
import { applyJitter } from "./internal/jitter.js"
import { plan } from "./internal/plan.js"
import { capOf, makeStepper, whole } from "./internal/stepper.js"
import { type Problem, show, validate } from "./internal/validate.js"

/**
 * The Schema of a retry policy (plain JSON data; durations are milliseconds).
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * import { Schema } from "effect"
 * const json = Schema.encodeSync(Policy.Policy)(Policy.exponential({ base: "2 seconds", maxAttempts: 5 }))
 * ```
 * @since 0.1.0
 * @category models
 */
export const Policy = Schema.Struct({
  /** Total attempts including the first (>= 1). */
  maxAttempts: Schema.Number,
  backoff: Backoff.Backoff,
  /** Cap in ms that no delay exceeds. */
  maxDelay: Schema.optionalKey(Schema.Number),
  jitter: Jitter.Jitter,
  /** Error tags to retry; absent = retry any retryable error. */
  retryOn: Schema.optionalKey(Schema.Array(Schema.String)),
  /** Error tags never retried; wins over `retryOn`. */
  abortOn: Schema.optionalKey(Schema.Array(Schema.String)),
  /** Total time budget in ms, measured on the Clock from the first attempt. */
  maxElapsed: Schema.optionalKey(Schema.Number),
  /** Per-attempt timeout in ms. */
  attemptTimeout: Schema.optionalKey(Schema.Number)
})
/**
 * A retry policy (see docs/contracts.md, `@weft/retry`).
 *
 * @example
 * ```ts
 * import type { Policy } from "@weft/retry"
 * const policy: Policy.Policy = {
 *   maxAttempts: 5,
 *   backoff: { kind: "exponential", base: 2000, factor: 2 },
 *   maxDelay: 60000,
 *   jitter: "full"
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Policy = typeof Policy.Type

/**
 * A policy is invalid. `field` names the first offending field (a data path such as
 * `backoff.base`), `issues` lists every problem found.
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * try {
 *   Policy.exponential({ base: -1, maxAttempts: 0 })
 * } catch (error) {
 *   if (Policy.isInvalidPolicy(error)) console.log(error.field, error.issues.length) // "maxAttempts" 2
 * }
 * ```
 * @since 0.1.0
 * @category errors
 */
export class InvalidPolicy extends Schema.TaggedError<InvalidPolicy>()("InvalidPolicy", {
  field: Schema.String,
  message: Schema.String,
  issues: Schema.Array(Schema.Struct({ field: Schema.String, message: Schema.String }))
}) {}

/**
 * Guard by `_tag` (works across copies of the package).
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * Policy.isInvalidPolicy({ _tag: "InvalidPolicy" }) // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isInvalidPolicy = (u: unknown): u is InvalidPolicy =>
  typeof u === "object" && u !== null && (u as { readonly _tag?: unknown })._tag === "InvalidPolicy"

const invalid = (problems: ReadonlyArray<Problem>): InvalidPolicy => {
  const first = problems[0] ?? { field: "", message: "invalid policy" }
  const message =
    problems.length === 1
      ? `Invalid retry policy: ${first.message}`
      : `Invalid retry policy (${problems.length} problems): ${problems.map((p) => p.message).join("; ")}`
  return new InvalidPolicy({ field: first.field, message, issues: problems })
}

/**
 * Options every constructor accepts. Durations accept `Duration.Input` (`"2 seconds"`, `500`).
 *
 * @example
 * ```ts
 * import type { Policy } from "@weft/retry"
 * const common: Policy.CommonOptions = { maxAttempts: 5, maxDelay: "1 minute", jitter: "full" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface CommonOptions {
  readonly maxAttempts: number
  readonly maxDelay?: Duration.Input
  readonly jitter?: Jitter.Jitter
  readonly retryOn?: ReadonlyArray<string>
  readonly abortOn?: ReadonlyArray<string>
  readonly maxElapsed?: Duration.Input
  readonly attemptTimeout?: Duration.Input
}

const toMillis = (problems: Array<Problem>, field: string, input: Duration.Input): number => {
  if (typeof input === "number") return input
  const duration = readDuration(input)
  if (duration !== undefined) return Duration.toMillis(duration)
  problems.push({
    field,
    message: `${field} must be a duration ("2 seconds", 500), got ${show(input)}`
  })
  return Number.NaN
}

// Copy a list; anything else (a string from untyped config) is kept for `validate` to report.
const copyList = (list: ReadonlyArray<string>): ReadonlyArray<string> =>
  Array.isArray(list) ? [...list] : list

const build = (
  options: CommonOptions,
  backoff: (problems: Array<Problem>) => Backoff.Backoff
): Policy => {
  const problems: Array<Problem> = []
  const jitter = options.jitter ?? "none"
  if (!Jitter.kinds.includes(jitter)) {
    problems.push({
      field: "jitter",
      message: `jitter must be one of ${Jitter.kinds.join(", ")}, got ${show(jitter)}`
    })
  }
  const policy: Policy = {
    maxAttempts: options.maxAttempts,
    backoff: backoff(problems),
    jitter,
    ...(options.maxDelay === undefined
      ? {}
      : { maxDelay: toMillis(problems, "maxDelay", options.maxDelay) }),
    ...(options.retryOn === undefined ? {} : { retryOn: copyList(options.retryOn) }),
    ...(options.abortOn === undefined ? {} : { abortOn: copyList(options.abortOn) }),
    ...(options.maxElapsed === undefined
      ? {}
      : { maxElapsed: toMillis(problems, "maxElapsed", options.maxElapsed) }),
    ...(options.attemptTimeout === undefined
      ? {}
      : { attemptTimeout: toMillis(problems, "attemptTimeout", options.attemptTimeout) })
  }
  // A field already reported as unreadable is not reported again as NaN.
  const reported = new Set(problems.map((problem) => problem.field))
  problems.push(...validate(policy).filter((problem) => !reported.has(problem.field)))
  if (problems.length > 0) throw invalid(problems)
  return policy
}

/**
 * Exponential backoff: retry n waits `base · factor^(n-1)` (factor defaults to 2).
 * Throws `InvalidPolicy` naming the field (negative base, factor < 1, maxAttempts < 1, NaN…).
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * const policy = Policy.exponential({ base: "2 seconds", maxAttempts: 6 })
 * Policy.delays(policy) // [2000, 4000, 8000, 16000, 32000]
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const exponential = (
  options: CommonOptions & { readonly base: Duration.Input; readonly factor?: number }
): Policy =>
  build(options, (problems) => ({
    kind: "exponential",
    base: toMillis(problems, "backoff.base", options.base),
    factor: options.factor ?? 2
  }))

/**
 * Fixed backoff: every retry waits `delay`.
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * Policy.delays(Policy.fixed({ delay: 500, maxAttempts: 4 })) // [500, 500, 500]
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const fixed = (options: CommonOptions & { readonly delay: Duration.Input }): Policy =>
  build(options, (problems) => ({
    kind: "fixed",
    delay: toMillis(problems, "backoff.delay", options.delay)
  }))

/**
 * Linear backoff: retry n waits `base + increment · (n-1)` (increment defaults to `base`).
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * Policy.delays(Policy.linear({ base: 1000, maxAttempts: 4 })) // [1000, 2000, 3000]
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const linear = (
  options: CommonOptions & { readonly base: Duration.Input; readonly increment?: Duration.Input }
): Policy =>
  build(options, (problems) => {
    const base = toMillis(problems, "backoff.base", options.base)
    return {
      kind: "linear",
      base,
      increment:
        options.increment === undefined
          ? base
          : toMillis(problems, "backoff.increment", options.increment)
    }
  })

/**
 * Fibonacci backoff: retry n waits `base · fib(n)` (1, 1, 2, 3, 5… times base).
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * Policy.delays(Policy.fibonacci({ base: 100, maxAttempts: 6 })) // [100, 100, 200, 300, 500]
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const fibonacci = (options: CommonOptions & { readonly base: Duration.Input }): Policy =>
  build(options, (problems) => ({
    kind: "fibonacci",
    base: toMillis(problems, "backoff.base", options.base)
  }))

/**
 * No backoff: retries happen immediately.
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * Policy.delays(Policy.none({ maxAttempts: 3 })) // [0, 0]
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const none = (options: CommonOptions): Policy => build(options, () => ({ kind: "none" }))

const backoffKindProblem = (input: unknown): Problem | undefined => {
  if (typeof input !== "object" || input === null) return undefined
  const backoff = (input as { readonly backoff?: unknown }).backoff
  if (typeof backoff !== "object" || backoff === null) return undefined
  const kind = (backoff as { readonly kind?: unknown }).kind
  if ((Backoff.kinds as ReadonlyArray<unknown>).includes(kind)) return undefined
  return {
    field: "backoff.kind",
    message: `backoff.kind must be one of ${Backoff.kinds.join(", ")}, got ${JSON.stringify(kind) ?? "nothing"}`
  }
}

// Friendly defaults for hand-written JSON: jitter "none", exponential factor 2.
const withDefaults = (input: unknown): unknown => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input
  const record = input as Record<string, unknown>
  const backoff = record.backoff
  const withFactor =
    typeof backoff === "object" &&
    backoff !== null &&
    (backoff as Record<string, unknown>).kind === "exponential" &&
    (backoff as Record<string, unknown>).factor === undefined
      ? { ...backoff, factor: 2 }
      : backoff
  return {
    ...record,
    ...(record.jitter === undefined ? { jitter: "none" } : {}),
    ...(backoff === undefined ? {} : { backoff: withFactor })
  }
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const pathOf = (path: ReadonlyArray<unknown>): string =>
  path.reduce<string>((acc, segment) => {
    const key =
      typeof segment === "object" && segment !== null && "key" in segment
        ? (segment as { readonly key: unknown }).key
        : segment
    return typeof key === "number"
      ? `${acc}[${key}]`
      : acc === ""
        ? String(key)
        : `${acc}.${String(key)}`
  }, "")

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const rangeProblems = (input: unknown): ReadonlyArray<Problem> => {
  if (!isRecord(input) || !isRecord(input.backoff)) return []
  const numberOrUndefined = (value: unknown) => (typeof value === "number" ? value : undefined)
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((x): x is string => typeof x === "string") : undefined
  const backoff = input.backoff
  const num = (value: unknown) => (typeof value === "number" ? value : 0)
  const candidate = {
    maxAttempts: typeof input.maxAttempts === "number" ? input.maxAttempts : 1,
    backoff: {
      kind: backoff.kind,
      base: num(backoff.base),
      factor: typeof backoff.factor === "number" ? backoff.factor : 2,
      delay: num(backoff.delay),
      increment: num(backoff.increment)
    } as Backoff.Backoff,
    maxDelay: numberOrUndefined(input.maxDelay),
    maxElapsed: numberOrUndefined(input.maxElapsed),
    attemptTimeout: numberOrUndefined(input.attemptTimeout),
    retryOn: strings(input.retryOn),
    abortOn: strings(input.abortOn)
  }
  return validate(candidate)
}

const decodeStructure = Schema.decodeUnknownResult(Policy)

const policyFields: ReadonlyArray<string> = Object.keys(Policy.fields)
const backoffFields: { readonly [kind: string]: ReadonlyArray<string> } = {
  exponential: Object.keys(Backoff.Exponential.fields),
  fixed: Object.keys(Backoff.Fixed.fields),
  linear: Object.keys(Backoff.Linear.fields),
  fibonacci: Object.keys(Backoff.Fibonacci.fields),
  none: Object.keys(Backoff.None.fields)
}

// The Schema ignores excess keys; a typo ("maxDelayMs") must not silently drop a cap.
const unknownFields = (input: unknown): ReadonlyArray<Problem> => {
  if (!isRecord(input)) return []
  const problems: Array<Problem> = []
  for (const key of Object.keys(input)) {
    if (!policyFields.includes(key)) {
      problems.push({
        field: key,
        message: `${key} is not a field of a retry policy; allowed: ${policyFields.join(", ")}`
      })
      continue
    }
    const backoff = input[key]
    if (key !== "backoff" || !isRecord(backoff) || typeof backoff.kind !== "string") continue
    const allowed = Object.hasOwn(backoffFields, backoff.kind)
      ? backoffFields[backoff.kind]
      : undefined
    if (allowed === undefined) continue
    for (const field of Object.keys(backoff)) {
      if (!allowed.includes(field)) {
        problems.push({
          field: `backoff.${field}`,
          message: `backoff.${field} is not a field of a ${backoff.kind} backoff; allowed: ${allowed.join(", ")}`
        })
      }
    }
  }
  return problems
}

/**
 * Checks unknown input (e.g. parsed JSON) and returns every problem at once, each naming its
 * field (unknown fields included). Missing `jitter` defaults to `"none"` and a missing
 * exponential `factor` to 2.
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * import { Effect } from "effect"
 * const policy = Effect.runSync(Policy.decode(JSON.parse('{"maxAttempts":3,"backoff":{"kind":"fixed","delay":100}}')))
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const decode = (input: unknown): Effect.Effect<Policy, InvalidPolicy> => {
  const result = decodeSync(input)
  return Result.isSuccess(result) ? Effect.succeed(result.success) : Effect.fail(result.failure)
}

/**
 * Like {@link decode}, as a `Result` (no Effect runtime needed).
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * import { Result } from "effect"
 * Result.isFailure(Policy.decodeSync({ maxAttempts: 0, backoff: { kind: "none" } })) // true
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const decodeSync = (input: unknown): Result.Result<Policy, InvalidPolicy> => {
  const kindProblem = backoffKindProblem(input)
  const structure = decodeStructure(withDefaults(input), { errors: "all" })
  if (Result.isFailure(structure)) {
    const problems: Array<Problem> = formatter(structure.failure.issue).issues.map((issue) => {
      const field = pathOf(issue.path ?? [])
      if (kindProblem !== undefined && field === "backoff") return kindProblem
      return {
        field,
        message: field === "" ? `policy: ${issue.message}` : `${field}: ${issue.message}`
      }
    })
    // Range rules still apply to the fields that are well-formed, so one pass lists everything.
    const seen = new Set(problems.map((problem) => problem.field))
    for (const problem of rangeProblems(withDefaults(input))) {
      if (!seen.has(problem.field)) problems.push(problem)
    }
    problems.push(...unknownFields(input))
    return Result.fail(invalid(problems))
  }
  const problems = [...unknownFields(input), ...validate(structure.success)]
  return problems.length > 0 ? Result.fail(invalid(problems)) : Result.succeed(structure.success)
}

/**
 * Validates a policy value and returns it, throwing `InvalidPolicy` (every problem listed).
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * const policy = Policy.make({ maxAttempts: 3, backoff: { kind: "fixed", delay: 100 }, jitter: "none" })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (policy: Policy): Policy => {
  const result = decodeSync(policy)
  if (Result.isFailure(result)) throw result.failure
  return result.success
}

/**
 * The `InvalidPolicy` for a policy value that breaks a range rule, or `undefined` when it is
 * valid. Cheap (no Schema pass); `Retry.retry` uses it to refuse a policy that skipped the
 * constructors.
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * Policy.check({ maxAttempts: Number.NaN, backoff: { kind: "none" }, jitter: "none" })?.field // "maxAttempts"
 * ```
 * @since 0.1.0
 * @category guards
 */
export const check = (policy: Policy): InvalidPolicy | undefined => {
  const problems = validate(policy)
  return problems.length > 0 ? invalid(problems) : undefined
}

/**
 * Options for {@link delays}.
 *
 * @example
 * ```ts
 * import type { Policy } from "@weft/retry"
 * const options: Policy.DelaysOptions = { attempts: 10, random: () => 0.5 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface DelaysOptions {
  /**
   * How many failed attempts to compute a delay for (delay i follows failed attempt i).
   * Defaults to `maxAttempts - 1`, the number of retries the policy allows, cut short by
   * `maxElapsed` (attempts taking no time); a given `attempts` ignores both limits.
   */
  readonly attempts?: number
  /** Random source in [0, 1) for jitter; defaults to `Math.random`. */
  readonly random?: Jitter.RandomSource
}

/**
 * The exact delays the policy waits before each retry, without sleeping: delay i follows
 * failed attempt i. Delays are whole milliseconds (the formula's value rounded to the nearest
 * ms, never above the cap). Jitter draws from `random` (one draw per delay). With `maxElapsed`
 * the list stops before the first wait that would end past the budget, as `Retry.retry` and
 * `toSchedule` do when attempts take no time.
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * const policy = Policy.exponential({ base: 2000, maxAttempts: 6 })
 * Policy.delays(policy) // [2000, 4000, 8000, 16000, 32000]
 * Policy.delays({ ...policy, maxDelay: 10000 }, { attempts: 6 }) // [2000, 4000, 8000, 10000, 10000, 10000]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const delays = (policy: Policy, options: DelaysOptions = {}): ReadonlyArray<number> => {
  const requested = Math.floor(options.attempts ?? policy.maxAttempts - 1)
  const count = Number.isFinite(requested) && requested > 0 ? requested : 0
  const random = options.random ?? Math.random
  const stepper = makeStepper(policy)
  const budget = options.attempts === undefined ? policy.maxElapsed : undefined
  if (budget === undefined) {
    const out = new Array<number>(count)
    for (let i = 0; i < count; i++) out[i] = stepper.next(random)
    return out
  }
  // Same rule as Retry.retry / toSchedule: a wait that would end past the budget is not started.
  const out: Array<number> = []
  let elapsed = 0
  for (let i = 0; i < count; i++) {
    const delay = stepper.next(random)
    if (elapsed + delay > budget) break
    elapsed += delay
    out.push(delay)
  }
  return out
}

/**
 * The delay (ms) before retry `retry` (1-based) as a single computation. For `decorrelated`
 * jitter pass the previous delay (defaults to the base).
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * const policy = Policy.exponential({ base: 2000, maxAttempts: 6, maxDelay: 10000 })
 * Policy.delayFor(policy, 5) // 10000
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const delayFor = (
  policy: Policy,
  retry: number,
  random: Jitter.RandomSource = Math.random,
  previous?: number
): number => {
  const cap = capOf(policy)
  const raw = Backoff.delay(policy.backoff, retry)
  const delay = Math.min(raw, cap)
  const jitter = policy.jitter
  if (jitter === "none") return whole(delay, cap)
  if (jitter === "full") return whole(random() * delay, cap)
  // only decorrelated reads the base; equal ignores it
  const base = jitter === "decorrelated" ? Math.min(Backoff.delay(policy.backoff, 1), cap) : 0
  return whole(applyJitter(jitter, delay, base, previous ?? base, cap, random()), cap)
}

/**
 * A one-line description: "5 attempts, exponential 2s×2 capped at 60s, full jitter".
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * Policy.describe(Policy.exponential({ base: "2 seconds", maxAttempts: 5, maxDelay: "60 seconds", jitter: "full" }))
 * // "5 attempts, exponential 2s×2 capped at 60s, full jitter"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const describe = (policy: Policy): string => {
  const parts = [
    `${policy.maxAttempts} ${policy.maxAttempts === 1 ? "attempt" : "attempts"}, ${Backoff.describe(policy.backoff)}${
      policy.maxDelay === undefined ? "" : ` capped at ${formatMillis(policy.maxDelay)}`
    }`
  ]
  if (policy.jitter !== "none") parts.push(Jitter.describe(policy.jitter))
  if (policy.retryOn !== undefined) parts.push(`retry on ${policy.retryOn.join("|") || "nothing"}`)
  if (policy.abortOn !== undefined && policy.abortOn.length > 0) {
    parts.push(`abort on ${policy.abortOn.join("|")}`)
  }
  if (policy.attemptTimeout !== undefined) {
    parts.push(`${formatMillis(policy.attemptTimeout)} per attempt`)
  }
  if (policy.maxElapsed !== undefined)
    parts.push(`at most ${formatMillis(policy.maxElapsed)} in total`)
  return parts.join(", ")
}

/**
 * An Effect `Schedule` equivalent to the policy: the same delays as {@link delays} (jitter
 * drawn from Effect's `Random` service), stopping after `maxAttempts`, on an error the filter
 * does not retry (`retryOn`, `abortOn`, `retryable: false`), or when the next wait would end
 * past `maxElapsed` (measured from the first failure, the first time a schedule is consulted).
 * Honours `retryAfter`. Use with `Effect.retry`; `Retry.retry` adds events, per-attempt
 * timeouts and `RetriesExhausted`.
 *
 * @example
 * ```ts
 * import { Policy } from "@weft/retry"
 * import { Effect } from "effect"
 * const policy = Policy.exponential({ base: "100 millis", maxAttempts: 3 })
 * const program = Effect.fail({ _tag: "Flaky" }).pipe(Effect.retry(Policy.toSchedule(policy)))
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const toSchedule = <E = unknown>(
  policy: Policy,
  options: ErrorFilter.Options<E> = {}
): Schedule.Schedule<Duration.Duration, E> =>
  Schedule.fromStepWithMetadata(
    Effect.gen(function* () {
      const problem = check(policy)
      if (problem !== undefined) return yield* Effect.die(problem)
      const randomService = yield* Random.Random
      const random = () => randomService.nextDoubleUnsafe()
      const stepper = makeStepper(policy)
      const filter = ErrorFilter.make<E>(policy, options)
      return (meta: Schedule.InputMetadata<E>) => {
        const next = plan(policy, filter, stepper, meta.input, meta.attempt, meta.elapsed, random)
        return next._tag === "Retry"
          ? Effect.succeed<[Duration.Duration, Duration.Duration]>([
              Duration.millis(next.delay),
              Duration.millis(next.delay)
            ])
          : Cause.done(Duration.zero)
      }
    })
  )
