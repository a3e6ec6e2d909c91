import { assert, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Random, Result, Schedule, Schema } from "effect"
import { Backoff, Policy } from "../src/index.js"

const stepDelays = <E>(
  schedule: Schedule.Schedule<Duration.Duration, E>,
  inputs: ReadonlyArray<E>
) =>
  Effect.gen(function* () {
    const step = yield* Schedule.toStep(schedule)
    const out: Array<number> = []
    let now = 0
    for (const input of inputs) {
      const result = yield* Effect.exit(step(now, input))
      if (Exit.isFailure(result)) break
      const millis = Duration.toMillis(result.value[1])
      out.push(millis)
      now += millis
    }
    return out
  })

const seeded = (values: ReadonlyArray<number>) => {
  let i = 0
  return () => values[i++ % values.length]!
}

describe("Policy reference behaviour", () => {
  it("doubles a 2 s base: 2, 4, 8, 16, 32 s before retries 1..5", () => {
    const policy = Policy.exponential({ base: "2 seconds", maxAttempts: 6 })
    expect(Policy.delays(policy)).toEqual([2000, 4000, 8000, 16000, 32000])
  })

  it("computes one delay per retry the policy allows: maxAttempts - 1", () => {
    expect(Policy.delays(Policy.exponential({ base: 2000, maxAttempts: 5 }))).toEqual([
      2000, 4000, 8000, 16000
    ])
    expect(Policy.delays(Policy.exponential({ base: 2000, maxAttempts: 1 }))).toEqual([])
  })

  it("never exceeds maxDelay, even for high attempt numbers", () => {
    const policy = Policy.exponential({ base: 2000, maxAttempts: 10, maxDelay: "60 seconds" })
    const delays = Policy.delays(policy, { attempts: 40 })
    expect(delays.slice(0, 6)).toEqual([2000, 4000, 8000, 16000, 32000, 60000])
    expect(Math.max(...delays)).toBe(60000)
  })

  it("keeps uncapped exponential growth finite", () => {
    const delays = Policy.delays(Policy.exponential({ base: 1000, maxAttempts: 2 }), {
      attempts: 2000
    })
    expect(delays.every(Number.isFinite)).toBe(true)
    expect(delays.at(-1)).toBe(Backoff.maxSafeDelay)
  })

  it("computes fixed, linear, fibonacci and none delays", () => {
    expect(Policy.delays(Policy.fixed({ delay: 500, maxAttempts: 4 }))).toEqual([500, 500, 500])
    expect(Policy.delays(Policy.linear({ base: 1000, increment: 500, maxAttempts: 5 }))).toEqual([
      1000, 1500, 2000, 2500
    ])
    expect(Policy.delays(Policy.fibonacci({ base: 100, maxAttempts: 8 }))).toEqual([
      100, 100, 200, 300, 500, 800, 1300
    ])
    expect(Policy.delays(Policy.none({ maxAttempts: 3 }))).toEqual([0, 0])
  })

  it("uses the factor of an exponential backoff", () => {
    expect(Policy.delays(Policy.exponential({ base: 100, factor: 3, maxAttempts: 4 }))).toEqual([
      100, 300, 900
    ])
  })

  it("applies the AWS jitter formulas to the capped delay with the injected random source", () => {
    const base = { base: 2000, maxAttempts: 4, maxDelay: 60000 } as const
    expect(
      Policy.delays(Policy.exponential({ ...base, jitter: "full" }), { random: () => 0.5 })
    ).toEqual([1000, 2000, 4000])
    expect(
      Policy.delays(Policy.exponential({ ...base, jitter: "equal" }), { random: () => 0.5 })
    ).toEqual([1500, 3000, 6000])
    // decorrelated: min(cap, rand(base, previous · 3)), previous starts at base
    expect(
      Policy.delays(Policy.exponential({ ...base, jitter: "decorrelated" }), { random: () => 1 })
    ).toEqual([6000, 18000, 54000])
    expect(
      Policy.delays(Policy.exponential({ ...base, jitter: "decorrelated" }), {
        random: () => 1,
        attempts: 4
      })
    ).toEqual([6000, 18000, 54000, 60000])
  })

  it("describes a policy in one line", () => {
    const policy = Policy.exponential({
      base: "2 seconds",
      maxAttempts: 5,
      maxDelay: "60 seconds",
      jitter: "full"
    })
    expect(Policy.describe(policy)).toBe("5 attempts, exponential 2s×2 capped at 60s, full jitter")
    expect(
      Policy.describe(
        Policy.fixed({
          delay: 250,
          maxAttempts: 1,
          retryOn: ["HttpError", "Timeout"],
          abortOn: ["Unauthorized"],
          attemptTimeout: "5 seconds",
          maxElapsed: "2 minutes"
        })
      )
    ).toBe(
      "1 attempt, fixed 250ms, retry on HttpError|Timeout, abort on Unauthorized, 5s per attempt, at most 120s in total"
    )
  })
})

