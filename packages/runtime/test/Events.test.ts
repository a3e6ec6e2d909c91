import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Resource, Runtime } from "../src/index.js"
import { code, drive, sandbox, task, workflow } from "./helpers.js"

const listener = code(
  "event_listener",
  `const events = []
   while (true) {
     const event = await nextEvent(1000)
     if (event === null) break
     events.push(event)
     if (event.type === "stop") break
   }
   result = { events }`
)

describe("events and deadlocks", () => {
  it.effect("a code node takes events sent into the running execution", () =>
    Effect.gen(function* () {
      const wf = workflow("event_workflow", [listener])
      const execution = yield* Runtime.start(wf)
      yield* execution.send({ type: "data", value: 1 })
      yield* execution.send({ type: "data", value: 2 })
      yield* execution.send({ type: "stop" })
      const result = yield* execution.result
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.event_listener, {
        events: [{ type: "data", value: 1 }, { type: "data", value: 2 }, { type: "stop" }]
      })
      assert.strictEqual(result.trace.filter((e) => e.type === "event-received").length, 3)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("nextEvent(timeout) returns null when no event comes in time", () =>
    Effect.gen(function* () {
      const wf = workflow("quiet", [listener])
      const execution = yield* Runtime.start(wf)
      const fiber = yield* Effect.forkChild(execution.result)
      const result = yield* drive(fiber, 100)
      assert.deepStrictEqual(result.outputs.event_listener, { events: [] })
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("detects nodes waiting for each other's results within the deadlock timeout", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "deadlock_test",
        [
          code("task1", `result = await waitForResult("task2")`),
          code("task2", `result = await waitForResult("task1")`)
        ],
        [],
        { deadlockTimeout: 5000 }
      )
      const fiber = yield* Effect.forkChild(Runtime.execute(wf))
      const result = yield* drive(fiber, 100)
      assert.strictEqual(result.status, "failed")
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "Deadlock")
      if (error._tag === "Deadlock") {
        assert.deepStrictEqual(
          [...error.waiting].sort((a, b) => a.nodeId.localeCompare(b.nodeId)),
          [
            { nodeId: "task1", waitingFor: "the result of node task2" },
            { nodeId: "task2", waitingFor: "the result of node task1" }
          ]
        )
      }
      assert.isAtLeast(result.duration, 5000)
      assert.isBelow(result.duration, 5500)
      assert.strictEqual(result.nodes.task1!.status, "cancelled")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("detects a node blocked on events that never come", () =>
    Effect.gen(function* () {
      const wf = workflow("starved", [code("consumer", `result = await nextEvent()`)], [], {
        deadlockTimeout: 2000
      })
      const fiber = yield* Effect.forkChild(Runtime.execute(wf))
      const result = yield* drive(fiber, 100)
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "Deadlock")
      if (error._tag === "Deadlock") {
        assert.deepStrictEqual(error.waiting, [
          { nodeId: "consumer", waitingFor: "an event (nextEvent)" }
        ])
        assert.include(error.message, "consumer waits for an event (nextEvent)")
      }
      assert.isBelow(result.duration, 2500)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("waitForResult resolves once the other node finishes", () =>
    Effect.gen(function* () {
      const wf = workflow("wait-ok", [
        code("waiter", `const other = await waitForResult("producer"); result = other.value + 1`),
        code("producer", `await sleep(500); result = { value: 41 }`)
      ])
      const fiber = yield* Effect.forkChild(Runtime.execute(wf))
      const result = yield* drive(fiber, 50)
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.outputs.waiter, 42)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "cancel() interrupts everything, releases resources, and the result says cancelled",
    () =>
      Effect.gen(function* () {
        const log: Array<string> = []
        const db = Resource.effect(
          Effect.acquireRelease(
            Effect.sync(() => log.push("open")),
            () => Effect.sync(() => log.push("close"))
          )
        )
        const wf = workflow(
          "cancel-me",
          [task("forever", { resources: ["db"] }), task("next")],
          [{ from: "forever", output: "", to: "next", input: "x" }]
        )
        const execution = yield* Runtime.start(
          wf,
          {},
          {
            functions: { forever: () => Effect.never, next: () => 1 },
            resources: { db }
          }
        )
        yield* TestClock.adjust(100)
        const result = yield* execution.cancel
        assert.strictEqual(result.status, "cancelled")
        assert.deepStrictEqual(log, ["open", "close"])
        assert.strictEqual(result.nodes.forever!.status, "cancelled")
        assert.strictEqual(result.nodes.next!.status, "skipped")
        assert.strictEqual(result.errors[0]!._tag, "ExecutionCancelled")
      }).pipe(Effect.provide(sandbox))
  )

  it.effect("streams trace events live to subscribers", () =>
    Effect.gen(function* () {
      const wf = workflow("streamed", [task("a")])
      const execution = yield* Runtime.start(
        wf,
        {},
        {
          functions: { a: () => Effect.as(Effect.sleep(100), 1) }
        }
      )
      const collected = yield* Effect.forkChild(Stream.runCollect(execution.events))
      yield* TestClock.adjust(100)
      const events = yield* Fiber.join(collected)
      assert.deepStrictEqual(
        events.map((e) => e.type),
        [
          "execution-started",
          "node-scheduled",
          "node-started",
          "node-succeeded",
          "execution-finished"
        ]
      )
      assert.deepStrictEqual(
        events.map((e) => e.at),
        [0, 0, 0, 100, 100]
      )
    }).pipe(Effect.provide(sandbox))
  )
})
