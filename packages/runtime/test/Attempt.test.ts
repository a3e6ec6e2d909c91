import { assert, describe, it } from "@effect/vitest"
import { Policy } from "@weft/retry"
import { Data, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Attempt, Journal, Runtime, Trace } from "../src/index.js"
import { code, drive, sandbox, task, workflow } from "./helpers.js"

const retry = (policy: Policy.Policy) => policy as unknown as { readonly [key: string]: null }

/** A journal that keeps every record and replays the records it already holds. */
const recording = () => {
  const records = new Map<string, Journal.AttemptRecord>()
  const journal: Journal.Journal = {
    open: (execution) =>
      Effect.map(Journal.memory.open(execution), (inner) => ({
        ...inner,
        attempt: (key, run) =>
          Effect.suspend(() => {
            const id = `${key.nodeId}:${key.iteration}:${key.attempt}`
            const known = records.get(id)
            if (known !== undefined) return Effect.succeed(known)
            return Effect.tap(run, (record) => Effect.sync(() => records.set(id, record)))
          })
      }))
  }
  return { journal, records }
}

/** A host function that notes `{ note }` through the attempt calling it. */
const note = (payload: unknown) =>
  Effect.map(Effect.service(Attempt.CurrentAttempt), (attempt) => {
    if (attempt === undefined) return "no attempt"
    attempt.emit({ note: String(payload), node: attempt.nodeId, attempt: attempt.attempt })
    return "noted"
  })

const notes = (trace: ReadonlyArray<Trace.TraceEvent>) =>
  Trace.ofType(trace, "node-emitted").map((e) => e.event)

class LockLost extends Data.TaggedError("LockLost")<{ readonly message: string }> {}

describe("Attempt.CurrentAttempt", () => {
  it.effect("a code node's host function emits live and into the attempt's record", () =>
    Effect.gen(function* () {
      const { journal, records } = recording()
      const live: Array<Trace.TraceEvent> = []
      let calls = 0
      const functions = {
        note: (payload: unknown) => {
          calls++
          return note(payload)
        }
      }
      const wf = workflow("noting", [code("c", `const r = await note("hi"); result = r`)])
      const first = yield* Runtime.execute(
        wf,
        {},
        { executionId: "e1", functions, onEvent: (event) => live.push(event) }
      ).pipe(Effect.provideService(Journal.CurrentJournal, journal))
      assert.strictEqual(first.status, "succeeded")
      assert.deepStrictEqual(first.outputs.c, "noted")
      const expected = [{ note: "hi", node: "c", attempt: 1 }]
      // live: a listener saw it while the run went on, before the node finished
      assert.deepStrictEqual(notes(live), expected)
      const emitted = live.findIndex((e) => e.type === "node-emitted")
      const finished = live.findIndex((e) => e.type === "node-succeeded")
      assert.isBelow(emitted, finished)
      // recorded with the attempt
      assert.deepStrictEqual(
        records
          .get("c:1:1")!
          .events.filter((e) => e.type === "node-emitted")
          .map((e) => e.event),
        expected
      )
      // replayed: once, without calling the host function again
      const second = yield* Runtime.execute(wf, {}, { executionId: "e1", functions }).pipe(
        Effect.provideService(Journal.CurrentJournal, journal)
      )
      assert.strictEqual(calls, 1)
      assert.deepStrictEqual(notes(second.trace), expected)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("is undefined outside a code node's attempt", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* note("x"), "no attempt")
    })
  )
})

