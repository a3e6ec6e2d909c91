import { it } from "@effect/vitest"
import { Workflow } from "@weft/graph"
import { Clock, Effect } from "effect"
import { afterAll, describe, expect } from "vitest"
import { WorkflowTest, workflowTest } from "../src/index.js"

const released: Array<string> = []

describe("workflowTest fixture", () => {
  workflowTest("gives each test its own harness, released after the test", async ({ harness }) => {
    await harness.resource("db", {
      acquire: () => ({ id: 1 }),
      release: () => void released.push("db 1")
    })
    expect(harness.results()).toHaveLength(0)
    await harness.execute(Workflow.make("w").code("a", "return 1").build())
  })

  workflowTest(
    "the next test starts clean (and the previous harness was released)",
    async ({ harness }) => {
      expect(released).toEqual(["db 1"])
      expect(harness.results()).toHaveLength(0)
      expect(() => harness.getResource("db")).toThrow(/no resource "db"/)
      expect(harness.now()).toBe(0)
    }
  )

  const liveTest = WorkflowTest.makeWorkflowTest({ time: "live" })
  liveTest("makeWorkflowTest configures the harness (here: real time)", async ({ harness }) => {
    const result = await harness.execute(
      Workflow.make("w").code("a", "await sleep(20); return 1").build()
    )
    expect(result.timing.mode).toBe("live")
    expect(result.timing.realMs).toBeGreaterThanOrEqual(15)
  })
})

describe("WorkflowTest layer for @effect/vitest", () => {
  const wf = Workflow.make("backoff").code("wait", "await sleep(120000); return 'done'").build()

  it.effect("runs executions with harness.effect on virtual time inside it.effect", () =>
    Effect.gen(function* () {
      const harness = yield* WorkflowTest.WorkflowTest
      const result = yield* harness.effect.execute(wf)
      harness.assertWorkflowSuccess(result)
      expect(result.duration).toBe(120_000)
      // it.effect's own TestClock is untouched: the harness has its own clock
      expect(yield* Clock.currentTimeMillis).toBe(0)
      yield* harness.effect.advance("1 minute")
      expect(harness.now()).toBe(180_000)
    }).pipe(Effect.provide(WorkflowTest.layer()))
  )

  it.effect("harness.effect.run runs any effect on the harness clock", () =>
    Effect.gen(function* () {
      const harness = yield* WorkflowTest.WorkflowTest
      const at = yield* harness.effect.run(
        Effect.andThen(Effect.sleep("1 hour"), Clock.currentTimeMillis)
      )
      expect(at).toBe(3_600_000)
    }).pipe(Effect.provide(WorkflowTest.layer()))
  )
})

afterAll(() => {
  expect(released).toEqual(["db 1"])
})

describe("harness.effect.start", () => {
  const listener = Workflow.make("listener")
    .code(
      "listen",
      `const events = []
       while (true) {
         const event = await nextEvent(60000)
         if (event === null || event.type === "stop") break
         events.push(event.value)
       }
       return events`
    )
    .build()

  it.effect("sends events into a running execution and waits for its result on virtual time", () =>
    Effect.gen(function* () {
      const harness = yield* WorkflowTest.WorkflowTest
      const execution = yield* harness.effect.start(listener)
      yield* harness.effect.advance("10 seconds")
      yield* execution.send({ type: "data", value: 1 })
      yield* execution.send({ type: "stop" })
      const result = yield* execution.result
      harness.assertNodeOutput(result, "listen", [1])
      expect(result.duration).toBe(10_000)
      expect(execution.trace().some((e) => e.type === "event-received")).toBe(true)
      // the result is recorded with its virtual and real durations
      expect(harness.lastResult().timing.virtualMs).toBe(10_000)
      expect(harness.lastResult().timing.realMs).toBeGreaterThan(0)
    }).pipe(Effect.scoped, Effect.provide(WorkflowTest.layer()))
  )
})
