// Example: load — 100 concurrent executions.
//
// `executeMany` runs them concurrently on one virtual clock; `assertPerformance` runs them as
// separate concurrent operations and measures the real cost (the 10 ms sleeps are virtual, so
// what is measured is the engine itself).
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
  const report = await harness.assertPerformance(
    (i) => harness.execute(workflow, { process_item: { item_id: i } }),
    { operations: 100, concurrency: 100, minThroughput: 10, maxTime: "10 seconds" }
  )

  expect(report.operations).toBe(100)
  expect(harness.results()).toHaveLength(100)
  for (const result of harness.results()) expect(result).toSucceed()
})