describe("Attempt.ConcurrencyLimiter", () => {
  it.effect(
    "a provided limiter is asked per attempt, for task and code nodes, and released in backoff",
    () =>
      Effect.gen(function* () {
        const log: Array<string> = []
        const limiter: Attempt.Limiter = {
          take: (request) =>
            Effect.acquireRelease(
              Effect.sync(() => {
                log.push(
                  `take ${request.key} ${request.nodeId}#${request.attempt} limit ${request.limit}`
                )
                return {}
              }),
              () =>
                Effect.sync(() =>
                  log.push(`release ${request.key} ${request.nodeId}#${request.attempt}`)
                )
            )
        }
        let calls = 0
        const functions = {
          flaky: () => {
            calls++
            log.push(`run flaky#${calls}`)
            if (calls < 2) throw Object.assign(new Error("busy"), { name: "Busy" })
            return 1
          }
        }
        const concurrency = { key: "customer:{customerId}", limit: 2 }
        const wf = workflow("limited", [
          task("flaky", {
            concurrency,
            retry: retry(Policy.fixed({ delay: 100, maxAttempts: 3 }))
          }),
          code("c", "result = customerId", { concurrency })
        ])
        const fiber = yield* Effect.forkChild(
          Runtime.execute(
            wf,
            { flaky: { customerId: "ann" }, c: { customerId: "bob" } },
            { functions }
          ).pipe(Effect.provideService(Attempt.ConcurrencyLimiter, limiter))
        )
        const result = yield* drive(fiber)
        assert.strictEqual(result.status, "succeeded")
        assert.deepStrictEqual(result.outputs.c, "bob")
        const flaky = log.filter((line) => line.includes("flaky"))
        assert.deepStrictEqual(flaky, [
          "take customer:ann flaky#1 limit 2",
          "run flaky#1",
          "release customer:ann flaky#1",
          "take customer:ann flaky#2 limit 2",
          "run flaky#2",
          "release customer:ann flaky#2"
        ])
        assert.deepStrictEqual(
          log.filter((line) => line.includes("bob")),
          ["take customer:bob c#1 limit 2", "release customer:bob c#1"]
        )
      }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "a slot lost while held interrupts the attempt, which fails with the limiter's error",
    () =>
      Effect.gen(function* () {
        let interrupted = false
        let released = 0
        const limiter: Attempt.Limiter = {
          take: (request) =>
            Effect.acquireRelease(
              Effect.succeed({
                lost: Effect.andThen(
                  Effect.sleep(50),
                  Effect.fail(new LockLost({ message: `lock ${request.key} was lost` }))
                )
              }),
              () => Effect.sync(() => released++)
            )
        }
        const functions = {
          slow: () =>
            Effect.onInterrupt(Effect.as(Effect.sleep(1_000), 1), () =>
              Effect.sync(() => {
                interrupted = true
              })
            )
        }
        const wf = workflow("lost", [task("slow", { concurrency: { key: "k", limit: 1 } })])
        const fiber = yield* Effect.forkChild(
          Runtime.execute(wf, {}, { functions }).pipe(
            Effect.provideService(Attempt.ConcurrencyLimiter, limiter)
          )
        )
        yield* TestClock.adjust(100)
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.status, "failed")
        const error = result.errors[0]!
        assert.strictEqual(error._tag, "NodeFailed")
        if (error._tag === "NodeFailed") assert.strictEqual(error.errorTag, "LockLost")
        assert.include(error.message, "lock k was lost")
        assert.isTrue(interrupted)
        assert.strictEqual(released, 1)
        assert.strictEqual(result.nodes.slow!.finishedAt, 50)
      }).pipe(Effect.provide(sandbox))
  )

  it.effect("a limiter that fails to take fails the attempt (retried by the node's policy)", () =>
    Effect.gen(function* () {
      let takes = 0
      const limiter: Attempt.Limiter = {
        take: () =>
          Effect.suspend(() => {
            takes++
            return takes < 2
              ? Effect.fail(new LockLost({ message: "backend down" }))
              : Effect.succeed({})
          })
      }
      const wf = workflow("timeout", [
        task("work", {
          concurrency: { key: "k", limit: 1 },
          retry: retry(Policy.fixed({ delay: 10, maxAttempts: 2 }))
        })
      ])
      const fiber = yield* Effect.forkChild(
        Runtime.execute(wf, {}, { functions: { work: () => "done" } }).pipe(
          Effect.provideService(Attempt.ConcurrencyLimiter, limiter)
        )
      )
      yield* TestClock.adjust(100)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(takes, 2)
      assert.strictEqual(result.nodes.work!.attempts, 2)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a code node gives its slot back while it sleeps and takes it again after", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      let takes = 0
      const limiter = (failRetake: boolean): Attempt.Limiter => ({
        take: (request) =>
          Effect.suspend(() => {
            takes++
            if (failRetake && takes > 1) {
              return Effect.fail(new LockLost({ message: `lock ${request.key} is gone` }))
            }
            return Effect.acquireRelease(
              Effect.sync(() => {
                log.push(`take ${request.key}`)
                return {}
              }),
              () => Effect.sync(() => log.push(`release ${request.key}`))
            )
          })
      })
      const wf = workflow("sleeper", [
        code("c", "log(1); await sleep(100); result = 2", { concurrency: { key: "k", limit: 1 } })
      ])
      const functions = { log: (x: unknown) => Effect.sync(() => log.push(`guest ${String(x)}`)) }
      const ok = yield* drive(
        yield* Effect.forkChild(
          Runtime.execute(wf, {}, { functions }).pipe(
            Effect.provideService(Attempt.ConcurrencyLimiter, limiter(false))
          )
        )
      )
      assert.strictEqual(ok.status, "succeeded")
      assert.deepStrictEqual(log, ["take k", "guest 1", "release k", "take k", "release k"])
      // a slot that cannot be taken back fails the attempt with the limiter's error
      takes = 0
      log.length = 0
      const failed = yield* drive(
        yield* Effect.forkChild(
          Runtime.execute(wf, {}, { functions }).pipe(
            Effect.provideService(Attempt.ConcurrencyLimiter, limiter(true))
          )
        )
      )
      assert.strictEqual(failed.status, "failed")
      const error = failed.errors[0]!
      assert.strictEqual(error._tag, "NodeFailed")
      if (error._tag === "NodeFailed") assert.strictEqual(error.errorTag, "LockLost")
      assert.include(error.message, "lock k is gone")
      assert.deepStrictEqual(log, ["take k", "guest 1", "release k"])
    }).pipe(Effect.provide(sandbox))
  )
})
