import { assert, describe, it } from "@effect/vitest"
import { Sandbox } from "@weft/sandbox"
import { Effect } from "effect"
import { Runtime, Trace } from "../src/index.js"
import { code, workflow } from "./helpers.js"

// a guest that keeps its worker busy for `ms` of wall time
const busy = (ms: number) =>
  `const until = Date.now() + ${ms}; while (Date.now() < until) {} result = "done"`

describe("node timeouts measure the node, not the queue", () => {
  it.live(
    "twenty 50 ms code nodes with a 300 ms timeout on a 2-worker pool all succeed",
    () =>
      Effect.gen(function* () {
        const nodes = Array.from({ length: 10 }, (_, i) =>
          code(`n${i}`, busy(100), { timeout: 350 })
        )
        const result = yield* Runtime.execute(workflow("queued", nodes))
        assert.strictEqual(result.status, "succeeded", JSON.stringify(result.errors))
        // ten rounds of two (~500 ms): most nodes queue for a worker longer than their timeout
        const queued = Object.values(result.nodes).map((node) => node.queuedMillis ?? 0)
        assert.isAtLeast(Math.max(...queued), 300)
        const started = Trace.ofType(result.trace, "node-started")
        assert.isTrue(started.some((event) => (event.queuedMillis ?? 0) >= 300))
      }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 2 }))),
    30_000
  )

  it.live(
    "a code node that runs too long still times out, counted from when it started",
    () =>
      Effect.gen(function* () {
        const wf = workflow("slow", [code("slow", `await hang()`, { timeout: 300 })])
        const result = yield* Runtime.execute(
          wf,
          {},
          { functions: { hang: () => new Promise(() => {}) } }
        )
        assert.strictEqual(result.nodes.slow!.status, "timed-out", JSON.stringify(result.errors))
        assert.strictEqual(result.errors[0]!._tag, "NodeTimedOut")
      }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 1 }))),
    30_000
  )
})
