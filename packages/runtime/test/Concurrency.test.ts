import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Runtime } from "../src/index.js"
import { code, connect, drive, sandbox, task, workflow } from "./helpers.js"

const gauge = () => {
  let active = 0
  let max = 0
  const fn = (ms: number) => () =>
    Effect.suspend(() => {
      active++
      max = Math.max(max, active)
      return Effect.sleep(ms).pipe(Effect.ensuring(Effect.sync(() => active--)), Effect.as("done"))
    })
  return { fn, max: () => max }
}

describe("scheduling", () => {
  it.effect("a diamond with concurrency 2 never runs more than 2 nodes at once", () =>
    Effect.gen(function* () {
      const g = gauge()
      const middles = ["b", "c", "d", "e"]
      const wf = workflow(
        "diamond",
        [
          task("a", { fn: "work" }),
          ...middles.map((id) => task(id, { fn: "work" })),
          task("z", { fn: "work" })
        ],
        [
          ...middles.map((id) => connect("a", "", id, "x")),
          ...middles.map((id) => connect(id, "", "z", id))
        ],
        { concurrency: 2 }
      )
      const fiber = yield* Effect.forkChild(
        Runtime.execute(wf, {}, { functions: { work: g.fn(100) } })
      )
      yield* TestClock.adjust(1000)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(g.max(), 2)
      // a, then b+c, then d+e, then z
      assert.strictEqual(result.duration, 400)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("starts a node as soon as its own inputs are ready (no level barrier)", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "no-barrier",
        [
          task("fast", { fn: "t100" }),
          task("slow", { fn: "t1000" }),
          task("after_fast", { fn: "t100" })
        ],
        [connect("fast", "", "after_fast", "x")]
      )
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          {
            functions: {
              t100: () => Effect.as(Effect.sleep(100), 1),
              t1000: () => Effect.as(Effect.sleep(1000), 1)
            }
          }
        )
      )
      yield* TestClock.adjust(1000)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.nodes.after_fast!.startedAt, 100)
      assert.strictEqual(result.nodes.after_fast!.finishedAt, 200)
      assert.strictEqual(result.duration, 1000)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("50 parallel nodes finish at least 10x faster than sequentially (virtual time)", () =>
    Effect.gen(function* () {
      const nodes = Array.from({ length: 50 }, (_, i) => task(`n${i}`, { fn: "work" }))
      const functions = { work: () => Effect.as(Effect.sleep(100), 1) }
      const parallel = yield* Effect.forkChild(
        Runtime.execute(workflow("p", nodes), {}, { functions })
      )
      yield* TestClock.adjust(100)
      const p = yield* Fiber.join(parallel)
      const sequential = yield* Effect.forkChild(
        Runtime.execute(workflow("s", nodes, [], { mode: "sequential" }), {}, { functions })
      )
      yield* TestClock.adjust(5000)
      const s = yield* Fiber.join(sequential)
      assert.strictEqual(p.duration, 100)
      assert.strictEqual(s.duration, 5000)
      assert.isAtLeast(s.duration / p.duration, 10)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("sequential mode runs in topological order", () =>
    Effect.gen(function* () {
      const order: Array<string> = []
      const record = (_: unknown, context: Runtime.TaskContext) => {
        order.push(context.nodeId)
        return null
      }
      const wf = workflow(
        "topo",
        [task("c", { fn: "r" }), task("a", { fn: "r" }), task("b", { fn: "r" })],
        [connect("a", "", "b", "x"), connect("b", "", "c", "x")],
        { mode: "sequential" }
      )
      yield* Runtime.execute(wf, {}, { functions: { r: record } })
      assert.deepStrictEqual(order, ["a", "b", "c"])
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a runtime-wide limit bounds nodes across concurrent executions", () =>
    Effect.gen(function* () {
      const g = gauge()
      const runtime = Runtime.make({ concurrency: 3, functions: { work: g.fn(100) } })
      const wf = workflow("wide", [task("a", { fn: "work" }), task("b", { fn: "work" })])
      const fiber = yield* Effect.forkChild(
        Effect.forEach([1, 2, 3, 4, 5], () => runtime.execute(wf), { concurrency: "unbounded" })
      )
      yield* TestClock.adjust(1000)
      const results = yield* Fiber.join(fiber)
      assert.isTrue(results.every((r) => r.status === "succeeded"))
      assert.strictEqual(g.max(), 3)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a workflow timeout stops a sandboxed infinite loop", () =>
    Effect.gen(function* () {
      const wf = workflow("spin", [code("spin", "while (true) {}")], [], { timeout: 300 })
      const started = Date.now()
      const fiber = yield* Effect.forkChild(Runtime.execute(wf))
      const result = yield* drive(fiber, 50)
      assert.strictEqual(result.status, "timed-out")
      assert.strictEqual(result.errors[0]!._tag, "WorkflowTimedOut")
      assert.strictEqual(result.nodes.spin!.status, "timed-out")
      // the guest was stopped by the sandbox's real-time limit, not left running
      assert.isBelow(Date.now() - started, 10_000)
    }).pipe(Effect.provide(sandbox))
  )
  it.effect(
    "a node waiting out a retry backoff does not hold a slot of the runtime-wide limit",
    () =>
      Effect.gen(function* () {
        let calls = 0
        const runtime = Runtime.make({
          concurrency: 1,
          functions: {
            flaky: () =>
              ++calls === 1 ? Effect.fail({ _tag: "Busy", message: "try later" }) : "ok",
            quick: () => Effect.as(Effect.sleep(10), "quick")
          }
        })
        const retrying = workflow("retrying", [
          task("flaky", {
            retry: { maxAttempts: 2, backoff: { kind: "fixed", delay: 3_600_000 }, jitter: "none" }
          })
        ])
        const other = workflow("other", [task("quick")])
        const slow = yield* Effect.forkChild(runtime.execute(retrying))
        const fast = yield* Effect.forkChild(runtime.execute(other))
        yield* TestClock.adjust(10)
        const quick = yield* Fiber.join(fast)
        assert.strictEqual(quick.status, "succeeded")
        assert.strictEqual(quick.duration, 10)
        yield* TestClock.adjust(3_600_000)
        const flaky = yield* Fiber.join(slow)
        assert.strictEqual(flaky.status, "succeeded")
        assert.strictEqual(flaky.counts.flaky, 2)
      }).pipe(Effect.provide(sandbox))
  )
  it.effect("a concurrency option that is not a number of nodes does not stall the run", () =>
    Effect.gen(function* () {
      const wf = workflow("nan", [task("a"), task("b")], [], { concurrency: 1 })
      const functions = {
        a: () => Effect.as(Effect.sleep(100), 1),
        b: () => Effect.as(Effect.sleep(100), 2)
      }
      const fiber = yield* Effect.forkChild(
        Effect.all(
          [
            Runtime.execute(wf, {}, { functions, concurrency: Number.NaN }),
            Runtime.make({ concurrency: Number.NaN, functions }).execute(wf)
          ],
          { concurrency: "unbounded" }
        )
      )
      yield* TestClock.adjust(200)
      const results = yield* Fiber.join(fiber)
      // NaN falls back to the workflow's limit (1): one node after the other
      assert.deepStrictEqual(
        results.map((r) => [r.status, r.duration]),
        [
          ["succeeded", 200],
          ["succeeded", 200]
        ]
      )
    }).pipe(Effect.provide(sandbox))
  )
})
