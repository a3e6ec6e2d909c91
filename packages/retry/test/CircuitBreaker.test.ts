import { assert, describe, it } from "@effect/vitest"
import { Data, type Duration, Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import { CircuitBreaker, Policy, Retry } from "../src/index.js"

class Down extends Data.TaggedError("Down")<{}> {}

const counted = Effect.gen(function* () {
  const calls = yield* Ref.make(0)
  const healthy = yield* Ref.make(false)
  const call = Effect.gen(function* () {
    yield* Ref.update(calls, (n) => n + 1)
    return (yield* Ref.get(healthy)) ? "ok" : yield* new Down()
  })
  return { calls, healthy, call }
})

describe("CircuitBreaker", () => {
  it.effect(
    "opens after the consecutive-failure threshold and rejects without running the call",
    () =>
      Effect.gen(function* () {
        const breaker = yield* CircuitBreaker.make({
          failureThreshold: 3,
          halfOpenAfter: "30 seconds",
          key: "api"
        })
        const { calls, call } = yield* counted
        assert.strictEqual(yield* breaker.state, "closed")
        for (let i = 0; i < 3; i++)
          assert.strictEqual((yield* Effect.flip(breaker.execute(call)))._tag, "Down")
        assert.strictEqual(yield* breaker.state, "open")
        const rejected = yield* Effect.flip(breaker.execute(call))
        assert.isTrue(CircuitBreaker.isCircuitOpen(rejected))
        if (CircuitBreaker.isCircuitOpen(rejected)) {
          assert.strictEqual(rejected.key, "api")
          assert.strictEqual(rejected.retryAfter, 30000)
        }
        assert.strictEqual(yield* Ref.get(calls), 3)
      })
  )

  it.effect("a success resets the consecutive count", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.make({ failureThreshold: 2, halfOpenAfter: 1000 })
      yield* Effect.flip(breaker.execute(Effect.fail("x")))
      yield* breaker.execute(Effect.succeed(1))
      yield* Effect.flip(breaker.execute(Effect.fail("x")))
      assert.strictEqual(yield* breaker.state, "closed")
    })
  )

  it.effect(
    "goes half-open after the delay on the Clock; a good probe closes it, a bad one reopens it",
    () =>
      Effect.gen(function* () {
        const breaker = yield* CircuitBreaker.make({
          failureThreshold: 1,
          halfOpenAfter: "10 seconds"
        })
        const { healthy, call } = yield* counted
        yield* Effect.flip(breaker.execute(call))
        assert.strictEqual(yield* breaker.state, "open")
        yield* TestClock.adjust("9 seconds")
        assert.strictEqual(yield* breaker.state, "open")
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* breaker.state, "half-open")
        yield* Effect.flip(breaker.execute(call)) // failed probe
        assert.strictEqual(yield* breaker.state, "open")
        yield* TestClock.adjust("10 seconds")
        yield* Ref.set(healthy, true)
        assert.strictEqual(yield* breaker.execute(call), "ok")
        assert.strictEqual(yield* breaker.state, "closed")
      })
  )

  it.effect("rejects other calls while the half-open probe runs", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.make({ failureThreshold: 1, halfOpenAfter: 1000 })
      yield* Effect.flip(breaker.execute(Effect.fail("x")))
      yield* TestClock.adjust(1000)
      const probe = yield* Effect.forkChild(breaker.execute(Effect.sleep(5000)), {
        startImmediately: true
      })
      const rejected = yield* Effect.flip(breaker.execute(Effect.succeed(1)))
      assert.isTrue(CircuitBreaker.isCircuitOpen(rejected) && rejected.state === "half-open")
      yield* TestClock.adjust(5000)
      yield* Fiber.join(probe)
      assert.strictEqual(yield* breaker.state, "closed")
    })
  )

  it.effect("with retry: the CircuitOpen retryAfter sets the wait, and the probe succeeds", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.make({
        failureThreshold: 2,
        halfOpenAfter: "20 seconds"
      })
      const { calls, healthy, call } = yield* counted
      const policy = Policy.fixed({ delay: "1 second", maxAttempts: 10, maxDelay: "1 minute" })
      const events: Array<string> = []
      const fiber = yield* Effect.forkChild(
        Retry.retry(breaker.execute(call), policy, {
          onRetry: (e) =>
            Effect.gen(function* () {
              events.push(`${e.tags.join()}:${e.delay}`)
              if (e.attempt === 3) yield* Ref.set(healthy, true)
            })
        })
      )
      yield* TestClock.adjust("5 minutes")
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.deepStrictEqual(events, ["Down:1000", "Down:1000", "CircuitOpen:19000"])
      assert.strictEqual(yield* Ref.get(calls), 3)
    })
  )

  it.effect("abortOn CircuitOpen makes retry fail fast while the circuit is open", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.make({ failureThreshold: 1, halfOpenAfter: "1 minute" })
      yield* Effect.flip(breaker.execute(Effect.fail("x")))
      const policy = Policy.fixed({ delay: 1000, maxAttempts: 5, abortOn: ["CircuitOpen"] })
      const error = yield* Effect.flip(Retry.retry(breaker.execute(Effect.succeed(1)), policy))
      assert.strictEqual(error._tag, "CircuitOpen")
    })
  )

  it.effect("isFailure keeps errors that say nothing about health from tripping it", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.make({
        failureThreshold: 1,
        halfOpenAfter: 1000,
        isFailure: (e) => e !== "validation"
      })
      yield* Effect.flip(breaker.execute(Effect.fail("validation")))
      assert.strictEqual(yield* breaker.state, "closed")
    })
  )

  it("reports junk options as InvalidPolicy instead of throwing a TypeError", () => {
    let caught: unknown
    try {
      CircuitBreaker.make({
        failureThreshold: Object.create(null) as number,
        halfOpenAfter: [Object.create(null)] as unknown as Duration.Input
      })
    } catch (error) {
      caught = error
    }
    assert.isTrue(Policy.isInvalidPolicy(caught))
    if (Policy.isInvalidPolicy(caught)) {
      assert.deepStrictEqual(
        caught.issues.map((issue) => issue.field),
        ["failureThreshold", "halfOpenAfter"]
      )
    }
  })

  it("throws InvalidPolicy for a bad threshold or delay", () => {
    assert.throws(
      () => CircuitBreaker.make({ failureThreshold: 0, halfOpenAfter: 1000 }),
      /failureThreshold/
    )
    assert.throws(
      () => CircuitBreaker.make({ failureThreshold: 1, halfOpenAfter: -1 }),
      /halfOpenAfter/
    )
    try {
      CircuitBreaker.make({ failureThreshold: 1.5, halfOpenAfter: 1000 })
    } catch (error) {
      assert.isTrue(Policy.isInvalidPolicy(error))
    }
  })
})
