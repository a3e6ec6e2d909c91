import type { Effect } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { type CircuitBreaker, Policy, Retry } from "../src/index.js"

// The shape docs/contracts.md promises the runtime.
interface ContractPolicy {
  readonly maxAttempts: number
  readonly backoff:
    | { readonly kind: "exponential"; readonly base: number; readonly factor: number }
    | { readonly kind: "fixed"; readonly delay: number }
    | { readonly kind: "linear"; readonly base: number; readonly increment: number }
    | { readonly kind: "fibonacci"; readonly base: number }
    | { readonly kind: "none" }
  readonly maxDelay?: number
  readonly jitter: "none" | "full" | "equal" | "decorrelated"
  readonly retryOn?: ReadonlyArray<string>
  readonly abortOn?: ReadonlyArray<string>
  readonly maxElapsed?: number
  readonly attemptTimeout?: number
}

class HttpError {
  readonly _tag = "HttpError"
}
declare const effect: Effect.Effect<string, HttpError, "Db">
declare const policy: Policy.Policy

describe("types", () => {
  it("Policy is exactly the contract's shape", () => {
    expectTypeOf<Policy.Policy>().toEqualTypeOf<ContractPolicy>()
  })

  it("retry keeps A and R and adds the retry errors to E", () => {
    expectTypeOf(Retry.retry(effect, policy)).toEqualTypeOf<
      Effect.Effect<
        string,
        | HttpError
        | Retry.AttemptTimedOut
        | Retry.RetriesExhausted<HttpError | Retry.AttemptTimedOut>,
        "Db"
      >
    >()
    expectTypeOf(Retry.retryWithStats(effect, policy)).toExtend<
      Effect.Effect<Retry.Stats<string>, unknown, "Db">
    >()
  })

  it("RetriesExhausted carries the typed last error", () => {
    expectTypeOf<Retry.RetriesExhausted<HttpError>["lastError"]>().toEqualTypeOf<HttpError>()
  })

  it("decode fails only with InvalidPolicy", () => {
    expectTypeOf(Policy.decode).returns.toEqualTypeOf<
      Effect.Effect<Policy.Policy, Policy.InvalidPolicy>
    >()
  })

  it("a breaker adds CircuitOpen to the error channel", () => {
    expectTypeOf<ReturnType<CircuitBreaker.CircuitBreaker["execute"]>>().toExtend<
      Effect.Effect<unknown, unknown, unknown>
    >()
    const breaker = {} as CircuitBreaker.CircuitBreaker
    expectTypeOf(breaker.execute(effect)).toEqualTypeOf<
      Effect.Effect<string, HttpError | CircuitBreaker.CircuitOpen, "Db">
    >()
  })
})
