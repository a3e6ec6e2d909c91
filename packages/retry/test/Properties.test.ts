import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Random, Ref, Schedule } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { Backoff, Jitter, Policy, Retry } from "../src/index.js"

const millis = fc.integer({ min: 0, max: 120_000 })

const backoff: fc.Arbitrary<Backoff.Backoff> = fc.oneof(
  fc.record({
    kind: fc.constant("exponential" as const),
    base: millis,
    factor: fc.double({ min: 1, max: 5, noNaN: true })
  }),
  fc.record({ kind: fc.constant("fixed" as const), delay: millis }),
  fc.record({ kind: fc.constant("linear" as const), base: millis, increment: millis }),
  fc.record({ kind: fc.constant("fibonacci" as const), base: millis }),
  fc.constant({ kind: "none" as const })
)

const policy = (jitter: fc.Arbitrary<Jitter.Jitter>): fc.Arbitrary<Policy.Policy> =>
  fc
    .record({
      maxAttempts: fc.integer({ min: 1, max: 30 }),
      backoff,
      jitter,
      capExtra: fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: undefined })
    })
    .map(({ capExtra, ...rest }) => {
      const first = Backoff.first(rest.backoff)
      return capExtra === undefined ? rest : { ...rest, maxDelay: first + capExtra }
    })

const randoms = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
  minLength: 1,
  maxLength: 50
})
const source = (values: ReadonlyArray<number>) => {
  let i = 0
  return () => values[i++ % values.length]!
}
const capOf = (p: Policy.Policy) => p.maxDelay ?? Backoff.maxSafeDelay

