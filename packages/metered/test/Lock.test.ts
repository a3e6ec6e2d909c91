import { assert, describe, it } from "@effect/vitest"
import { Policy } from "@weft/retry"
import { Runtime } from "@weft/runtime"
import { Clock, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Lock, Meter } from "../src/index.js"
import { sandbox, workflow } from "./helpers.js"

type Interval = readonly [string, number, number]

const overlaps = (intervals: ReadonlyArray<Interval>): boolean => {
  const sorted = [...intervals].sort((a, b) => a[1] - b[1])
  for (let i = 1; i < sorted.length; i++) if (sorted[i]![1] < sorted[i - 1]![2]) return true
  return false
}

/** Advances virtual time in small steps until the fiber is done (bounded). */
const drive = <A, E>(fiber: Fiber.Fiber<A, E>, step = 50, maxSteps = 2_000) =>
  Effect.gen(function* () {
    for (let i = 0; i < maxSteps && fiber.pollUnsafe() === undefined; i++) {
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 0)))
      yield* TestClock.adjust(step)
    }
    return yield* Fiber.join(fiber).pipe(Effect.timeout("5 seconds"))
  })

const holder = (
  backend: Lock.Backend,
  key: string,
  name: string,
  millis: number,
  log: Array<Interval>,
  options: Lock.Options = {}
) =>
  Lock.withLock(
    backend,
    key,
    Effect.gen(function* () {
      const start = yield* Clock.currentTimeMillis
      yield* Effect.sleep(millis)
      log.push([name, start, yield* Clock.currentTimeMillis])
    }),
    options
  )

describe("Lock", () => {
  it.effect("limit 1: holders of one key never overlap; other keys run alongside", () =>
    Effect.gen(function* () {
      const backend = Lock.memoryBackend()
      const log: Array<Interval> = []
      const fiber = yield* Effect.forkChild(
        Effect.all(
          [
            holder(backend, "customer:1", "a", 1000, log),
            holder(backend, "customer:1", "b", 1000, log),
            holder(backend, "customer:1", "c", 1000, log),
            holder(backend, "customer:2", "other", 1000, log)
          ],
          { concurrency: "unbounded" }
        )
      )
      yield* drive(fiber)
      const same = log.filter(([name]) => name !== "other")
      assert.strictEqual(same.length, 3)
      assert.isFalse(overlaps(same))
      assert.strictEqual(log.find(([name]) => name === "other")?.[1], 0)
    })
  )

  it.effect("limit 2 admits two holders at once; the third waits for a free slot", () =>
    Effect.gen(function* () {
      const backend = Lock.memoryBackend()
      const log: Array<Interval> = []
      const fiber = yield* Effect.forkChild(
        Effect.all(
          ["a", "b", "c"].map((name) => holder(backend, "k", name, 1000, log, { limit: 2 })),
          { concurrency: "unbounded" }
        )
      )
      yield* drive(fiber)
      const starts = log.map(([, start]) => start).sort((x, y) => x - y)
      assert.deepStrictEqual(starts.slice(0, 2), [0, 0])
      assert.isAtLeast(starts[2]!, 1000)
    })
  )

  it.effect("waiting past waitMillis fails with LockTimeout naming the key", () =>
    Effect.gen(function* () {
      const backend = Lock.memoryBackend()
      const hold = yield* Effect.forkChild(Lock.withLock(backend, "report", Effect.never))
      const fiber = yield* Effect.forkChild(
        Effect.flip(Lock.withLock(backend, "report", Effect.void, { waitMillis: 500, nodeId: "n" }))
      )
      const error = yield* drive(fiber)
      assert.strictEqual(error._tag, "LockTimeout")
      assert.include(error.message, "report")
      yield* Fiber.interrupt(hold)
    })
  )

  it.effect("a lost lock interrupts the holder with LockLost", () =>
    Effect.gen(function* () {
      let renewals = 0
      const losing: Lock.Backend = {
        name: "losing",
        tryAcquire: () =>
          Effect.succeed({
            renew: Effect.sync(() => ++renewals < 2),
            release: Effect.void
          })
      }
      let interrupted = false
      const fiber = yield* Effect.forkChild(
        Effect.flip(
          Lock.withLock(
            losing,
            "k",
            Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => (interrupted = true)))),
            { leaseMillis: 300, nodeId: "charge" }
          )
        )
      )
      const error = yield* drive(fiber)
      assert.strictEqual(error._tag, "LockLost")
      assert.strictEqual(error._tag === "LockLost" && error.nodeId, "charge")
      assert.isTrue(interrupted)
      assert.strictEqual(renewals, 2)
    })
  )

  it("renderKey fills placeholders from inputs and names a missing one", () => {
    assert.strictEqual(
      Lock.renderKey(
        "customer:{order.customerId}:{region}",
        { order: { customerId: 7 }, region: "eu" },
        "n"
      ),
      "customer:7:eu"
    )
    assert.throws(
      () => Lock.renderKey("customer:{customerId}", { id: 1 }, "charge"),
      /\{customerId\} is not an input of charge/
    )
    assert.throws(() => Lock.renderKey("k:{a", {}, "charge"), /concurrency key "k:\{a"/)
  })
})

