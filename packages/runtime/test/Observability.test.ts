import { assert, describe, it } from "@effect/vitest"
import { Policy } from "@weft/retry"
import { Effect, Fiber, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { Runtime, Scheduler, Trace } from "../src/index.js"
import { connect, sandbox, task, workflow } from "./helpers.js"

describe("observability", () => {
  it.effect("creates a span per execution and per node when a tracer is installed", () =>
    Effect.gen(function* () {
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span(options) {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      const wf = workflow("spans", [task("a"), task("b")], [connect("a", "", "b", "x")])
      yield* Runtime.execute(wf, {}, { functions: { a: () => 1, b: () => 2 } }).pipe(
        Effect.withTracer(tracer)
      )
      assert.deepStrictEqual(
        spans.map((s) => s.name),
        ["weft.execution", "weft.node a", "weft.attempt", "weft.node b", "weft.attempt"]
      )
      assert.strictEqual(spans[1]!.attributes.get("weft.node.id"), "a")
      assert.isTrue(spans.every((s) => s.status._tag === "Ended"))
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("the trace is typed JSON with Clock timestamps, in order", () =>
    Effect.gen(function* () {
      const wf = workflow("traced", [task("a"), task("b")], [connect("a", "", "b", "x")])
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          { functions: { a: () => Effect.as(Effect.sleep(250), 1), b: () => 2 } }
        )
      )
      yield* TestClock.adjust(250)
      const result = yield* Fiber.join(fiber)
      const lines = Trace.lines(result.trace)
      assert.deepStrictEqual(lines, [
        `[0ms] execution ${result.id} of traced started`,
        "[0ms] node a scheduled",
        "[0ms] node a started (attempt 1)",
        "[250ms] node a succeeded in 250ms",
        "[250ms] node b scheduled",
        "[250ms] node b started (attempt 1)",
        "[250ms] node b succeeded in 0ms",
        `[250ms] execution ${result.id} succeeded in 250ms`
      ])
      assert.deepStrictEqual(JSON.parse(JSON.stringify(result.trace)), result.trace)
      assert.deepStrictEqual(
        Trace.forNode(result.trace, "b").map((e) => e.type),
        ["node-scheduled", "node-started", "node-succeeded"]
      )
    }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "a custom Scheduler sees every node execution as (executionId, nodeId, iteration, attempt)",
    () =>
      Effect.gen(function* () {
        const seen: Array<string> = []
        const recording: Scheduler.Scheduler = {
          executionId: () => "exec-1",
          runNode: (node, attempt) =>
            Effect.andThen(
              Effect.sync(() =>
                seen.push(`${node.executionId}/${node.nodeId}/${node.iteration}/${node.attempt}`)
              ),
              attempt
            )
        }
        let calls = 0
        const wf = workflow("durable", [
          task("flaky", {
            retry: Policy.fixed({ delay: 0, maxAttempts: 3 }) as unknown as {
              readonly [k: string]: null
            }
          })
        ])
        const result = yield* Runtime.execute(
          wf,
          {},
          {
            functions: { flaky: () => (++calls < 2 ? Effect.fail("again") : Effect.succeed("ok")) }
          }
        ).pipe(Effect.provideService(Scheduler.CurrentScheduler, recording))
        assert.strictEqual(result.id, "exec-1")
        assert.deepStrictEqual(seen, ["exec-1/flaky/1/1", "exec-1/flaky/1/2"])
      }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "a Scheduler can inject faults that go through the real retry and timeout machinery",
    () =>
      Effect.gen(function* () {
        let injected = 0
        const faulty: Scheduler.Scheduler = {
          executionId: Scheduler.inMemory.executionId,
          runNode: (node, attempt) =>
            node.nodeId === "charge" && node.attempt <= 2
              ? Effect.suspend(() => {
                  injected++
                  return node.attempt === 1
                    ? Effect.fail({ _tag: "ConnectionError" })
                    : Effect.never
                })
              : attempt
        }
        const wf = workflow("faults", [
          task("charge", {
            timeout: 1000,
            retry: Policy.fixed({ delay: 100, maxAttempts: 3 }) as unknown as {
              readonly [k: string]: null
            }
          })
        ])
        const fiber = yield* Effect.forkChild(
          Runtime.execute(wf, {}, { functions: { charge: () => "ch_1" } }).pipe(
            Effect.provideService(Scheduler.CurrentScheduler, faulty)
          )
        )
        yield* TestClock.adjust(2000)
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.status, "succeeded")
        assert.strictEqual(result.outputs.charge, "ch_1")
        assert.strictEqual(injected, 2)
        assert.deepStrictEqual(
          Trace.ofType(result.trace, "node-retrying").map((e) => e.error),
          ["ConnectionError", "NodeTimedOut"]
        )
        // attempt 1 fails at 0, retry at 100, attempt 2 times out at 1100, attempt 3 at 1200
        assert.strictEqual(result.duration, 1200)
      }).pipe(Effect.provide(sandbox))
  )
  it.effect("an onEvent callback or subscriber that throws changes nothing about the run", () =>
    Effect.gen(function* () {
      const wf = workflow("observed", [task("a"), task("b")], [connect("a", "", "b", "x")])
      for (const type of [
        "execution-started",
        "node-scheduled",
        "node-started",
        "node-succeeded",
        "execution-finished"
      ]) {
        const execution = yield* Runtime.start(
          wf,
          {},
          {
            functions: { a: () => 1, b: () => 2 },
            onEvent: (event) => {
              if (event.type === type) throw new Error(`progress bar bug on ${type}`)
            }
          }
        )
        const result = yield* execution.result
        assert.strictEqual(result.status, "succeeded", type)
        assert.deepStrictEqual(result.outputs, { a: 1, b: 2 })
        assert.deepStrictEqual(result.errors, [])
        assert.strictEqual(result.trace.at(-1)?.type, "execution-finished")
      }
    }).pipe(Effect.provide(sandbox))
  )
})
