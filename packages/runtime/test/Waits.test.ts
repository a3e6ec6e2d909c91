import { assert, describe, it } from "@effect/vitest"
import { Sandbox } from "@weft/sandbox"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Runtime, Trace } from "../src/index.js"
import { code, drive, sandbox, task, workflow } from "./helpers.js"

describe("waiting without starving", () => {
  it.effect(
    "a node waiting for another's result gives its runtime permit back (concurrency 1)",
    () =>
      Effect.gen(function* () {
        const runtime = Runtime.make({
          concurrency: 1,
          functions: { produce: () => ({ value: 41 }) }
        })
        const wf = workflow(
          "permit-released",
          [
            code("a", `const other = await waitForResult("b"); result = other.value + 1`),
            task("b", { fn: "produce" })
          ],
          [],
          // on the old engine the run hangs until this bound: `a` keeps the only permit
          { timeout: 600_000, deadlockTimeout: 300_000 }
        )
        const fiber = yield* Effect.forkChild(runtime.execute(wf))
        const result = yield* drive(fiber, 1_000)
        assert.strictEqual(result.status, "succeeded")
        assert.strictEqual(result.outputs.a, 42)
      }).pipe(Effect.provide(sandbox))
  )

  it.effect("a node waiting for another's result gives its workflow slot back (sequential)", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "slot-released",
        [
          code("a", `const other = await waitForResult("b"); result = other.value + 1`),
          code("b", `await sleep(100); result = { value: 1 }`),
          code("c", `result = 3`)
        ],
        [],
        { mode: "sequential", timeout: 600_000, deadlockTimeout: 300_000 }
      )
      const fiber = yield* Effect.forkChild(Runtime.execute(wf))
      const result = yield* drive(fiber, 1_000)
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs, { a: 2, b: { value: 1 }, c: 3 })
      // sequential still means one node executing at a time: b's sleep is a wait, so c ran in it
      const started = Trace.ofType(result.trace, "node-started").map((e) => e.nodeId)
      assert.deepStrictEqual(started, ["a", "b", "c"])
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("waits take the slot back in the order they ended, never exceeding the limit", () =>
    Effect.gen(function* () {
      let executing = 0
      let most = 0
      const work = async () => {
        executing++
        most = Math.max(most, executing)
        await new Promise((resolve) => setTimeout(resolve, 1))
        executing--
        return null
      }
      const wf = workflow(
        "fair",
        [
          code("s1", `await sleep(100); await work(); result = 1`),
          code("s2", `await sleep(200); await work(); result = 2`),
          code("s3", `await sleep(300); await work(); result = 3`),
          code("s4", `await sleep(400); await work(); result = 4`)
        ],
        [],
        { concurrency: 2, timeout: 600_000 }
      )
      const fiber = yield* Effect.forkChild(Runtime.execute(wf, {}, { functions: { work } }))
      const result = yield* drive(fiber, 50)
      assert.strictEqual(result.status, "succeeded")
      assert.isAtMost(most, 2)
      const done = Trace.ofType(result.trace, "node-succeeded").map((e) => e.nodeId)
      assert.deepStrictEqual(done, ["s1", "s2", "s3", "s4"])
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a bounded nextEvent is not a deadlock: it resumes with null at its timeout", () =>
    Effect.gen(function* () {
      const wf = workflow("bounded", [code("listen", `result = await nextEvent(3000)`)], [], {
        deadlockTimeout: 1000
      })
      const fiber = yield* Effect.forkChild(Runtime.execute(wf))
      const result = yield* drive(fiber, 100)
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.outputs.listen, null)
      assert.isAtLeast(result.duration, 3000)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a long sleep is not a deadlock either", () =>
    Effect.gen(function* () {
      const wf = workflow("napping", [code("nap", `await sleep(5000); result = "rested"`)], [], {
        deadlockTimeout: 1000
      })
      const fiber = yield* Effect.forkChild(Runtime.execute(wf))
      const result = yield* drive(fiber, 250)
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.outputs.nap, "rested")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("units queued for a permit that never frees are reported as a Deadlock", () =>
    Effect.gen(function* () {
      const runtime = Runtime.make({
        concurrency: 1,
        functions: {
          hang: () => new Promise<never>(() => {}),
          quick: () => "done"
        }
      })
      // another execution holds the only permit forever
      const holder = yield* Effect.forkChild(
        runtime.execute(workflow("holder", [task("hog", { fn: "hang" })]))
      )
      yield* Effect.yieldNow
      const fiber = yield* Effect.forkChild(
        runtime.execute(
          workflow("queued", [task("x", { fn: "quick" }), task("y", { fn: "quick" })], [], {
            deadlockTimeout: 2_000
          })
        )
      )
      yield* TestClock.adjust(2_500)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "failed")
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "Deadlock")
      if (error._tag === "Deadlock") {
        assert.deepStrictEqual(error.waiting.map((w) => w.nodeId).sort(), ["x", "y"])
        assert.include(error.message, "x waits for a runtime permit")
      }
      yield* Fiber.interrupt(holder)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a real deadlock still names each node and what it waits for", () =>
    Effect.gen(function* () {
      const runtime = Runtime.make({ concurrency: 1 })
      const wf = workflow(
        "mutual",
        [
          code("a", `result = await waitForResult("b")`),
          code("b", `result = await waitForResult("a")`)
        ],
        [],
        { deadlockTimeout: 2_000 }
      )
      const fiber = yield* Effect.forkChild(runtime.execute(wf))
      const result = yield* drive(fiber, 100)
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "Deadlock")
      if (error._tag === "Deadlock") {
        assert.deepStrictEqual(
          [...error.waiting].sort((x, y) => x.nodeId.localeCompare(y.nodeId)),
          [
            { nodeId: "a", waitingFor: "the result of node b" },
            { nodeId: "b", waitingFor: "the result of node a" }
          ]
        )
      }
    }).pipe(Effect.provide(sandbox))
  )

  it.live(
    "two code nodes waiting for a third on a 2-worker pool do not starve it",
    () =>
      Effect.gen(function* () {
        const wf = workflow(
          "workers",
          [
            code("a", `const c = await waitForResult("c"); result = c + 1`),
            code("b", `const c = await waitForResult("c"); result = c + 2`),
            code("c", `result = 40`)
          ],
          [],
          { timeout: 20_000, deadlockTimeout: 15_000 }
        )
        const result = yield* Runtime.execute(wf)
        assert.strictEqual(result.status, "succeeded", JSON.stringify(result.errors))
        assert.deepStrictEqual(result.outputs, { a: 41, b: 42, c: 40 })
      }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 2 }))),
    30_000
  )
})