describe("Lock.guard (node option concurrency)", () => {
  const chargeWorkflow = (retry?: Policy.Policy): Runtime.Workflow =>
    workflow("billing", [
      {
        kind: "task",
        id: "charge",
        function: "charge",
        ...(retry === undefined
          ? {}
          : { retry: retry as unknown as { readonly [key: string]: null } }),
        concurrency: { key: "customer:{customerId}", limit: 1 }
      } as Runtime.Workflow["nodes"][number]
    ])

  it.effect(
    "executions for one customer run the node one at a time; other customers run alongside",
    () =>
      Effect.gen(function* () {
        const wf = chargeWorkflow()
        const log: Array<Interval> = []
        const functions = Lock.guard(Lock.memoryBackend(), wf, {
          charge: (inputs: { readonly customerId: string; readonly run: string }) =>
            Effect.gen(function* () {
              const start = yield* Clock.currentTimeMillis
              yield* Effect.sleep(1000)
              log.push([
                `${inputs.customerId}/${inputs.run}`,
                start,
                yield* Clock.currentTimeMillis
              ])
              return inputs.run
            })
        })
        const runtime = Runtime.make({ functions })
        const fiber = yield* Effect.forkChild(
          Effect.all(
            [
              runtime.execute(wf, { customerId: "acme", run: "1" }),
              runtime.execute(wf, { customerId: "acme", run: "2" }),
              runtime.execute(wf, { customerId: "globex", run: "3" })
            ],
            { concurrency: "unbounded" }
          )
        )
        const results = yield* drive(fiber)
        assert.deepStrictEqual(
          results.map((r) => r.status),
          ["succeeded", "succeeded", "succeeded"]
        )
        assert.isFalse(overlaps(log.filter(([name]) => name.startsWith("acme"))))
        assert.strictEqual(log.find(([name]) => name.startsWith("globex"))?.[1], 0)
      }).pipe(Effect.provide(sandbox))
  )

  it.effect("the lock is held per attempt and released during the retry backoff", () =>
    Effect.gen(function* () {
      const wf = chargeWorkflow(Policy.fixed({ delay: "10 seconds", maxAttempts: 2 }))
      const log: Array<Interval> = []
      let attemptsOfFirst = 0
      const functions = Lock.guard(Lock.memoryBackend(), wf, {
        charge: (inputs: { readonly customerId: string; readonly run: string }) =>
          Effect.gen(function* () {
            const start = yield* Clock.currentTimeMillis
            yield* Effect.sleep(1000)
            log.push([inputs.run, start, yield* Clock.currentTimeMillis])
            if (inputs.run === "first" && ++attemptsOfFirst === 1) {
              return yield* Effect.fail({ _tag: "Flaky", message: "try again" })
            }
            return inputs.run
          })
      })
      const runtime = Runtime.make({ functions })
      const fiber = yield* Effect.forkChild(
        Effect.all(
          [
            runtime.execute(wf, { customerId: "acme", run: "first" }),
            Effect.delay(runtime.execute(wf, { customerId: "acme", run: "second" }), 500)
          ],
          { concurrency: "unbounded" }
        )
      )
      const results = yield* drive(fiber)
      assert.deepStrictEqual(
        results.map((r) => r.status),
        ["succeeded", "succeeded"]
      )
      // first attempt [0, 1000], then "second" runs inside the 10 s backoff, then the retry
      assert.deepStrictEqual(
        log.map(([name]) => name),
        ["first", "second", "first"]
      )
      assert.isFalse(overlaps(log))
      assert.isBelow(log[1]![1], 11_000)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "composes with Meter.functions: guarded, metered calls are attributed to their node",
    () =>
      Effect.gen(function* () {
        const wf = chargeWorkflow()
        const meter = yield* Meter.make({
          prices: {
            currency: "USD",
            meters: { api: { models: { default: { calls: { amount: 0.5, per: 1 } } } } }
          }
        })
        const api = meter.client(
          { charge: async (customerId: string) => ({ charged: customerId }) },
          { charge: { meter: "api", usage: () => ({ calls: 1 }) } }
        )
        const functions = Lock.guard(
          Lock.memoryBackend(),
          wf,
          meter.functions({
            charge: async (inputs: { readonly customerId: string }) => {
              await Promise.resolve()
              return api.charge(inputs.customerId)
            }
          })
        )
        const result = yield* meter.execute(Runtime.make({ functions }), wf, { customerId: "acme" })
        assert.strictEqual(result.status, "succeeded", JSON.stringify(result.errors))
        assert.deepStrictEqual(result.costs.byNode, { charge: 0.5 })
      }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "a key placeholder missing from the inputs fails the attempt with InvalidConfig naming it",
    () =>
      Effect.gen(function* () {
        // (the runtime checks the key first, with ConcurrencyKeyUnresolved; the guard does not rely on it)
        const functions = Lock.guard(Lock.memoryBackend(), chargeWorkflow(), {
          charge: () => "charged"
        })
        const context = { nodeId: "charge", signal: new AbortController().signal }
        const attempt = (
          functions.charge as unknown as (i: unknown, c: unknown) => Effect.Effect<unknown, unknown>
        )({ customer: "acme" }, context)
        const error = (yield* Effect.flip(attempt)) as {
          readonly _tag: string
          readonly message: string
        }
        assert.strictEqual(error._tag, "InvalidConfig")
        assert.include(error.message, "{customerId} is not an input of charge")
      })
  )
})
