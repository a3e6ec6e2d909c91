import { it } from "@effect/vitest"
import { Clock, Effect, Ref } from "effect"
import { describe, expect } from "vitest"
import { Async, VirtualTime } from "../src/index.js"

const messageOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => (error as { message: string }).message)

/** A getter that returns the given values one after another. */
const sequence = (values: ReadonlyArray<number>) => {
  let i = 0
  return Effect.sync(() => values[Math.min(i++, values.length - 1)]!)
}

describe("Async.waitFor", () => {
  it.effect("returns once the condition turns true, on virtual time", () =>
    Effect.gen(function* () {
      const ready = yield* Ref.make(false)
      yield* Effect.forkChild(Effect.andThen(Effect.sleep("3 seconds"), Ref.set(ready, true)))
      yield* Async.waitFor(Ref.get(ready), { timeout: "5 seconds", interval: "1 second" })
      expect(yield* Clock.currentTimeMillis).toBe(3000)
    }).pipe(VirtualTime.run())
  )

  it.effect("fails after the timeout, saying what it waited for", () =>
    Effect.gen(function* () {
      const message = yield* messageOf(
        Async.waitFor(Effect.succeed(false), {
          timeout: "2 seconds",
          interval: "500 millis",
          message: "order shipped"
        })
      )
      expect(message).toMatchInlineSnapshot(
        `"waitFor: order shipped still false after 2s (5 checks, every 500ms)"`
      )
    }).pipe(VirtualTime.run())
  )
})

describe("Async.assertEventually", () => {
  it.effect("retries a throwing assertion until it passes", () =>
    Effect.gen(function* () {
      let calls = 0
      const value = yield* Async.assertEventually(
        Effect.sync(() => {
          calls++
          expect(calls).toBeGreaterThanOrEqual(3)
          return calls
        })
      )
      expect(value).toBe(3)
    }).pipe(VirtualTime.run())
  )

  it.effect("fails with the last failure once the timeout passes", () =>
    Effect.gen(function* () {
      const message = yield* messageOf(
        Async.assertEventually(Effect.fail(new Error("queue is empty")), { timeout: "100 millis" })
      )
      expect(message).toMatchInlineSnapshot(
        `"assertEventually: assertion still failing after 100ms (11 attempts); last failure: Error: queue is empty"`
      )
    }).pipe(VirtualTime.run())
  )
})

describe("Async.assertConverges", () => {
  it.effect("accepts a big first step that then settles", () =>
    Effect.gen(function* () {
      const result = yield* Async.assertConverges(sequence([0, 100, 99, 99.9, 100, 100]), {
        tolerance: 0.5
      })
      expect(result.value).toBe(100)
      expect(result.settledAt).toBe(3)
    })
  )

  it.effect("accepts a geometric approach to a limit", () =>
    Effect.gen(function* () {
      let x = 0
      const result = yield* Async.assertConverges(
        Effect.sync(() => (x += (100 - x) / 2)),
        { tolerance: 1, samples: 30 }
      )
      expect(result.value).toBeGreaterThan(99)
    })
  )

  it.effect("fails on oscillation even when it never leaves a bounded range", () =>
    Effect.gen(function* () {
      const message = yield* messageOf(
        Async.assertConverges(sequence([0, 10, 0, 10, 0, 10, 0, 10]), { tolerance: 1, samples: 8 })
      )
      expect(message).toMatchInlineSnapshot(
        `"assertConverges: did not settle within tolerance 1 after 8 samples: the values oscillate; the last 3 span 10. Samples: [0, 10, 0, 10, 0, 10, 0, 10]"`
      )
    })
  )

  it.effect("fails on a slow drift whose individual steps are all within tolerance", () =>
    Effect.gen(function* () {
      let x = 0
      const message = yield* messageOf(
        Async.assertConverges(
          Effect.sync(() => (x += 0.6)),
          { tolerance: 1, samples: 10 }
        )
      )
      expect(message).toContain("the values are still moving")
    })
  )

  it.effect("fails on a steady drift even when the last window fits in the tolerance band", () =>
    Effect.gen(function* () {
      let x = 0
      const message = yield* messageOf(
        Async.assertConverges(
          Effect.sync(() => (x += 0.4)),
          { tolerance: 1, samples: 12 }
        )
      )
      expect(message).toMatchInlineSnapshot(
        `"assertConverges: did not settle within tolerance 1 after 12 samples: the values are still moving; the last 3 span 0.8. Samples: [0.4, 0.8, 1.2, 1.6, 2, 2.4, 2.8, 3.2, 3.6, 4, 4.4, 4.8]"`
      )
    })
  )

  it.effect("accepts a slow but slowing approach, and noise within the band", () =>
    Effect.gen(function* () {
      let x = 0
      const slowing = yield* Async.assertConverges(
        Effect.sync(() => (x += (100 - x) * 0.05)),
        { tolerance: 1, samples: 200 }
      )
      expect(slowing.value).toBeGreaterThan(90)
      const noisy = yield* Async.assertConverges(sequence([50, 10.2, 9.9, 10.1, 9.8]), {
        tolerance: 0.5
      })
      // settles at the fifth sample (minSamples), the swings not growing
      expect(noisy.value).toBe(9.8)
    })
  )

  it.effect("stops sampling at the timeout", () =>
    Effect.gen(function* () {
      let x = 0
      const message = yield* messageOf(
        Async.assertConverges(
          Effect.sync(() => (x += 5)),
          {
            tolerance: 1,
            samples: 1000,
            timeout: "1 second",
            interval: "100 millis"
          }
        )
      )
      expect(message).toContain("after 1s (11 samples)")
    }).pipe(VirtualTime.run())
  )
})

