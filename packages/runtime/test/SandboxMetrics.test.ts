import { assert, describe, it } from "@effect/vitest"
import { Sandbox } from "@weft/sandbox"
import { Context, Effect, Fiber, Metric, Option } from "effect"
import { Metrics, Runtime, type Trace } from "../src/index.js"
import { code, connect, workflow } from "./helpers.js"

const fresh = () => Context.make(Metric.MetricRegistry, new Map())
const gauges = (context: Context.Context<never>) => ({
  depth: Metrics.sandboxQueueDepth.valueUnsafe(context).value,
  utilization: Metrics.sandboxPoolUtilization.valueUnsafe(context).value
})

describe("sandbox gauges", () => {
  it("are sampled at node events from the given stats, not at execution events", () => {
    const context = fresh()
    let stats: Sandbox.Stats = { workers: 4, busy: 1, suspended: 0, queued: 3 }
    const observe = Metrics.observer(context, { sandboxStats: () => Option.some(stats) })
    const base = { executionId: "e1", at: 0 }
    observe({ ...base, type: "execution-started", workflowId: "w" })
    assert.deepStrictEqual(gauges(context), { depth: 0, utilization: 0 })
    observe({ ...base, type: "node-started", nodeId: "a", iteration: 1, attempt: 1 })
    assert.deepStrictEqual(gauges(context), { depth: 3, utilization: 0.25 })
    stats = { workers: 4, busy: 4, suspended: 2, queued: 0 }
    const succeeded: Trace.TraceEvent = {
      ...base,
      type: "node-succeeded",
      nodeId: "a",
      iteration: 1,
      attempt: 1,
      duration: 0
    }
    observe(succeeded)
    assert.deepStrictEqual(gauges(context), { depth: 0, utilization: 1 })
  })

  it("are not recorded when the sandbox cannot tell", () => {
    const context = fresh()
    const observe = Metrics.observer(context, { sandboxStats: () => Option.none() })
    observe({
      executionId: "e",
      at: 0,
      type: "node-started",
      nodeId: "a",
      iteration: 1,
      attempt: 1
    })
    assert.deepStrictEqual(gauges(context), { depth: 0, utilization: 0 })
  })

  it.live(
    "an observer given the context of a 1-worker pool, one run spinning and two waiting, reads depth 2 and utilization 1",
    () =>
      Effect.gen(function* () {
        const spinning = yield* Effect.forkChild(
          Sandbox.run({ source: "for (;;) {}", limits: { timeout: 60_000 } }),
          { startImmediately: true }
        )
        const waiting = yield* Effect.forEach([1, 2], (n) =>
          Effect.forkChild(Sandbox.run({ source: `return ${n}` }), { startImmediately: true })
        )
        // wait for that state (not for a duration): the two runs queued behind the spinning one
        yield* Effect.gen(function* () {
          for (;;) {
            const stats = yield* Sandbox.stats
            if (Option.isSome(stats) && stats.value.queued === 2 && stats.value.busy === 1) return
            yield* Effect.sleep(2)
          }
        }).pipe(Effect.timeout(30_000))
        const registry: Metric.MetricRegistry = new Map()
        const withSandbox = yield* Effect.context<Sandbox.Sandbox>()
        const context = Context.add(
          withSandbox,
          Metric.MetricRegistry,
          registry
        ) as Context.Context<never>
        const observe = Metrics.observer(context)
        observe({
          executionId: "e",
          at: 0,
          type: "node-started",
          nodeId: "a",
          iteration: 1,
          attempt: 1
        })
        assert.deepStrictEqual(gauges(context), { depth: 2, utilization: 1 })
        yield* Fiber.interrupt(spinning)
        yield* Fiber.joinAll(waiting)
      }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 1 })))
  )

  it.live(
    "under Metrics.layer, three parallel code nodes on a 1-worker pool show a queue and a busy pool",
    () =>
      Effect.gen(function* () {
        const registry = new Map()
        const context = Context.make(Metric.MetricRegistry, registry)
        const heavy = "let x = 0; for (let i = 0; i < 3000000; i++) x += i % 7; return x"
        const wf = workflow(
          "fan",
          [code("start", "return 1"), code("a", heavy), code("b", heavy), code("c", heavy)],
          ["a", "b", "c"].map((id) => connect("start", "", id, "x"))
        )
        const atStart: Array<{ depth: number; utilization: number }> = []
        const result = yield* Runtime.execute(
          wf,
          {},
          {
            onEvent: (event) => {
              if (event.type === "node-started" && event.nodeId !== "start")
                atStart.push(gauges(context))
            }
          }
        ).pipe(
          Effect.provide(Metrics.layer),
          Effect.provideService(Metric.MetricRegistry, registry),
          Effect.provide(Sandbox.layerQuickJs({ workers: 1 }))
        )
        assert.strictEqual(result.status, "succeeded")
        assert.strictEqual(atStart.length, 3)
        // every code attempt starts holding the only worker; the last two start with the third
        // (or nothing) queued behind them, the first with the two others queued or on their way
        for (const sample of atStart) assert.strictEqual(sample.utilization, 1)
        assert.isAtLeast(Math.max(...atStart.map((s) => s.depth)), 1)
        // after the last attempt ended the worker is free and nothing waits
        assert.deepStrictEqual(gauges(context), { depth: 0, utilization: 0 })
      })
  )
})
