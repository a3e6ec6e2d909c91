import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Runtime, Trace } from "../src/index.js"
import { code, connect, sandbox, task, workflow } from "./helpers.js"

describe("loops", () => {
  it.effect("iterates until the value converges, feeding back the previous iteration", () =>
    Effect.gen(function* () {
      // smooth: x_{i+1} = (x_i + 10) / 2, starting from x = 0 (params) -> converges to 10
      const wf = workflow(
        "smooth",
        [task("step"), task("report")],
        [connect("step", "value", "step", "x"), connect("step", "value", "report", "final")],
        {},
        [
          {
            id: "smoothing",
            nodes: ["step"],
            maxIterations: 50,
            until: { kind: "converged", node: "step", output: "value", tolerance: 0.01 },
            onMaxIterations: "fail"
          }
        ]
      )
      // iteration 1 has no fed-back value yet: x falls back to the node's params
      const result = yield* Runtime.execute(
        wf,
        { step: { x: 0 } },
        {
          functions: {
            step: (inputs: { readonly x: number }) => ({ value: (inputs.x + 10) / 2 }),
            report: (inputs: { readonly final: number }) => ({ final: inputs.final })
          }
        }
      )
      assert.strictEqual(result.status, "succeeded")
      const iterations = Trace.ofType(result.trace, "loop-iteration").length
      assert.isAbove(iterations, 5)
      assert.strictEqual(result.nodes.step!.iterations, iterations)
      assert.strictEqual(result.counts.step, iterations)
      const final = (result.outputs.report as { final: number }).final
      assert.approximately(final, 10, 0.02)
      assert.deepStrictEqual(Trace.ofType(result.trace, "loop-finished")[0]?.converged, true)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("fails with LoopDidNotConverge after maxIterations, unless the loop says succeed", () =>
    Effect.gen(function* () {
      const make = (onMaxIterations: "fail" | "succeed") =>
        workflow("diverge", [task("grow")], [connect("grow", "n", "grow", "n")], {}, [
          {
            id: "growth",
            nodes: ["grow"],
            maxIterations: 4,
            until: { kind: "converged", node: "grow", output: "n", tolerance: 0 },
            onMaxIterations
          }
        ])
      const functions = { grow: (inputs: { readonly n?: number }) => ({ n: (inputs.n ?? 1) * 2 }) }
      const failed = yield* Runtime.execute(make("fail"), {}, { functions })
      assert.strictEqual(failed.status, "failed")
      assert.strictEqual(failed.errors[0]!._tag, "LoopDidNotConverge")
      assert.strictEqual(failed.counts.grow, 4)
      const ok = yield* Runtime.execute(make("succeed"), {}, { functions })
      assert.strictEqual(ok.status, "succeeded")
      assert.deepStrictEqual(ok.outputs.grow, { n: 16 })
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("stops on a condition evaluated in the sandbox", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "count",
        [
          code("inc", "return { n: (typeof n === 'number' ? n : 0) + 1 }"),
          code("after", "return total")
        ],
        [connect("inc", "n", "inc", "n"), connect("inc", "n", "after", "total")],
        {},
        [
          {
            id: "counter",
            nodes: ["inc"],
            maxIterations: 10,
            until: { kind: "condition", source: "outputs.inc.n >= 3" },
            onMaxIterations: "fail"
          }
        ]
      )
      const result = yield* Runtime.execute(wf)
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.inc, { n: 3 })
      assert.strictEqual(result.outputs.after, 3)
      assert.deepStrictEqual(
        Trace.ofType(result.trace, "node-started")
          .filter((e) => e.nodeId === "inc")
          .map((e) => e.iteration),
        [1, 2, 3]
      )
    }).pipe(Effect.provide(sandbox))
  )
  it.effect(
    "a convergence path that is not in the output fails at once, not after maxIterations",
    () =>
      Effect.gen(function* () {
        const wf = workflow("typo", [task("step")], [connect("step", "value", "step", "x")], {}, [
          {
            id: "smoothing",
            nodes: ["step"],
            maxIterations: 20,
            until: { kind: "converged", node: "step", output: "valeu", tolerance: 0.01 },
            onMaxIterations: "succeed"
          }
        ])
        const result = yield* Runtime.execute(
          wf,
          {},
          {
            functions: {
              step: (inputs: { readonly x?: number }) => ({ value: ((inputs.x ?? 0) + 10) / 2 })
            }
          }
        )
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.counts.step, 1)
        const error = result.errors[0]!
        assert.strictEqual(error._tag, "InputPathNotFound")
        if (error._tag !== "InputPathNotFound") return
        assert.strictEqual(error.from, "step")
        assert.strictEqual(error.path, "valeu")
        assert.deepStrictEqual(error.available, ["value"])
        assert.include(error.message, "loop smoothing")
      }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "a convergence value that is not a number fails with LoopDidNotConverge saying so",
    () =>
      Effect.gen(function* () {
        const wf = workflow("text", [task("step")], [], {}, [
          {
            id: "l",
            nodes: ["step"],
            maxIterations: 5,
            until: { kind: "converged", node: "step", output: "value", tolerance: 0 },
            onMaxIterations: "succeed"
          }
        ])
        const result = yield* Runtime.execute(
          wf,
          {},
          { functions: { step: () => ({ value: "10" }) } }
        )
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.counts.step, 1)
        assert.strictEqual(result.errors[0]!._tag, "LoopDidNotConverge")
        assert.include(result.errors[0]!.message, "not a number")
      }).pipe(Effect.provide(sandbox))
  )
})
