import { assert, describe, it } from "@effect/vitest"
import { Clock, Data, Effect, Exit, Fiber, Random, Ref, Schema } from "effect"
import { TestClock } from "effect/testing"
import { Policy, Retry } from "../src/index.js"

class HttpError extends Data.TaggedError("HttpError")<{
  readonly status: number
  readonly retryAfter?: number
}> {}
class Unauthorized extends Data.TaggedError("Unauthorized")<{}> {}
class BadInput extends Schema.TaggedError<BadInput>()("BadInput", {
  retryable: Schema.Literal(false)
}) {}

/** An effect that fails with `errors[i]` on attempt i+1 and succeeds once they run out. */
const scripted = <E>(errors: ReadonlyArray<E>) =>
  Effect.gen(function* () {
    const attempts = yield* Ref.make(0)
    const started: Array<number> = []
    const effect = Effect.gen(function* () {
      started.push(yield* Clock.currentTimeMillis)
      const n = yield* Ref.updateAndGet(attempts, (x) => x + 1)
      const error = errors[n - 1]
      return error === undefined ? `ok after ${n}` : yield* Effect.fail(error)
    })
    return { attempts, started, effect }
  })

const alwaysFailing = <E>(error: E) => scripted(Array<E>(1000).fill(error))

describe("Retry.retry", () => {
  it.effect(
    "waits 2, 4, 8, 16 s on the Clock, then fails with RetriesExhausted after exactly maxAttempts",
    () =>
      Effect.gen(function* () {
        const policy = Policy.exponential({ base: "2 seconds", maxAttempts: 5 })
        const { attempts, started, effect } = yield* alwaysFailing(new HttpError({ status: 503 }))
        const fiber = yield* Effect.forkChild(Retry.retry(effect, policy))
        yield* TestClock.adjust("1 hour")
        const exit = yield* Fiber.await(fiber)
        assert.strictEqual(yield* Ref.get(attempts), 5) // >=: never one attempt too many
        assert.deepStrictEqual(started, [0, 2000, 6000, 14000, 30000])
        assert.isTrue(Exit.isFailure(exit))
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.isTrue(Retry.isRetriesExhausted(error))
        if (Retry.isRetriesExhausted(error)) {
          assert.strictEqual(error.attempts, 5)
          assert.strictEqual(error.elapsed, 30000)
          assert.strictEqual((error.lastError as HttpError).status, 503)
          assert.include(error.message, "Gave up after 5 attempts in 30s")
        }
      })
  )

  it.effect(
    "minutes of backoff finish in milliseconds, and virtual time equals the sum of the delays",
    () =>
      Effect.gen(function* () {
        const policy = Policy.exponential({
          base: "10 seconds",
          maxAttempts: 6,
          maxDelay: "2 minutes"
        })
        const { effect, started } = yield* scripted(Array(5).fill(new HttpError({ status: 500 })))
        const realStart = Date.now()
        const virtualStart = yield* Clock.currentTimeMillis
        const fiber = yield* Effect.forkChild(
          Retry.retryWithStats(effect, policy).pipe(
            Effect.andThen((stats) =>
              Effect.map(Clock.currentTimeMillis, (end) => ({ stats, elapsed: end - virtualStart }))
            )
          )
        )
        yield* TestClock.adjust("1 hour")
        const { stats, elapsed } = yield* Fiber.join(fiber)
        const sum = Policy.delays(policy).reduce((a, b) => a + b, 0)
        assert.strictEqual(sum, 10000 + 20000 + 40000 + 80000 + 120000) // 4.5 minutes
        assert.strictEqual(elapsed, sum) // measured on the Clock when the retried effect finished
        assert.deepStrictEqual(started, [0, 10000, 30000, 70000, 150000, 270000])
        assert.deepStrictEqual(stats, { value: "ok after 6", attempts: 6 })
        assert.isBelow(Date.now() - realStart, 1000)
      })
  )

  it.effect("with jitter, waits exactly Policy.delays for the same random source", () =>
    Effect.gen(function* () {
      const policy = Policy.exponential({ base: 1000, maxAttempts: 6, jitter: "full" })
      const draws = [0.9, 0.1, 0.5, 0.25, 0.75]
      const source = (values: ReadonlyArray<number>) => {
        let i = 0
        return () => values[i++ % values.length]!
      }
      const { started, effect } = yield* scripted(Array(5).fill(new HttpError({ status: 500 })))
      const next = source(draws)
      const fiber = yield* Effect.forkChild(
        Retry.retry(effect, policy).pipe(
          Effect.provideService(Random.Random, { nextDoubleUnsafe: next, nextIntUnsafe: () => 0 })
        )
      )
      yield* TestClock.adjust("1 hour")
      yield* Fiber.join(fiber)
      const expected = Policy.delays(policy, { random: source(draws) })
      assert.deepStrictEqual(expected, [900, 200, 2000, 2000, 12000])
      const waits = started.slice(1).map((t, i) => t - started[i]!)
      assert.deepStrictEqual(waits, [...expected])
      assert.strictEqual(
        started.at(-1),
        expected.reduce((a, b) => a + b, 0)
      )
    })
  )

  it.effect("emits one event per retry with attempt n/N, delay, error and tags", () =>
    Effect.gen(function* () {
      const policy = Policy.fixed({ delay: "1 second", maxAttempts: 3 })
      const { effect } = yield* alwaysFailing(new HttpError({ status: 502 }))
      const events: Array<Retry.RetryEvent> = []
      const fiber = yield* Effect.forkChild(
        Retry.retry(effect, policy, { onRetry: (e) => Effect.sync(() => events.push(e)) })
      )
      yield* TestClock.adjust("1 minute")
      yield* Fiber.await(fiber)
      assert.deepStrictEqual(
        events.map(({ attempt, maxAttempts, delay, tags }) => ({
          attempt,
          maxAttempts,
          delay,
          tags
        })),
        [
          { attempt: 1, maxAttempts: 3, delay: 1000, tags: ["HttpError"] },
          { attempt: 2, maxAttempts: 3, delay: 1000, tags: ["HttpError"] }
        ]
      )
    })
  )

  it.effect("retries only the listed error tags and re-raises others as is", () =>
    Effect.gen(function* () {
      const policy = Policy.none({ maxAttempts: 5, retryOn: ["HttpError"] })
      const { attempts, effect } = yield* scripted<HttpError | Unauthorized>([
        new HttpError({ status: 503 }),
        new Unauthorized()
      ])
      const error = yield* Effect.flip(Retry.retry(effect, policy))
      assert.strictEqual(error._tag, "Unauthorized")
      assert.strictEqual(yield* Ref.get(attempts), 2)
    })
  )

  it.effect("abortOn beats retryOn", () =>
    Effect.gen(function* () {
      const policy = Policy.none({
        maxAttempts: 5,
        retryOn: ["HttpError", "Unauthorized"],
        abortOn: ["Unauthorized"]
      })
      const { attempts, effect } = yield* alwaysFailing(new Unauthorized())
      const error = yield* Effect.flip(Retry.retry(effect, policy))
      assert.strictEqual(error._tag, "Unauthorized")
      assert.strictEqual(yield* Ref.get(attempts), 1)
    })
  )

  it.effect("never retries an error with retryable: false", () =>
    Effect.gen(function* () {
      const { attempts, effect } = yield* alwaysFailing(new BadInput({ retryable: false }))
      const error = yield* Effect.flip(Retry.retry(effect, Policy.none({ maxAttempts: 5 })))
      assert.strictEqual(error._tag, "BadInput")
      assert.strictEqual(yield* Ref.get(attempts), 1)
    })
  )

  it.effect("uses tagsOf to match wrapped errors and the retryOn predicate to narrow", () =>
    Effect.gen(function* () {
      const wrapped = { _tag: "HostCallFailed", cause: { _tag: "RateLimited" } } as const
      const policy = Policy.none({ maxAttempts: 3, retryOn: ["RateLimited"] })
      const first = yield* alwaysFailing(wrapped)
      const exhausted = yield* Effect.flip(
        Retry.retry(first.effect, policy, {
          tagsOf: (e) => (e._tag === "HostCallFailed" ? [e.cause._tag] : [])
        })
      )
      assert.strictEqual(exhausted._tag, "RetriesExhausted")
      assert.strictEqual(yield* Ref.get(first.attempts), 3)
      const second = yield* alwaysFailing(wrapped)
      const rejected = yield* Effect.flip(
        Retry.retry(second.effect, policy, {
          tagsOf: (e) => (e._tag === "HostCallFailed" ? [e.cause._tag] : []),
          retryOn: () => false
        })
      )
      assert.strictEqual(rejected._tag, "HostCallFailed")
      assert.strictEqual(yield* Ref.get(second.attempts), 1)
    })
  )

  it.effect("retryAfter overrides the computed delay, still capped by maxDelay", () =>
    Effect.gen(function* () {
      const policy = Policy.exponential({ base: 1000, maxAttempts: 4, maxDelay: 30000 })
      const { started, effect } = yield* scripted([
        new HttpError({ status: 429, retryAfter: 7000 }),
        new HttpError({ status: 429, retryAfter: 999999 }),
        new HttpError({ status: 500 })
      ])
      const fiber = yield* Effect.forkChild(Retry.retry(effect, policy))
      yield* TestClock.adjust("1 hour")
      assert.strictEqual(yield* Fiber.join(fiber), "ok after 4")
      assert.deepStrictEqual(started, [0, 7000, 37000, 41000])
    })
  )

  it.effect("times out a slow attempt with AttemptTimedOut and retries it", () =>
    Effect.gen(function* () {
      const policy = Policy.fixed({
        delay: 1000,
        maxAttempts: 3,
        attemptTimeout: "5 seconds",
        retryOn: ["HttpError"]
      })
      const attempts = yield* Ref.make(0)
      const slowThenFast = Effect.gen(function* () {
        const n = yield* Ref.updateAndGet(attempts, (x) => x + 1)
        if (n === 1) yield* Effect.sleep("1 minute")
        return n
      })
      const events: Array<string> = []
      const fiber = yield* Effect.forkChild(
        Retry.retry(slowThenFast, policy, {
          onRetry: (e) => Effect.sync(() => events.push(e.tags.join()))
        })
      )
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(yield* Fiber.join(fiber), 2)
      assert.deepStrictEqual(events, ["AttemptTimedOut"])
    })
  )

  it.effect("reports AttemptTimedOut as the last error when every attempt is too slow", () =>
    Effect.gen(function* () {
      const policy = Policy.none({ maxAttempts: 2, attemptTimeout: 100 })
      const fiber = yield* Effect.forkChild(Effect.flip(Retry.retry(Effect.never, policy)))
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.isTrue(Retry.isRetriesExhausted(error))
      if (Retry.isRetriesExhausted(error)) {
        assert.isTrue(Retry.isAttemptTimedOut(error.lastError))
        assert.strictEqual(error.elapsed, 200)
      }
    })
  )

  it.effect("stops when the next wait would end past maxElapsed", () =>
    Effect.gen(function* () {
      const policy = Policy.exponential({
        base: "1 second",
        maxAttempts: 100,
        maxElapsed: "10 seconds"
      })
      const { attempts, effect } = yield* alwaysFailing(new HttpError({ status: 503 }))
      const fiber = yield* Effect.forkChild(Effect.flip(Retry.retry(effect, policy)))
      yield* TestClock.adjust("1 hour")
      const error = yield* Fiber.join(fiber)
      // waits 1 + 2 + 4 = 7 s; the next 8 s wait would end at 15 s > 10 s
      assert.strictEqual(yield* Ref.get(attempts), 4)
      assert.isTrue(Retry.isRetriesExhausted(error))
      if (Retry.isRetriesExhausted(error)) assert.strictEqual(error.elapsed, 7000)
    })
  )

  it.effect("counts attempts on success with retryWithStats and calls onAttempt", () =>
    Effect.gen(function* () {
      const { effect } = yield* scripted([new HttpError({ status: 500 })])
      const seen: Array<number> = []
      const fiber = yield* Effect.forkChild(
        Retry.retryWithStats(effect, Policy.fixed({ delay: 10, maxAttempts: 3 }), {
          onAttempt: (n) => Effect.sync(() => seen.push(n))
        })
      )
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { value: "ok after 2", attempts: 2 })
      assert.deepStrictEqual(seen, [1, 2])
    })
  )

  it.effect("works data-last in a pipe", () =>
    Effect.gen(function* () {
      const { effect } = yield* scripted([
        new HttpError({ status: 500 }),
        new HttpError({ status: 500 })
      ])
      const stats = yield* effect.pipe(Retry.retryWithStats(Policy.none({ maxAttempts: 3 })))
      assert.deepStrictEqual(stats, { value: "ok after 3", attempts: 3 })
      const again = yield* scripted([new HttpError({ status: 500 })])
      assert.strictEqual(
        yield* again.effect.pipe(Retry.retry(Policy.none({ maxAttempts: 2 }))),
        "ok after 2"
      )
    })
  )

  it.effect("refuses a policy that skipped validation instead of retrying forever", () =>
    Effect.gen(function* () {
      const broken = { maxAttempts: Number.NaN, backoff: { kind: "none" }, jitter: "none" } as const
      const exit = yield* Effect.exit(Retry.retry(Effect.fail("x"), broken))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const defect = exit.cause.reasons.find((r) => r._tag === "Die")
        assert.isTrue(defect !== undefined && Policy.isInvalidPolicy(defect.defect))
      }
    })
  )

  it.effect("does not retry defects", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const exit = yield* Effect.exit(
        Retry.retry(
          Ref.update(attempts, (n) => n + 1).pipe(Effect.andThen(Effect.die("bug"))),
          Policy.none({ maxAttempts: 3 })
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(yield* Ref.get(attempts), 1)
    })
  )

  it("RetriesExhausted survives a JSON round trip with its tag", () => {
    const error = new Retry.RetriesExhausted({
      attempts: 3,
      lastError: { _tag: "HttpError" },
      elapsed: 10
    })
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(Retry.RetriesExhausted)(error)))
    assert.isTrue(Retry.isRetriesExhausted(json))
    assert.deepStrictEqual(json.lastError, { _tag: "HttpError" })
  })
})