describe("Policy constructors", () => {
  const invalid = (f: () => unknown): Policy.InvalidPolicy => {
    try {
      f()
    } catch (error) {
      if (Policy.isInvalidPolicy(error)) return error
      throw error
    }
    throw new Error("expected InvalidPolicy")
  }

  it.each([
    ["negative base", () => Policy.exponential({ base: -1, maxAttempts: 3 }), "backoff.base"],
    [
      "factor < 1",
      () => Policy.exponential({ base: 1, factor: 0.5, maxAttempts: 3 }),
      "backoff.factor"
    ],
    ["maxAttempts < 1", () => Policy.fixed({ delay: 1, maxAttempts: 0 }), "maxAttempts"],
    ["fractional maxAttempts", () => Policy.fixed({ delay: 1, maxAttempts: 2.5 }), "maxAttempts"],
    ["NaN delay", () => Policy.fixed({ delay: Number.NaN, maxAttempts: 3 }), "backoff.delay"],
    ["infinite base", () => Policy.linear({ base: Infinity, maxAttempts: 3 }), "backoff.base"],
    [
      "negative increment",
      () => Policy.linear({ base: 1, increment: -1, maxAttempts: 3 }),
      "backoff.increment"
    ],
    [
      "maxDelay < base",
      () => Policy.fibonacci({ base: 100, maxDelay: 10, maxAttempts: 3 }),
      "maxDelay"
    ],
    [
      "zero attemptTimeout",
      () => Policy.none({ maxAttempts: 3, attemptTimeout: 0 }),
      "attemptTimeout"
    ],
    ["negative maxElapsed", () => Policy.none({ maxAttempts: 3, maxElapsed: -5 }), "maxElapsed"],
    ["empty tag", () => Policy.none({ maxAttempts: 3, abortOn: [""] }), "abortOn[0]"]
  ])("throws InvalidPolicy naming the field for %s", (_, make, field) => {
    const error = invalid(make)
    expect(error._tag).toBe("InvalidPolicy")
    expect(error.field).toBe(field)
    expect(error.message).toContain(field)
  })

  it("lists every problem, not just the first", () => {
    const error = invalid(() =>
      Policy.exponential({ base: -1, factor: 0, maxAttempts: 0, maxDelay: Number.NaN })
    )
    expect(error.issues.map((issue) => issue.field)).toEqual([
      "maxAttempts",
      "backoff.base",
      "backoff.factor",
      "maxDelay"
    ])
  })

  it("rejects a retryOn / abortOn that is not a list instead of splitting it into letters", () => {
    // e.g. a policy built from untyped config: `retryOn: "HttpError"`
    const error = invalid(() =>
      Policy.exponential({
        base: 100,
        maxAttempts: 3,
        retryOn: "HttpError" as unknown as ReadonlyArray<string>,
        abortOn: [42 as unknown as string]
      })
    )
    expect(error.issues).toEqual([
      {
        field: "retryOn",
        message: 'retryOn must be a list of error tags such as ["HttpError"], got "HttpError"'
      },
      { field: "abortOn[0]", message: "abortOn[0] must be a non-empty error tag, got 42" }
    ])
  })

  it("reports one problem per unreadable duration, naming what it got", () => {
    const error = invalid(() =>
      Policy.exponential({ base: "soon" as unknown as Duration.Input, maxAttempts: 3 })
    )
    expect(error.issues).toEqual([
      {
        field: "backoff.base",
        message: 'backoff.base must be a duration ("2 seconds", 500), got "soon"'
      }
    ])
    expect(error.message).toBe(
      'Invalid retry policy: backoff.base must be a duration ("2 seconds", 500), got "soon"'
    )
  })

  it("says when a number field got a string, instead of echoing it like a number", () => {
    const error = invalid(() => Policy.fixed({ delay: 10, maxAttempts: "3" as unknown as number }))
    expect(error.field).toBe("maxAttempts")
    expect(error.issues[0]?.message).toContain('got "3"')
  })

  it("turns any junk from untyped callers into InvalidPolicy, never a TypeError", () => {
    const junk = [[Object.create(null)], [10n]] as unknown as Duration.Input
    const error = invalid(() => Policy.fixed({ delay: 10, maxAttempts: 3, maxElapsed: junk }))
    expect(error.field).toBe("maxElapsed")
    expect(error.issues).toHaveLength(1)
    expect(error.message).toContain("maxElapsed must be a duration")
  })

  it("accepts Duration inputs and stores milliseconds", () => {
    const policy = Policy.exponential({
      base: Duration.seconds(1),
      maxAttempts: 3,
      maxDelay: "1 minute",
      attemptTimeout: 1500
    })
    expect(policy).toEqual({
      maxAttempts: 3,
      backoff: { kind: "exponential", base: 1000, factor: 2 },
      maxDelay: 60000,
      jitter: "none",
      attemptTimeout: 1500
    })
  })

  it("make validates a hand-built policy value", () => {
    expect(() =>
      Policy.make({ maxAttempts: 3, backoff: { kind: "fixed", delay: -2 }, jitter: "none" })
    ).toThrow(/backoff.delay/)
  })
})

