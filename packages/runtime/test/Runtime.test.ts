import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Runtime } from "../src/index.js"
import { connect, sandbox, task, workflow } from "./helpers.js"

const sleepFn = (ms: number) => () => Effect.as(Effect.sleep(ms), { slept: ms })

describe("Runtime.execute", () => {
  it.effect("runs two independent 1 s nodes in parallel in 1 s of virtual time", () =>
    Effect.gen(function* () {
      const wf = workflow("concurrent", [
        task("task1", { fn: "sleep" }),
        task("task2", { fn: "sleep" })
      ])
      const fiber = yield* Effect.forkChild(
        Runtime.execute(wf, {}, { functions: { sleep: sleepFn(1000) } })
      )
      yield* TestClock.adjust(1000)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.duration, 1000)
      assert.deepStrictEqual(result.outputs.task1, { slept: 1000 })
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("runs them one after the other in sequential mode: 2 s", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "sequential",
        [task("task1", { fn: "sleep" }), task("task2", { fn: "sleep" })],
        [],
        {
          mode: "sequential"
        }
      )
      const fiber = yield* Effect.forkChild(
        Runtime.execute(wf, {}, { functions: { sleep: sleepFn(1000) } })
      )
      yield* TestClock.adjust(1000)
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust(1000)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.duration, 2000)
      assert.strictEqual(result.nodes.task2!.startedAt, 1000)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("routes outputs along connections by dotted path", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "paths",
        [task("producer"), task("consumer")],
        [
          connect("producer", "items", "consumer", "items"),
          connect("producer", "meta.count", "consumer", "count")
        ]
      )
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          functions: {
            producer: () => ({ items: [1, 2, 3], meta: { count: 3 } }),
            consumer: (inputs: { items: Array<number>; count: number }) => ({
              doubled: inputs.items.map((x) => x * 2),
              count: inputs.count
            })
          }
        }
      )
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.consumer, { doubled: [2, 4, 6], count: 3 })
    }).pipe(Effect.provide(sandbox))
  )
})