describe("Policy properties", () => {
  it("every generated policy is valid data that survives JSON", () => {
    fc.assert(
      fc.property(policy(fc.constantFrom(...Jitter.kinds)), (p) => {
        expect(Policy.make(JSON.parse(JSON.stringify(p)))).toEqual(p)
      })
    )
  })

  it("without jitter, delays are non-decreasing and never exceed the cap", () => {
    fc.assert(
      fc.property(policy(fc.constant("none")), fc.integer({ min: 0, max: 200 }), (p, attempts) => {
        const delays = Policy.delays(p, { attempts })
        expect(delays).toHaveLength(attempts)
        delays.forEach((delay, i) => {
          expect(delay).toBeGreaterThanOrEqual(0)
          expect(delay).toBeLessThanOrEqual(capOf(p))
          if (i > 0) expect(delay).toBeGreaterThanOrEqual(delays[i - 1]!)
        })
      })
    )
  })

  it("with jitter, every delay lies within its formula's bounds", () => {
    fc.assert(
      fc.property(policy(fc.constantFrom("full", "equal", "decorrelated")), randoms, (p, draws) => {
        const cap = capOf(p)
        const delays = Policy.delays(p, { random: source(draws) })
        const base = Math.min(Backoff.first(p.backoff), cap)
        let previous = base
        delays.forEach((delay, i) => {
          // the un-jittered capped delay t, before rounding
          const t = Math.min(cap, Backoff.delay(p.backoff, i + 1))
          const [lower, upper] = Jitter.bounds(p.jitter, { delay: t, base, previous, cap })
          // delays are whole milliseconds: the formula's value rounded to the nearest ms
          expect(Number.isInteger(delay)).toBe(true)
          expect(delay).toBeGreaterThanOrEqual(Math.round(lower))
          expect(delay).toBeLessThanOrEqual(Math.round(upper))
          expect(delay).toBeLessThanOrEqual(cap)
          if (p.jitter === "full") expect([lower, upper]).toEqual([0, t])
          if (p.jitter === "equal") expect([lower, upper]).toEqual([t / 2, t])
          if (p.jitter === "decorrelated") {
            expect(lower).toBe(base)
            expect(upper).toBe(Math.min(cap, Math.max(base, previous * 3)))
          }
          previous = delay
        })
      })
    )
  })

  it("the number of delays (retries) never exceeds maxAttempts - 1", () => {
    fc.assert(
      fc.property(policy(fc.constantFrom(...Jitter.kinds)), (p) => {
        expect(Policy.delays(p).length).toBe(p.maxAttempts - 1)
      })
    )
  })

  it("delays and toSchedule agree, attempt for attempt, for the same random numbers", async () => {
    await fc.assert(
      fc.asyncProperty(policy(fc.constantFrom(...Jitter.kinds)), randoms, async (p, draws) => {
        const fromSchedule = await Effect.runPromise(
          Effect.gen(function* () {
            const step = yield* Schedule.toStep(Policy.toSchedule(p))
            const out: Array<number> = []
            let now = 0
            for (let i = 0; i < p.maxAttempts + 5; i++) {
              const result = yield* Effect.exit(step(now, { _tag: "Flaky" }))
              if (Exit.isFailure(result)) break
              const ms = Duration.toMillis(result.value[1])
              out.push(ms)
              now += ms
            }
            return out
          }).pipe(
            Effect.provideService(Random.Random, {
              nextDoubleUnsafe: source(draws),
              nextIntUnsafe: () => 0
            })
          )
        )
        expect(fromSchedule).toEqual(Policy.delays(p, { random: source(draws) }))
      }),
      { numRuns: 100 }
    )
  })

  it("with maxElapsed, delays stop where toSchedule and Retry.retry stop (instant attempts)", async () => {
    const budgeted = fc
      .tuple(policy(fc.constantFrom(...Jitter.kinds)), fc.integer({ min: 1, max: 300_000 }))
      .map(([p, maxElapsed]) => ({ ...p, maxElapsed }))
    await fc.assert(
      fc.asyncProperty(budgeted, randoms, async (p, draws) => {
        const expected = Policy.delays(p, { random: source(draws) })
        expect(expected.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(p.maxElapsed)
        // a fresh source per run, so each run draws the same numbers as `delays` did
        const provide = <A, E>(effect: Effect.Effect<A, E>) =>
          Effect.provideService(effect, Random.Random, {
            nextDoubleUnsafe: source(draws),
            nextIntUnsafe: () => 0
          })
        const fromSchedule = await Effect.runPromise(
          Effect.gen(function* () {
            const step = yield* Schedule.toStep(Policy.toSchedule(p))
            const out: Array<number> = []
            let now = 0
            for (let i = 0; i < p.maxAttempts + 5; i++) {
              const result = yield* Effect.exit(step(now, { _tag: "Flaky" }))
              if (Exit.isFailure(result)) break
              const ms = Duration.toMillis(result.value[1])
              out.push(ms)
              now += ms
            }
            return out
          }).pipe(provide)
        )
        expect(fromSchedule).toEqual(expected)
        const waited = await Effect.runPromise(
          Effect.gen(function* () {
            const attempts = yield* Ref.make(0)
            const failing = Ref.update(attempts, (n) => n + 1).pipe(
              Effect.andThen(Effect.fail({ _tag: "Flaky" }))
            )
            const fiber = yield* Effect.forkChild(
              Effect.flip(Retry.retry(failing, p)).pipe(provide)
            )
            yield* TestClock.adjust(Duration.days(100))
            const error = yield* Fiber.join(fiber)
            return {
              attempts: yield* Ref.get(attempts),
              elapsed: Retry.isRetriesExhausted(error) ? error.elapsed : -1
            }
          }).pipe(Effect.provide(TestClock.layer()))
        )
        expect(waited).toEqual({
          attempts: expected.length + 1,
          elapsed: expected.reduce((a, b) => a + b, 0)
        })
      }),
      { numRuns: 100 }
    )
  })

  it("delayFor matches delays for every retry without decorrelated jitter", () => {
    fc.assert(
      fc.property(policy(fc.constantFrom("none", "full", "equal")), randoms, (p, draws) => {
        const delays = Policy.delays(p, { random: source(draws) })
        const next = source(draws)
        delays.forEach((delay, i) => {
          expect(Policy.delayFor(p, i + 1, next)).toBe(delay)
        })
      })
    )
  })

  it.effect(
    "Retry.retry never makes more than maxAttempts attempts, and waits exactly the delays",
    () =>
      Effect.gen(function* () {
        const samples = fc.sample(fc.tuple(policy(fc.constantFrom(...Jitter.kinds)), randoms), {
          numRuns: 60,
          seed: 4
        })
        for (const [p, draws] of samples) {
          const attempts = yield* Ref.make(0)
          const failing = Ref.update(attempts, (n) => n + 1).pipe(
            Effect.andThen(Effect.fail({ _tag: "Flaky" }))
          )
          const fiber = yield* Effect.forkChild(
            Effect.flip(Retry.retry(failing, p)).pipe(
              Effect.provideService(Random.Random, {
                nextDoubleUnsafe: source(draws),
                nextIntUnsafe: () => 0
              })
            )
          )
          yield* TestClock.adjust(Duration.days(100_000))
          const error = yield* Fiber.join(fiber)
          expect(yield* Ref.get(attempts)).toBe(p.maxAttempts)
          const expected = Policy.delays(p, { random: source(draws) }).reduce((a, b) => a + b, 0)
          expect(Retry.isRetriesExhausted(error) && error.elapsed).toBe(expected)
        }
      })
  )
})
