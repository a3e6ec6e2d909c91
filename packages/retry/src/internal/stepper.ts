import * as Backoff from "../Backoff.js"
import type * as Jitter from "../Jitter.js"
import { applyJitter } from "./jitter.js"

/** The parts of a Policy the delay sequence depends on. */
export interface DelayPolicy {
  readonly backoff: Backoff.Backoff
  readonly maxDelay?: number
  readonly jitter: Jitter.Jitter
}

export const capOf = (policy: DelayPolicy): number =>
  policy.maxDelay === undefined || policy.maxDelay > Backoff.maxSafeDelay
    ? Backoff.maxSafeDelay
    : policy.maxDelay

/**
 * Delays are whole milliseconds (Effect's `Duration` keeps nanoseconds, so a fractional delay
 * would not survive `toSchedule` exactly); rounding is monotone, so order and cap still hold.
 */
export const whole = (millis: number, cap: number): number => Math.min(Math.round(millis), cap)

/** A `retryAfter` hint overrides the computed delay, still capped. */
export const withHint = (computed: number, hint: number | undefined, cap: number): number =>
  hint === undefined ? computed : whole(hint, cap)

/**
 * The delay sequence of a policy as a small state machine: `next(random)` returns the delay
 * before the next retry. `random` is called once per delay when jitter is on, never when off,
 * so `delays`, `toSchedule` and `retry` draw the same numbers from the same source.
 */
export class Stepper {
  readonly cap: number
  private readonly backoff: Backoff.Backoff
  private readonly jitter: Jitter.Jitter
  private readonly base: number
  private retry = 0
  private previous: number

  constructor(policy: DelayPolicy) {
    this.cap = capOf(policy)
    this.backoff = policy.backoff
    this.jitter = policy.jitter
    this.base = Math.min(Backoff.first(policy.backoff), this.cap)
    this.previous = this.base
  }

  next(random: Jitter.RandomSource): number {
    const cap = this.cap
    const delay = Math.min(Backoff.delay(this.backoff, ++this.retry), cap)
    if (this.jitter === "none") return whole(delay, cap)
    const value = whole(
      applyJitter(this.jitter, delay, this.base, this.previous, cap, random()),
      cap
    )
    this.previous = value
    return value
  }
}

export const makeStepper = (policy: DelayPolicy): Stepper => new Stepper(policy)
