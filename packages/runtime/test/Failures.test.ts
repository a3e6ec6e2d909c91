import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Runtime } from "../src/index.js"
import { connect, sandbox, task, workflow } from "./helpers.js"

class ValueError extends Error {
  override name = "ValueError"
}

describe("failures", () => {
  it.effect("a failing node's downstream never runs; upstream outputs are kept", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "error-test",
        [task("upstream"), task("failing_task"), task("recovery_task")],
        [
          connect("upstream", "", "failing_task", "data"),
          connect("failing_task", "result", "recovery_task", "input")
        ]
      )
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          functions: {
            upstream: () => ({ ok: true }),
            failing_task: async () => {
              throw new ValueError("Simulated async error")
            },
            recovery_task: () => ({ should_not_see: true })
          }
        }
      )
      assert.strictEqual(result.status, "failed")
      assert.strictEqual(result.counts.failing_task, 1)
      assert.strictEqual(result.counts.recovery_task, 0)
      assert.strictEqual(result.nodes.recovery_task!.status, "skipped")
      assert.deepStrictEqual(result.outputs, { upstream: { ok: true } })
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "NodeFailed")
      if (error._tag === "NodeFailed") {
        assert.strictEqual(error.errorTag, "ValueError")
        assert.include(error.message, "Simulated async error")
      }
      // JSON-safe: the tag and the message survive a round trip
      const back = JSON.parse(JSON.stringify(result))
      assert.strictEqual(back.errors[0]._tag, "NodeFailed")
      assert.strictEqual(back.nodes.failing_task.error.errorTag, "ValueError")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("fail-fast interrupts running siblings (their finalizers run) and skips the rest", () =>
    Effect.gen(function* () {
      const finalized: Array<string> = []
      const wf = workflow(
        "fail-fast",
        [task("slow", { fn: "slow" }), task("boom"), task("after")],
        [connect("slow", "", "after", "x")]
      )
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          {
            functions: {
              slow: () =>
                Effect.sleep("10 seconds").pipe(
                  Effect.onInterrupt(() => Effect.sync(() => finalized.push("slow"))),
                  Effect.as(1)
                ),
              boom: () =>
                Effect.fail({ _tag: "Boom", message: "no" }).pipe(Effect.delay("1 second")),
              after: () => 2
            }
          }
        )
      )
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "failed")
      assert.deepStrictEqual(finalized, ["slow"])
      assert.strictEqual(result.nodes.slow!.status, "cancelled")
      assert.strictEqual(result.nodes.boom!.status, "failed")
      assert.strictEqual(result.nodes.after!.status, "skipped")
      assert.strictEqual(result.duration, 1000)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("continue mode runs independent branches and skips only descendants", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "continue",
        [
          task("bad"),
          task("child", { fn: "ok" }),
          task("grandchild", { fn: "ok" }),
          task("other", { fn: "ok" })
        ],
        [connect("bad", "", "child", "x"), connect("child", "", "grandchild", "x")],
        { failureMode: "continue" }
      )
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          functions: { bad: () => Effect.fail("nope"), ok: () => "fine" }
        }
      )
      assert.strictEqual(result.status, "failed")
      assert.strictEqual(result.nodes.other!.status, "succeeded")
      assert.strictEqual(result.nodes.child!.status, "skipped")
      assert.strictEqual(result.nodes.grandchild!.status, "skipped")
      assert.strictEqual(result.outputs.other, "fine")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a node timeout fails the node with NodeTimedOut and status timed-out", () =>
    Effect.gen(function* () {
      const wf = workflow("node-timeout", [task("slow", { timeout: 500 })])
      const fiber = yield* Effect.forkChild(
        Runtime.execute(wf, {}, { functions: { slow: () => Effect.as(Effect.sleep("1 hour"), 1) } })
      )
      yield* TestClock.adjust(500)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "failed")
      assert.strictEqual(result.nodes.slow!.status, "timed-out")
      assert.strictEqual(result.errors[0]!._tag, "NodeTimedOut")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a workflow timeout interrupts running nodes: status timed-out, WorkflowTimedOut", () =>
    Effect.gen(function* () {
      const wf = workflow("timeout_test", [task("slow_task")], [], { timeout: 1000 })
      let interrupted = false
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          {
            functions: {
              slow_task: () =>
                Effect.sleep("10 seconds").pipe(
                  Effect.onInterrupt(() => Effect.sync(() => (interrupted = true)))
                )
            }
          }
        )
      )
      yield* TestClock.adjust(1000)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "timed-out")
      assert.strictEqual(result.errors[0]!._tag, "WorkflowTimedOut")
      assert.strictEqual(result.nodes.slow_task!.status, "timed-out")
      assert.isTrue(interrupted)
      assert.strictEqual(result.duration, 1000)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("failOnError fails the Effect with the first error", () =>
    Effect.gen(function* () {
      const wf = workflow("fail", [task("bad")])
      const exit = yield* Effect.exit(
        Runtime.execute(wf, {}, { functions: { bad: () => Effect.fail("x") }, failOnError: true })
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause.reasons[0]
        assert.strictEqual(error?._tag, "Fail")
        if (error?._tag === "Fail") assert.strictEqual(error.error._tag, "NodeFailed")
      }
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a task calling an unregistered function fails with FunctionNotFound", () =>
    Effect.gen(function* () {
      const wf = workflow("nofn", [task("send", { fn: "sendEmail" })])
      const result = yield* Runtime.execute(wf, {}, { functions: { other: () => 1 } })
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "FunctionNotFound")
      assert.include(error.message, "registered: other")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "a node outside a loop sitting between two of its nodes makes the workflow not executable",
    () =>
      Effect.gen(function* () {
        const wf = workflow(
          "sandwich",
          [task("a"), task("x"), task("b")],
          [connect("a", "", "x", "v"), connect("x", "", "b", "v")],
          {},
          [
            {
              id: "l",
              nodes: ["a", "b"],
              maxIterations: 3,
              until: { kind: "converged", node: "b", output: "", tolerance: 0 },
              onMaxIterations: "succeed"
            }
          ]
        )
        const result = yield* Runtime.execute(
          wf,
          {},
          { functions: { a: () => 1, x: () => 2, b: () => 3 } }
        )
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.errors[0]!._tag, "WorkflowNotExecutable")
        assert.include(result.errors[0]!.message, "x")
        assert.deepStrictEqual(result.counts, { a: 0, x: 0, b: 0 })
      }).pipe(Effect.provide(sandbox))
  )

  it.effect("an eager resource that is missing fails the node before it runs", () =>
    Effect.gen(function* () {
      const wf = workflow("eager", [task("load", { resources: ["db"] })])
      let ran = false
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          functions: { load: () => (ran = true) },
          resources: { cache: {} }
        }
      )
      assert.isFalse(ran)
      const error = result.nodes.load!.error!
      assert.strictEqual(error._tag, "ResourceNotFound")
      if (error._tag === "ResourceNotFound") assert.deepStrictEqual(error.available, ["cache"])
    }).pipe(Effect.provide(sandbox))
  )
})

