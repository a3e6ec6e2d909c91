import type * as ErrorFilter from "../ErrorFilter.js"
import type * as Jitter from "../Jitter.js"
import { type DelayPolicy, type Stepper, withHint } from "./stepper.js"

export interface PlanPolicy extends DelayPolicy {
  readonly maxAttempts: number
  readonly maxElapsed?: number
}

export type Plan =
  | { readonly _tag: "Retry"; readonly delay: number; readonly tags: ReadonlyArray<string> }
  | { readonly _tag: "Abort" }
  | { readonly _tag: "Exhausted" }

const abort: Plan = { _tag: "Abort" }
const exhausted: Plan = { _tag: "Exhausted" }

/**
 * What to do after attempt `attempt` (1-based) failed with `error`, `elapsed` ms after the
 * first attempt started. Shared by `Retry.retry` and `Policy.toSchedule` so they agree.
 * Order: the filter (an aborting error is re-raised as is), then `maxAttempts` (checked with
 * `>=`, before any random draw), then the delay, then the `maxElapsed` budget (a wait that
 * would end past the budget is not started).
 */
export const plan = <E>(
  policy: PlanPolicy,
  filter: ErrorFilter.ErrorFilter<E>,
  stepper: Stepper,
  error: E,
  attempt: number,
  elapsed: number,
  random: Jitter.RandomSource
): Plan => {
  const decision = filter(error)
  if (!decision.retry) return abort
  if (attempt >= policy.maxAttempts) return exhausted
  const delay = withHint(stepper.next(random), decision.retryAfter, stepper.cap)
  if (policy.maxElapsed !== undefined && elapsed + delay > policy.maxElapsed) return exhausted
  return { _tag: "Retry", delay, tags: decision.tags }
}