describe("Async.assertTimeLimit", () => {
  it.effect("interrupts the effect at the limit instead of waiting for it", () =>
    Effect.gen(function* () {
      let finished = false
      const message = yield* messageOf(
        Async.assertTimeLimit(
          "2 seconds",
          Effect.andThen(
            Effect.sleep("10 seconds"),
            Effect.sync(() => (finished = true))
          )
        )
      )
      expect(message).toBe("assertTimeLimit: did not finish within 2s; interrupted at the limit")
      expect(yield* Clock.currentTimeMillis).toBe(2000)
      expect(finished).toBe(false)
    }).pipe(VirtualTime.run())
  )

  it.effect("passes the value through when in time", () =>
    Effect.gen(function* () {
      const value = yield* Async.assertTimeLimit(
        "2 seconds",
        Effect.as(Effect.sleep("1 second"), "ok")
      )
      expect(value).toBe("ok")
    }).pipe(VirtualTime.run())
  )
})

describe("Async.assertDuration", () => {
  it.effect("measures Clock time and enforces bounds", () =>
    Effect.gen(function* () {
      const { millis } = yield* Async.assertDuration(Effect.sleep("1 second"), {
        min: 1000,
        max: 1000
      })
      expect(millis).toBe(1000)
      const tooFast = yield* messageOf(Async.assertDuration(Effect.void, { min: "1 second" }))
      expect(tooFast).toBe("assertDuration: took 0ms, expected at least 1s")
      const tooSlow = yield* messageOf(
        Async.assertDuration(Effect.sleep("3 seconds"), { max: "2 seconds" })
      )
      expect(tooSlow).toBe("assertDuration: took 3s, expected at most 2s")
    }).pipe(VirtualTime.run())
  )
})

describe("Async.assertRaises", () => {
  it.effect("returns the matching error", () =>
    Effect.gen(function* () {
      const error = yield* Async.assertRaises(
        Effect.fail({ _tag: "PaymentDeclined", message: "card expired" }),
        { tag: "PaymentDeclined", message: /expired/ }
      )
      expect(error).toEqual({ _tag: "PaymentDeclined", message: "card expired" })
    })
  )

  it.effect("fails when nothing fails, or something else does", () =>
    Effect.gen(function* () {
      expect(yield* messageOf(Async.assertRaises(Effect.succeed({ id: 1 })))).toBe(
        'assertRaises: expected a failure, but it succeeded with {"id":1}'
      )
      expect(
        yield* messageOf(
          Async.assertRaises(Effect.fail(new TypeError("nope")), { tag: "RangeError" })
        )
      ).toBe('assertRaises: expected an error tagged RangeError, got TypeError: "nope"')
      expect(
        yield* messageOf(Async.assertRaises(Effect.die(new Error("bug")), { message: "timeout" }))
      ).toBe('assertRaises: expected a message matching timeout, got "bug"')
    })
  )
})

describe("Async.runConcurrent / runSequential", () => {
  it.effect("runs concurrently (1s total) or in sequence (2s total) and keeps order", () =>
    Effect.gen(function* () {
      const job = (name: string) => Effect.as(Effect.sleep("1 second"), name)
      const concurrent = yield* Async.assertDuration(Async.runConcurrent([job("a"), job("b")]), {
        max: "1 second"
      })
      const sequential = yield* Async.assertDuration(Async.runSequential([job("a"), job("b")]), {
        min: "2 seconds"
      })
      expect(concurrent.value).toEqual(["a", "b"])
      expect(sequential.value).toEqual(["a", "b"])
    }).pipe(VirtualTime.run())
  )
})

describe("Promise twins", () => {
  it("waitForPromise and assertEventuallyPromise wait in real time", async () => {
    let done = false
    setTimeout(() => {
      done = true
    }, 20)
    await Async.waitForPromise(() => done, { timeout: "2 seconds" })
    const items: Array<number> = []
    setTimeout(() => items.push(1), 20)
    await Async.assertEventuallyPromise(() => expect(items).toEqual([1]), { timeout: "2 seconds" })
    await expect(
      Async.waitForPromise(() => false, { timeout: "30 millis", message: "server ready" })
    ).rejects.toThrow(/waitFor: server ready still false after/)
  })

  it("assertTimeLimitPromise aborts the signal and rejects at the limit", async () => {
    let aborted = false
    const started = performance.now()
    await expect(
      Async.assertTimeLimitPromise(
        "30 millis",
        (signal) =>
          new Promise<void>((resolve) => {
            signal.addEventListener("abort", () => {
              aborted = true
            })
            setTimeout(resolve, 5_000).unref()
          })
      )
    ).rejects.toThrow("assertTimeLimit: did not finish within 30ms; interrupted at the limit")
    expect(aborted).toBe(true)
    expect(performance.now() - started).toBeLessThan(3_000)
  })

  it("assertRaisesPromise, assertConvergesPromise and the runners", async () => {
    const error = await Async.assertRaisesPromise(
      async () => {
        throw new RangeError("too big")
      },
      { tag: "RangeError" }
    )
    expect(error).toBeInstanceOf(RangeError)
    await expect(Async.assertRaisesPromise(async () => 1)).rejects.toThrow(/succeeded with 1/)
    let x = 0
    const converged = await Async.assertConvergesPromise(async () => (x += (10 - x) / 2), {
      tolerance: 0.1
    })
    expect(converged.value).toBeCloseTo(10, 0)
    expect(await Async.runConcurrentPromise([async () => 1, () => 2])).toEqual([1, 2])
    const order: Array<string> = []
    await Async.runSequentialPromise([
      async () => order.push("first"),
      async () => order.push("second")
    ])
    expect(order).toEqual(["first", "second"])
  })
})
