import { assert, describe, it } from "@effect/vitest"
import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { Effect } from "effect"
import { Runtime } from "../src/index.js"
import { drive, sandbox } from "./helpers.js"

describe("with @weft/graph workflows", () => {
  it.effect("runs the checkout workflow built with the graph builder, retrying the charge", () =>
    Effect.gen(function* () {
      let calls = 0
      const payments = {
        post: async (_path: string, body: { json: { amount: number } }) => {
          calls++
          if (calls < 3) throw Object.assign(new Error("reset"), { _tag: "ConnectionError" })
          return { id: "ch_1", amount: body.json.amount }
        }
      }
      const checkout = Workflow.make("checkout")
        .code(
          "price",
          `result = { cents: Math.round(items.reduce((s, i) => s + i.price, 0) * 100) }`
        )
        .code(
          "charge",
          `const payments = await getResource("payments")
           result = await payments.post("/charges", { json: { amount: cents } })`,
          {
            retry: Policy.exponential({ base: "200 millis", maxAttempts: 5, maxDelay: "5 seconds" })
          }
        )
        .connect("price", "cents", "charge", "cents")
        .timeout("10 seconds")
        .build()
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          checkout,
          { price: { items: [{ price: 19.99 }, { price: 5 }] } },
          { resources: { payments } }
        )
      )
      const result = yield* drive(fiber, 50)
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.charge, { id: "ch_1", amount: 2499 })
      assert.strictEqual(result.nodes.charge!.attempts, 3)
      assert.strictEqual(calls, 3)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("runs a workflow decoded from JSON", () =>
    Effect.gen(function* () {
      const original = Workflow.make("etl")
        .task("extract")
        .task("transform")
        .connect("extract", "rows", "transform", "rows")
        .sequential()
        .build()
      const decoded = yield* Workflow.fromJSON(
        JSON.parse(JSON.stringify(Workflow.toJSON(original)))
      )
      const result = yield* Runtime.execute(
        decoded,
        {},
        {
          functions: {
            extract: () => ({ rows: [1, 2, 3] }),
            transform: (inputs: { readonly rows: ReadonlyArray<number> }) => ({
              count: inputs.rows.length
            })
          }
        }
      )
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.transform, { count: 3 })
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("runs a builder loop with a convergence condition", () =>
    Effect.gen(function* () {
      const wf = Workflow.make("monitoring")
        .code("smooth", "return { value: typeof value === 'number' ? (value + 90) / 2 : 0 }")
        .connect("smooth", "value", "smooth", "value")
        .loop("smoothing", ["smooth"], {
          maxIterations: 30,
          until: { kind: "converged", node: "smooth", output: "value", tolerance: 0.5 }
        })
        .build()
      const result = yield* Runtime.execute(wf)
      assert.strictEqual(result.status, "succeeded")
      assert.approximately((result.outputs.smooth as { value: number }).value, 90, 1)
    }).pipe(Effect.provide(sandbox))
  )
})
