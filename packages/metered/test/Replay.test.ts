import { assert, describe, it } from "@effect/vitest"
import { MockLlm } from "@weft/fixtures"
import { Journal, Runtime } from "@weft/runtime"
import { Effect } from "effect"
import { Meter, PriceTable } from "../src/index.js"
import { journals, sandbox, task, workflow } from "./helpers.js"

describe("Meter under a durable journal", () => {
  it.effect(
    "a replayed attempt's cost comes from its recorded event: counted once, not charged again",
    () =>
      Effect.gen(function* () {
        const meter = yield* Meter.make({
          prices: PriceTable.example,
          budgets: [{ name: "per-run", limit: 1, scope: "execution" }]
        })
        const llm = MockLlm.make({ usage: { input: 1000, output: 100 } })
        const client = meter.client(llm, {
          complete: { meter: "llm", model: (r) => r.model, usage: (reply) => reply.usage }
        })
        const runtime = Runtime.make({
          functions: meter.functions({
            summarize: async () => (await client.complete({ model: "gpt-4o", prompt: "a" })).text
          })
        })
        const wf = workflow("w", [task("summarize")])
        const { recording, replaying, records } = journals()
        const first = yield* meter
          .execute(runtime, wf, {}, { executionId: "exec-1" })
          .pipe(Effect.provideService(Journal.CurrentJournal, recording))
        assert.strictEqual(records.size, 1)
        const replayed = yield* meter
          .execute(runtime, wf, {}, { executionId: "exec-1" })
          .pipe(Effect.provideService(Journal.CurrentJournal, replaying))
        assert.strictEqual(llm.callCount(), 1)
        assert.deepStrictEqual(replayed.outputs, first.outputs)
        // gpt-4o: 1000 * 2.5e-6 + 100 * 10e-6 = 0.0035
        assert.deepStrictEqual(first.costs.byNode, { summarize: 0.0035 })
        assert.deepStrictEqual(replayed.costs.byNode, { summarize: 0.0035 })
        assert.deepStrictEqual(yield* meter.spent("per-run", "exec-1"), {
          spent: 0.0035,
          reserved: 0
        })
      }).pipe(Effect.provide(sandbox))
  )
})
