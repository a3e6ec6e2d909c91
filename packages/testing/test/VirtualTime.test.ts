import { Clock, Deferred, Effect, Exit, Fiber, Queue, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { VirtualTime } from "../src/index.js"

const now = Clock.currentTimeMillis

/** A real asynchronous operation (a real timer), marked as real work. */
const realOperation = (label: string, ms: number) =>
  VirtualTime.withRealWork(
    label,
    Effect.callback<void>((resume) => {
      const timer = setTimeout(() => resume(Effect.void), ms)
      return Effect.sync(() => clearTimeout(timer))
    })
  )

describe("VirtualTime.run", () => {
  it("runs 10 virtual minutes of sleep in a few real milliseconds", async () => {
    const { value, timing } = await VirtualTime.measurePromise(
      Effect.gen(function* () {
        yield* Effect.sleep("10 minutes")
        return yield* now
      })
    )
    expect(value).toBe(600_000)
    expect(timing.virtualMs).toBe(600_000)
    expect(timing.advances).toBe(1)
    expect(timing.realMs).toBeLessThan(5_000) // not ten real minutes
  })

  it("retries with exponential backoff at exact virtual times", async () => {
    const attemptsAt: Array<number> = []
    const flaky = Effect.gen(function* () {
      attemptsAt.push(yield* now)
      if (attemptsAt.length < 3) return yield* Effect.fail("temporarily down")
      return "up"
    })
    const result = await VirtualTime.runPromise(
      flaky.pipe(Effect.retry(Schedule.exponential("2 seconds")))
    )
    expect(result).toBe("up")
    expect(attemptsAt).toEqual([0, 2000, 6000])
  })

  it("ends parallel sleeps together and sequential ones one after another", async () => {
    const sleepThenNow = Effect.andThen(Effect.sleep("1 second"), now)
    const parallel = await VirtualTime.runPromise(
      Effect.all([sleepThenNow, sleepThenNow], { concurrency: "unbounded" })
    )
    const sequential = await VirtualTime.runPromise(Effect.all([sleepThenNow, sleepThenNow]))
    expect(parallel).toEqual([1000, 1000])
    expect(sequential).toEqual([1000, 2000])
  })

  it("does not let a timeout fire while registered real work is in flight", async () => {
    const { value, timing } = await VirtualTime.measurePromise(
      realOperation("db:query", 40).pipe(Effect.timeout("1 second"), Effect.andThen(now))
    )
    expect(value).toBe(0)
    expect(timing.realMs).toBeGreaterThanOrEqual(35)
  })

  it("fires a timeout at exactly its deadline around a virtual sleep", async () => {
    const exit = await Effect.runPromise(
      Effect.exit(
        VirtualTime.run(
          Effect.gen(function* () {
            const result = yield* Effect.exit(
              Effect.sleep("5 seconds").pipe(Effect.timeout("1 second"))
            )
            return { timedOut: Exit.isFailure(result), at: yield* now }
          })
        )
      )
    )
    expect(exit).toEqual(Exit.succeed({ timedOut: true, at: 1000 }))
  })

  it("holds time still for a callback that starts a real timer, without any marking", async () => {
    const unmarked = Effect.callback<void>((resume) => {
      const timer = setTimeout(() => resume(Effect.void), 30)
      return Effect.sync(() => clearTimeout(timer))
    })
    const { value, timing } = await VirtualTime.measurePromise(
      Effect.exit(unmarked.pipe(Effect.timeout("1 second")))
    )
    expect(Exit.isSuccess(value)).toBe(true)
    expect(timing.virtualMs).toBe(0)
  })

  it("fails fast naming the deadlock instead of hanging", async () => {
    const started = performance.now()
    const stuck = Effect.gen(function* () {
      yield* Effect.sleep("1500 millis")
      const never = yield* Deferred.make<void>()
      yield* Deferred.await(never).pipe(Effect.withSpan("wait for approval"))
    }).pipe(Effect.withSpan("checkout"))
    const error = await Effect.runPromise(Effect.flip(VirtualTime.run(stuck)))
    expect(performance.now() - started).toBeLessThan(3_000)
    expect(error._tag).toBe("VirtualTimeDeadlock")
    expect(error.message).toMatchInlineSnapshot(
      `"deadlock at virtual t=1500ms: no fiber can run, no real work is in flight and no timer is pending, so the program can never finish. Still open: checkout > wait for approval. (If it awaits real I/O through a callback the harness cannot see, mark that work with withRealWork, or use time: "scaled" or "live".)"`
    )
  })

  it("interrupts the deadlocked program so its finalizers run", async () => {
    let released = false
    const stuck = Effect.gen(function* () {
      yield* Effect.addFinalizer(() => Effect.sync(() => (released = true)))
      const queue = yield* Queue.unbounded<number>()
      return yield* Queue.take(queue)
    }).pipe(Effect.scoped)
    const error = await Effect.runPromise(Effect.flip(VirtualTime.run(stuck)))
    expect(error._tag).toBe("VirtualTimeDeadlock")
    expect(released).toBe(true)
  })

  it("stops an endless periodic timer at the advance limit", async () => {
    const poller = Effect.forever(Effect.sleep("1 second"))
    const error = await Effect.runPromise(Effect.flip(VirtualTime.run(poller, { maxAdvances: 50 })))
    expect(error._tag).toBe("VirtualTimeLimitExceeded")
    expect(error.message).toMatchInlineSnapshot(
      `"virtual time advanced 50 times (now t=50000ms) without the program finishing; an endless periodic timer (poller, watchdog) may hide a program that never ends."`
    )
  })

  it("stops at the virtual time limit before jumping past it", async () => {
    const error = await Effect.runPromise(
      Effect.flip(VirtualTime.run(Effect.sleep("2 days"), { maxVirtualTime: "1 day" }))
    )
    expect(error).toMatchObject({ _tag: "VirtualTimeLimitExceeded", limit: "virtual-time", at: 0 })
  })

  it("names a stuck real operation after the real-work timeout", async () => {
    const error = await Effect.runPromise(
      Effect.flip(
        VirtualTime.run(VirtualTime.withRealWork("sandbox:charge", Effect.never), {
          realWorkTimeout: "50 millis"
        })
      )
    )
    expect(error).toMatchObject({ _tag: "RealWorkStuck", label: "sandbox:charge", at: 0 })
    expect(error.message).toMatch(/real operation "sandbox:charge" still in flight after \d+ms/)
  })

  it("is deterministic over repeated runs of a mixed scenario", async () => {
    const scenario = Effect.gen(function* () {
      const log: Array<string> = []
      const worker = (name: string, delays: ReadonlyArray<number>) =>
        Effect.forEach(delays, (ms) =>
          Effect.gen(function* () {
            yield* Effect.sleep(ms)
            log.push(`${name}@${yield* now}`)
          })
        )
      const queue = yield* Queue.unbounded<string>()
      const consumer = yield* Effect.forkChild(
        Effect.forever(
          Effect.gen(function* () {
            const item = yield* Queue.take(queue)
            log.push(`got ${item}@${yield* now}`)
          })
        )
      )
      yield* Effect.all(
        [
          worker("a", [300, 200, 100]),
          worker("b", [100, 100, 400]),
          Effect.forEach([50, 250], (ms) =>
            Effect.andThen(Effect.sleep(ms), Queue.offer(queue, `msg${ms}`))
          ),
          Effect.retry(
            Effect.fail("x"),
            Schedule.spaced("150 millis").pipe(Schedule.upTo({ times: 3 }))
          ).pipe(Effect.ignore)
        ],
        { concurrency: "unbounded" }
      )
      yield* Fiber.interrupt(consumer)
      return log.join(",")
    })
    const runs = new Set<string>()
    for (let i = 0; i < 30; i++) runs.add(await VirtualTime.runPromise(scenario))
    expect(runs.size).toBe(1)
    expect([...runs][0]).toContain("a@600")
  })

  it("handles thousands of concurrent distinct timers", async () => {
    const { value, timing } = await VirtualTime.measurePromise(
      Effect.forEach(
        Array.from({ length: 2000 }, (_, i) => i + 1),
        (ms) => Effect.andThen(Effect.sleep(ms), now),
        { concurrency: "unbounded" }
      )
    )
    expect(value.at(-1)).toBe(2000)
    expect(timing.advances).toBe(2000)
    expect(timing.realMs).toBeLessThan(5_000)
  })

  it("joins an enclosing region instead of starting a second clock", async () => {
    const inner = VirtualTime.measure(Effect.sleep("1 minute"))
    const result = await VirtualTime.runPromise(
      Effect.gen(function* () {
        yield* Effect.sleep("1 minute")
        const { timing } = yield* inner
        return { active: yield* VirtualTime.isActive, virtualMs: timing.virtualMs, at: yield* now }
      })
    )
    expect(result).toEqual({ active: true, virtualMs: 60_000, at: 120_000 })
  })

  it("counts TestClock.withLive as real work: virtual time waits for it", async () => {
    const { value, timing } = await VirtualTime.measurePromise(
      TestClock.withLive(Effect.sleep("20 millis")).pipe(
        Effect.timeout("1 second"),
        Effect.andThen(now)
      )
    )
    expect(value).toBe(0)
    expect(timing.realMs).toBeGreaterThanOrEqual(15)
  })

  it("still honours TestClock.adjust from inside the program, waking sleeps in order", async () => {
    const log = await VirtualTime.runPromise(
      Effect.gen(function* () {
        const woke: Array<string> = []
        yield* Effect.forkChild(
          Effect.andThen(
            Effect.sleep("2 seconds"),
            Effect.sync(() => woke.push("b@2s"))
          )
        )
        yield* Effect.forkChild(
          Effect.andThen(
            Effect.sleep("1 second"),
            Effect.sync(() => woke.push("a@1s"))
          )
        )
        yield* Effect.yieldNow
        yield* TestClock.adjust("5 seconds")
        woke.push(`now@${yield* now}`)
        return woke
      })
    )
    expect(log).toEqual(["a@1s", "b@2s", "now@5000"])
  })

  it("starts at a chosen virtual time", async () => {
    expect(await VirtualTime.runPromise(now, { startTime: 1_700_000_000_000 })).toBe(
      1_700_000_000_000
    )
  })
})

describe("VirtualTime opt-outs", () => {
  it("manual mode gives a TestClock you move yourself", async () => {
    const value = await VirtualTime.runPromise(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(Effect.andThen(Effect.sleep("1 hour"), now))
        yield* TestClock.adjust("1 hour")
        return yield* Fiber.join(fiber)
      }),
      { mode: "manual" }
    )
    expect(value).toBe(3_600_000)
  })

  it("live mode sleeps in real time", async () => {
    const { timing } = await VirtualTime.measurePromise(Effect.sleep("30 millis"), { mode: "live" })
    expect(timing.mode).toBe("live")
    expect(timing.realMs).toBeGreaterThanOrEqual(25)
  })
})