describe("outputs are JSON", () => {
  it.effect(
    "a task returning what JSON cannot hold fails, not retried, and the result stays JSON",
    () =>
      Effect.gen(function* () {
        const cyclic: { self?: unknown } = {}
        cyclic.self = cyclic
        const wf = workflow(
          "not-json",
          [
            task("big", { retry: { maxAttempts: 3, backoff: { kind: "none" }, jitter: "none" } }),
            task("loop"),
            task("fine")
          ],
          [],
          { failureMode: "continue" }
        )
        const result = yield* Runtime.execute(
          wf,
          {},
          {
            functions: {
              big: () => ({ total: { cents: 10n } }),
              loop: () => cyclic,
              fine: () => ({ at: new Date(0), rows: [[1], [1]] })
            }
          }
        )
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.counts.big, 1)
        const big = result.nodes.big!.error!
        assert.strictEqual(big._tag, "NodeFailed")
        if (big._tag === "NodeFailed") assert.strictEqual(big.errorTag, "OutputNotJson")
        assert.include(big.message, "a BigInt at total.cents")
        assert.include(result.nodes.loop!.error!.message, "a circular reference at self")
        assert.strictEqual(result.nodes.fine!.status, "succeeded")
        const back = JSON.parse(JSON.stringify(result))
        assert.deepStrictEqual(back.outputs, {
          fine: { at: "1970-01-01T00:00:00.000Z", rows: [[1], [1]] }
        })
      }).pipe(Effect.provide(sandbox))
  )
  it.effect(
    "a task failing with a value JSON cannot hold (NaN, Infinity) is a recorded NodeFailed",
    () =>
      Effect.gen(function* () {
        for (const thrown of [Number.NaN, Number.POSITIVE_INFINITY]) {
          const wf = workflow("odd-error", [task("a")])
          const result = yield* Runtime.execute(
            wf,
            {},
            { functions: { a: () => Effect.fail(thrown) } }
          )
          const error = result.errors[0]!
          assert.strictEqual(error._tag, "NodeFailed")
          if (error._tag !== "NodeFailed") return
          assert.strictEqual(error.nodeId, "a")
          assert.strictEqual(error.attempt, 1)
          assert.strictEqual(error.cause, String(thrown))
          assert.strictEqual(JSON.parse(JSON.stringify(result)).errors[0].cause, String(thrown))
        }
      }).pipe(Effect.provide(sandbox))
  )
})