describe("Policy.decode", () => {
  it.effect("round-trips a policy through JSON", () =>
    Effect.gen(function* () {
      const policy = Policy.exponential({
        base: 2000,
        maxAttempts: 5,
        maxDelay: 60000,
        jitter: "decorrelated",
        retryOn: ["HttpError"],
        abortOn: ["Unauthorized"],
        maxElapsed: 300000,
        attemptTimeout: 10000
      })
      const json = JSON.stringify(Schema.encodeSync(Policy.Policy)(policy))
      assert.deepStrictEqual(yield* Policy.decode(JSON.parse(json)), policy)
    })
  )

  it.effect("fills jitter and exponential factor defaults for hand-written JSON", () =>
    Effect.gen(function* () {
      const policy = yield* Policy.decode({
        maxAttempts: 3,
        backoff: { kind: "exponential", base: 100 }
      })
      assert.deepStrictEqual(policy, {
        maxAttempts: 3,
        backoff: { kind: "exponential", base: 100, factor: 2 },
        jitter: "none"
      })
    })
  )

  it.effect("rejects unknown fields, so a typo cannot silently drop a cap", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Policy.decode({
          maxAttempts: 5,
          backoff: { kind: "fixed", delay: 100, dealy: 5 },
          maxDelayMs: 60000
        })
      )
      assert.strictEqual(error._tag, "InvalidPolicy")
      assert.deepStrictEqual(error.issues, [
        {
          field: "backoff.dealy",
          message: "backoff.dealy is not a field of a fixed backoff; allowed: kind, delay"
        },
        {
          field: "maxDelayMs",
          message:
            "maxDelayMs is not a field of a retry policy; allowed: maxAttempts, backoff, maxDelay, jitter, retryOn, abortOn, maxElapsed, attemptTimeout"
        }
      ])
    })
  )

  it.effect("fails with every structural and range problem, each naming its field", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Policy.decode({ maxAttempts: "three", backoff: { kind: "quadratic" }, jitter: "some" })
      )
      assert.strictEqual(error._tag, "InvalidPolicy")
      assert.deepStrictEqual(
        error.issues.map((issue) => issue.field),
        ["maxAttempts", "backoff.kind", "jitter"]
      )
      const ranges = yield* Effect.flip(
        Policy.decode({ maxAttempts: 0, backoff: { kind: "fixed", delay: -1 }, retryOn: [1] })
      )
      assert.deepStrictEqual(
        ranges.issues.map((issue) => issue.field),
        ["retryOn[0]", "maxAttempts", "backoff.delay"]
      )
      const semantic = yield* Effect.flip(
        Policy.decode({ maxAttempts: 0, backoff: { kind: "fixed", delay: -1 } })
      )
      assert.deepStrictEqual(
        semantic.issues.map((issue) => issue.field),
        ["maxAttempts", "backoff.delay"]
      )
    })
  )

  it("decodeSync returns a Result for non-Effect callers", () => {
    const bad = Policy.decodeSync("not a policy")
    expect(Result.isFailure(bad) && [bad.failure._tag, bad.failure.field]).toEqual([
      "InvalidPolicy",
      ""
    ])
    const good = Policy.decodeSync({ maxAttempts: 2, backoff: { kind: "fixed", delay: 5 } })
    expect(Result.isSuccess(good) && good.success).toEqual({
      maxAttempts: 2,
      backoff: { kind: "fixed", delay: 5 },
      jitter: "none"
    })
  })
})