describe("VirtualTime leak report", () => {
  it("reports a detached fiber that is still sleeping when the program ends", async () => {
    const leaky = Effect.gen(function* () {
      yield* Effect.forkDetach(Effect.forever(Effect.sleep("1 second")))
      yield* Effect.sleep("10 seconds")
    })
    const { leaks } = await VirtualTime.measurePromise(leaky)
    expect(leaks).toEqual({ fibers: 1, timers: 1, realWork: [] })
    expect(VirtualTime.describeLeaks(leaks)).toBe(
      "1 fiber still running, 1 virtual timer still pending"
    )
  })

  it("reports nothing for structured children, which end with their parent", async () => {
    const tidy = Effect.gen(function* () {
      yield* Effect.forkChild(Effect.forever(Effect.sleep("1 second")))
      yield* Effect.forkChild(Effect.never)
      yield* Effect.sleep("10 seconds")
    })
    const { leaks } = await VirtualTime.measurePromise(tidy)
    expect(leaks).toEqual({ fibers: 0, timers: 0, realWork: [] })
    expect(VirtualTime.describeLeaks(leaks)).toBeUndefined()
  })
})

describe("VirtualTime.makeRegion", () => {
  it("keeps one clock across runs, so time moves forward monotonically", async () => {
    const result = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const region = yield* VirtualTime.makeRegion()
          const first = yield* region.measure(Effect.andThen(Effect.sleep("1 hour"), now))
          const second = yield* region.measure(Effect.andThen(Effect.sleep("1 hour"), now))
          return { first: first.value, second: second.value, elapsed: region.elapsed() }
        })
      )
    )
    expect(result).toEqual({ first: 3_600_000, second: 7_200_000, elapsed: 7_200_000 })
  })

  it("drives concurrent runs with one driver, each measuring its own virtual time", async () => {
    const result = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const region = yield* VirtualTime.makeRegion()
          return yield* Effect.all(
            [
              region.measure(Effect.andThen(Effect.sleep("3 seconds"), now)),
              region.measure(Effect.andThen(Effect.sleep("1 second"), now))
            ],
            { concurrency: "unbounded" }
          )
        })
      )
    )
    expect(result.map((m) => m.value)).toEqual([3000, 1000])
    expect(result.map((m) => m.timing.virtualMs)).toEqual([3000, 1000])
  })

  it("fails every active run on a deadlock", async () => {
    const exits = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const region = yield* VirtualTime.makeRegion()
          const gate = yield* Deferred.make<void>()
          return yield* Effect.all(
            [region.run(Deferred.await(gate)), region.run(Deferred.await(gate))],
            { concurrency: "unbounded", mode: "result" }
          )
        })
      )
    )
    expect(exits.map((r) => (r._tag === "Failure" ? r.failure._tag : "ok"))).toEqual([
      "VirtualTimeDeadlock",
      "VirtualTimeDeadlock"
    ])
  })

  it("exposes its services so callbacks outside a run can follow the same clock", async () => {
    const value = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const region = yield* VirtualTime.makeRegion()
          // A Promise-returning API (like a fixture) that runs its own fiber on the region's context.
          const later = () =>
            Effect.runPromiseWith(region.context)(Effect.andThen(Effect.sleep("5 seconds"), now))
          return yield* region.run(Effect.promise(later))
        })
      )
    )
    expect(value).toBe(5000)
  })
})
