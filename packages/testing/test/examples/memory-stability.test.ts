// Example: memory stays flat across many executions.
//
// `assertMemoryStable` forces a full GC between checkpoints and fails if the retained heap
// keeps growing — the node's large temporary data must be garbage collected.
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

const workflow = Workflow.make("memory_test")
  .code(
    "generate_data",
    `const data = Array.from({ length: 100000 }, (_, i) => i % 97)
     const mean = data.reduce((a, b) => a + b, 0) / data.length
     return { length: data.length, mean }`
  )
  .build()

workflowTest("repeated executions do not leak memory", async ({ harness }) => {
  const report = await harness.assertMemoryStable(() => harness.execute(workflow), {
    iterations: 20,
    warmup: 5,
    growth: 10 * 1024 * 1024 // less than 10 MB retained
  })

  expect(report.growthBytes).toBeLessThan(10 * 1024 * 1024)
  harness.assertNodeOutput(harness.lastResult(), "generate_data", 100000, "length")
})