describe("Policy.toSchedule", () => {
  it.effect("yields the same delays as Policy.delays, then stops at maxAttempts", () =>
    Effect.gen(function* () {
      const policy = Policy.exponential({ base: 2000, maxAttempts: 6, maxDelay: 10000 })
      const delays = yield* stepDelays(Policy.toSchedule(policy), Array(10).fill({ _tag: "E" }))
      assert.deepStrictEqual(delays, [...Policy.delays(policy)])
      assert.deepStrictEqual(delays, [2000, 4000, 8000, 10000, 10000])
    })
  )

  it.effect("draws jitter from Effect's Random service", () =>
    Effect.gen(function* () {
      const policy = Policy.exponential({ base: 1000, maxAttempts: 5, jitter: "full" })
      const random = seeded([0.1, 0.9, 0.3, 0.7])
      const delays = yield* stepDelays(Policy.toSchedule(policy), Array(10).fill("e")).pipe(
        Effect.provideService(Random.Random, { nextDoubleUnsafe: random, nextIntUnsafe: () => 0 })
      )
      assert.deepStrictEqual(delays, [
        ...Policy.delays(policy, { random: seeded([0.1, 0.9, 0.3, 0.7]) })
      ])
    })
  )

  it.effect("stops on an error the policy does not retry and honours retryAfter", () =>
    Effect.gen(function* () {
      const policy = Policy.fixed({
        delay: 1000,
        maxAttempts: 5,
        maxDelay: 20000,
        retryOn: ["Busy"],
        abortOn: ["Fatal"]
      })
      const delays = yield* stepDelays(Policy.toSchedule(policy), [
        { _tag: "Busy" },
        { _tag: "Busy", retryAfter: 5000 },
        { _tag: "Busy", retryAfter: 99999 },
        { _tag: "Fatal" },
        { _tag: "Busy" }
      ])
      assert.deepStrictEqual(delays, [1000, 5000, 20000])
    })
  )

  it.effect("retries with Effect.retry like the policy says", () =>
    Effect.gen(function* () {
      let attempts = 0
      const exit = yield* Effect.exit(
        Effect.suspend(() => {
          attempts++
          return Effect.fail({ _tag: "Flaky" })
        }).pipe(Effect.retry(Policy.toSchedule(Policy.none({ maxAttempts: 4 }))))
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(attempts, 4)
    })
  )
})
