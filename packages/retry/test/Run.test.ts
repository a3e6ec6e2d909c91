import { describe, expect, it } from "@effect/vitest"
import { Policy, Retry } from "../src/index.js"

// The Promise facade runs on the real clock, so these policies use tiny delays (or abort).
describe("Retry.run (Promise facade)", () => {
  it("resolves once fn succeeds and passes the attempt number", async () => {
    const seen: Array<number> = []
    const value = await Retry.run(
      async ({ attempt }) => {
        seen.push(attempt)
        if (attempt < 3) throw new TypeError("fetch failed")
        return "ok"
      },
      Policy.fixed({ delay: 1, maxAttempts: 5 })
    )
    expect(value).toBe("ok")
    expect(seen).toEqual([1, 2, 3])
  })

  it("rejects with RetriesExhausted carrying the last thrown error", async () => {
    const error = await Retry.run(
      () => Promise.reject(new Error("down")),
      Policy.none({ maxAttempts: 3 })
    ).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(Retry.isRetriesExhausted(error)).toBe(true)
    if (Retry.isRetriesExhausted(error)) {
      expect(error.attempts).toBe(3)
      expect((error.lastError as Error).message).toBe("down")
    }
  })

  it("tags plain Errors with their name so retryOn can list them", async () => {
    let calls = 0
    const policy = Policy.none({ maxAttempts: 5, retryOn: ["TypeError"] })
    const error = await Retry.run(async () => {
      calls++
      throw calls === 1 ? new TypeError("network") : new RangeError("bad input")
    }, policy).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(RangeError)
    expect(calls).toBe(2)
  })

  it("calls onRetry before each wait and uses the injected random source", async () => {
    const delays: Array<number> = []
    const policy = Policy.exponential({ base: 4, maxAttempts: 3, jitter: "full" })
    await Retry.run(() => Promise.reject(new Error("x")), policy, {
      random: () => 0.5,
      onRetry: (event) => {
        delays.push(event.delay)
      }
    }).catch(() => undefined)
    expect(delays).toEqual([2, 4])
  })

  it("stops waiting and rejects promptly with the abort reason when the signal aborts", async () => {
    const controller = new AbortController()
    const policy = Policy.fixed({ delay: "1 hour", maxAttempts: 3 })
    let calls = 0
    const started = Date.now()
    const pending = Retry.run(
      async () => {
        calls++
        throw new Error("flaky")
      },
      policy,
      { signal: controller.signal, onRetry: () => controller.abort(new Error("user cancelled")) }
    )
    await expect(pending).rejects.toThrow("user cancelled")
    expect(Date.now() - started).toBeLessThan(2000)
    expect(calls).toBe(1)
  })

  it("aborts the running attempt's signal too", async () => {
    const controller = new AbortController()
    let attemptSignal: AbortSignal | undefined
    const pending = Retry.run(
      ({ signal }) =>
        new Promise<never>(() => {
          attemptSignal = signal
          controller.abort()
        }),
      Policy.none({ maxAttempts: 2 }),
      { signal: controller.signal }
    )
    await expect(pending).rejects.toMatchObject({ name: "AbortError" })
    expect(attemptSignal?.aborted).toBe(true)
  })

  it("rejects at once without calling fn when the signal is already aborted", async () => {
    let calls = 0
    await expect(
      Retry.run(async () => calls++, Policy.none({ maxAttempts: 2 }), {
        signal: AbortSignal.abort()
      })
    ).rejects.toMatchObject({ name: "AbortError" })
    expect(calls).toBe(0)
  })
})
