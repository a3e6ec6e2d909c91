// Example: load — 100 concurrent executions.
//
// `executeMany` runs them concurrently on one virtual clock; `assertPerformance` measures the
// real cost (the 10 ms sleeps are virtual, so what is measured is the engine itself).
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

const workflow = Workflow.make("load_test")
  .code(
    "process_item",
    `await sleep(10) // simulate processing
     return { processed: item_id }`
  )
  .build()

const runs = Array.from({ length: 100 }, (_, i) => ({
  workflow,
  params: { process_item: { item_id: i } }
}))

workflowTest("100 executions at once all succeed", async ({ harness }) => {
  const results = await harness.executeMany(runs)

  expect(results).toHaveLength(100)
  for (const result of results) expect(result).toSucceed()
  expect(results.map((r) => r.outputs.process_item)).toEqual(
    Array.from({ length: 100 }, (_, i) => ({ processed: i }))
  )
  expect(harness.now()).toBe(10) // they all slept at the same time
})

workflowTest("throughput stays above 10 executions per second", async ({ harness }) => {
  // Each execution starts a fresh QuickJS guest, so this measures the engine and the sandbox.
  // On an idle machine it is well above the reference guide's 50/s; the bound here is loose
  // because CI machines are shared.
  const report = await harness.assertPerformance(() => harness.executeMany(runs), {
    operations: 1,
    maxTime: "10 seconds"
  })
  const throughput = (100 / report.totalMs) * 1000
  expect(throughput).toBeGreaterThan(10)
})
