import { assert, describe, it } from "@effect/vitest"
import { MockLlm } from "@weft/fixtures"
import { Workflow } from "@weft/graph"
import { Runtime } from "@weft/runtime"
import { Effect } from "effect"
import { Meter, PriceTable } from "../src/index.js"
import { sandbox } from "./helpers.js"

describe("fallback to a cheaper model", () => {
  it.effect(
    "a failure edge routes BudgetExceeded to the cheaper model, which fits the budget",
    () =>
      Effect.gen(function* () {
        const meter = yield* Meter.make({
          prices: PriceTable.example,
          budgets: [{ name: "per-run", limit: 0.002, scope: "execution" }]
        })
        const llm = MockLlm.make({ usage: { input: 2000, output: 200 } })
        const client = meter.client(llm, {
          complete: {
            meter: "llm",
            model: (r) => r.model,
            estimate: (r) => ({ input: 2000, output: r.maxTokens ?? 0 }),
            usage: (reply) => reply.usage
          }
        })
        const reasons: Array<unknown> = []
        const summarise =
          (model: string) =>
          async (inputs: { readonly article: string; readonly reason?: unknown }) => {
            if (inputs.reason !== undefined) reasons.push(inputs.reason)
            return (await client.complete({ model, prompt: inputs.article, maxTokens: 200 })).text
          }
        const runtime = Runtime.make({
          functions: meter.functions({
            summarize: summarise("gpt-4o"),
            summarizeCheaply: summarise("gpt-4o-mini"),
            publish: (inputs: { readonly summary: string }) => ({ published: inputs.summary })
          })
        })
        const wf = Workflow.make("summarise-article")
          .task("summarize")
          .task("summarizeCheaply")
          .task("publish")
          .onFailure("summarize", "errorTag", "summarizeCheaply", "reason")
          .connect("summarize", "", "publish", "summary")
          .connect("summarizeCheaply", "", "publish", "summary")
          .build()
        const result = yield* meter.execute(runtime, wf, { article: "a".repeat(100) })
        // gpt-4o: 2000 * 2.5e-6 + 200 * 10e-6 = 0.007 > 0.002; gpt-4o-mini: 0.00042 fits
        assert.strictEqual(llm.callCount(), 1)
        const request = llm.calls()[0]?.args[0] as { readonly model: string } | undefined
        assert.strictEqual(request?.model, "gpt-4o-mini")
        assert.deepStrictEqual(reasons, ["BudgetExceeded"])
        assert.deepStrictEqual(result.outputs.publish, {
          published: "summary of aaaaaaaaaaaaaaaaaaaa"
        })
        assert.deepStrictEqual(result.costs.byNode, { summarizeCheaply: 0.00042 })
        assert.strictEqual(result.nodes.summarize?.status, "failed")
        assert.strictEqual(result.status, "succeeded", JSON.stringify(result.errors))
      }).pipe(Effect.provide(sandbox))
  )
})
