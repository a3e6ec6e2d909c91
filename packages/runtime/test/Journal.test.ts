import { assert, describe, it } from "@effect/vitest"
import { Policy } from "@weft/retry"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Journal, Runtime, Trace } from "../src/index.js"
import { code, connect, sandbox, task, workflow } from "./helpers.js"

const retry = (policy: Policy.Policy) => policy as unknown as { readonly [key: string]: null }

/** A journal that keeps every record and timer, and replays records it already holds. */
const recording = () => {
  const records = new Map<string, Journal.AttemptRecord>()
  const timers: Array<[string, number]> = []
  const keys: Array<string> = []
  const journal: Journal.Journal = {
    open: (execution) =>
      Effect.map(Journal.memory.open(execution), (inner) => ({
        ...inner,
        attempt: (key, run) =>
          Effect.suspend(() => {
            const id = `${key.nodeId}:${key.iteration}:${key.attempt}`
            keys.push(id)
            const known = records.get(id)
            if (known !== undefined) return Effect.succeed(known)
            return Effect.tap(run, (record) => Effect.sync(() => records.set(id, record)))
          }),
        sleep: (name, millis) =>
          Effect.andThen(
            Effect.sync(() => timers.push([name, millis])),
            inner.sleep(name, millis)
          )
      }))
  }
  return { journal, records, timers, keys }
}

describe("Journal", () => {
  it.effect("routes every attempt and retry wait through the journal, by key and timer name", () =>
    Effect.gen(function* () {
      const { journal, timers, keys } = recording()
      let calls = 0
      const policy = Policy.fixed({ delay: 250, maxAttempts: 3 })
      const wf = workflow(
        "journaled",
        [task("flaky", { retry: retry(policy) }), task("after")],
        [connect("flaky", "", "after", "x")]
      )
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          {
            executionId: "e1",
            functions: {
              flaky: () => {
                calls++
                if (calls < 3) throw Object.assign(new Error("busy"), { name: "Busy" })
                return { ok: true }
              },
              after: ({ x }: { readonly x: unknown }) => x
            }
          }
        ).pipe(Effect.provideService(Journal.CurrentJournal, journal))
      )
      yield* TestClock.adjust(1_000)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(keys, ["flaky:1:1", "flaky:1:2", "flaky:1:3", "after:1:1"])
      assert.deepStrictEqual(timers, [
        ["retry:flaky:1:1", 250],
        ["retry:flaky:1:2", 250]
      ])
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a replayed run decides from the records alone and re-emits their events", () =>
    Effect.gen(function* () {
      const { journal, records } = recording()
      let runs = 0
      const functions = {
        pick: () => {
          runs++
          return { choice: runs }
        },
        use: ({ choice }: { readonly choice: number }) => ({ used: choice })
      }
      const wf = workflow(
        "replay",
        [task("pick"), task("use")],
        [connect("pick", "choice", "use", "choice")]
      )
      const first = yield* Runtime.execute(wf, {}, { executionId: "e2", functions }).pipe(
        Effect.provideService(Journal.CurrentJournal, journal)
      )
      assert.strictEqual(records.size, 2)
      const second = yield* Runtime.execute(wf, {}, { executionId: "e2", functions }).pipe(
        Effect.provideService(Journal.CurrentJournal, journal)
      )
      // the functions ran once: the second run replayed both attempts
      assert.strictEqual(runs, 1)
      assert.deepStrictEqual(second.outputs, first.outputs)
      assert.deepStrictEqual(second.outputs.use, { used: 1 })
      assert.deepStrictEqual(
        Trace.ofType(second.trace, "node-started").map((e) => e.nodeId),
        ["pick", "use"]
      )
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a replayed failure is retried by the same policy, its error rebuilt from JSON", () =>
    Effect.gen(function* () {
      const records = new Map<string, Journal.AttemptRecord>([
        [
          "charge:1:1",
          {
            outcome: { _tag: "Failure", error: { _tag: "Busy", message: "try later" } },
            startedAt: 0,
            endedAt: 5,
            queuedMillis: 0,
            events: []
          }
        ]
      ])
      const journal: Journal.Journal = {
        open: (execution) =>
          Effect.map(Journal.memory.open(execution), (inner) => ({
            ...inner,
            attempt: (key, run) =>
              records.get(`${key.nodeId}:${key.iteration}:${key.attempt}`) === undefined
                ? run
                : Effect.succeed(records.get(`${key.nodeId}:${key.iteration}:${key.attempt}`)!)
          }))
      }
      const policy = Policy.fixed({ delay: 100, maxAttempts: 2, retryOn: ["Busy"] })
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          workflow("replayed-failure", [task("charge", { retry: retry(policy) })]),
          {},
          { functions: { charge: () => ({ charged: true }) } }
        ).pipe(Effect.provideService(Journal.CurrentJournal, journal))
      )
      yield* TestClock.adjust(100)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.nodes.charge!.attempts, 2)
      assert.deepStrictEqual(
        Trace.ofType(result.trace, "node-retrying").map((e) => [e.attempt, e.error]),
        [[1, "Busy"]]
      )
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("gives task functions and code nodes the same idempotency key for every attempt", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const policy = Policy.fixed({ delay: 10, maxAttempts: 2 })
      const wf = workflow(
        "keys",
        [task("charge", { retry: retry(policy) }), code("mail", "return idempotencyKey")],
        [connect("charge", "", "mail", "receipt")]
      )
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          {
            executionId: "exec-7",
            functions: {
              charge: (_: unknown, ctx: Runtime.TaskContext) => {
                seen.push(ctx.idempotencyKey)
                if (seen.length === 1) throw new Error("flaky")
                return { ok: true }
              }
            }
          }
        )
      )
      yield* TestClock.adjust(10)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(seen, ["exec-7:charge:1", "exec-7:charge:1"])
      assert.strictEqual(result.outputs.mail, "exec-7:mail:1")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("retry jitter is a function of the idempotency key, the same on every replay", () =>
    Effect.gen(function* () {
      const delaysOf = (executionId: string) =>
        Effect.gen(function* () {
          const policy = Policy.exponential({ base: 1000, maxAttempts: 3, jitter: "full" })
          const fiber = yield* Effect.forkChild(
            Runtime.execute(
              workflow("jitter", [task("fail", { retry: retry(policy) })]),
              {},
              {
                executionId,
                functions: {
                  fail: () => {
                    throw new Error("always")
                  }
                }
              }
            )
          )
          yield* TestClock.adjust(10_000)
          const result = yield* Fiber.join(fiber)
          return Trace.ofType(result.trace, "node-retrying").map((e) => e.delay)
        })
      const a = yield* delaysOf("same")
      const b = yield* delaysOf("same")
      const c = yield* delaysOf("other")
      assert.strictEqual(a.length, 2)
      assert.deepStrictEqual(a, b)
      assert.notDeepEqual(a, c)
    }).pipe(Effect.provide(sandbox))
  )
})
