// Example: nodes that run concurrently.
//
// Two independent one-second tasks finish together after one (virtual) second in parallel
// mode, and after two seconds in sequential mode. No real second is spent.
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

const twoTasks = (mode: "parallel" | "sequential") => {
  const builder = Workflow.make(`concurrent_${mode}`)
    .code("task1", "await sleep(1000); return { task: 'task1' }")
    .code("task2", "await sleep(1000); return { task: 'task2' }")
  return (mode === "parallel" ? builder.parallel() : builder.sequential()).build()
}

workflowTest("independent nodes run in parallel", async ({ harness }) => {
  const result = await harness.execute(twoTasks("parallel"))

  harness.assertWorkflowSuccess(result)
  expect(result.duration).toBe(1000) // not 2000
  expect(result.nodes.task1?.duration).toBe(1000)
  expect(result.nodes.task2?.duration).toBe(1000)
  harness.assertMaxConcurrency(2)
})

workflowTest("sequential mode runs one node at a time", async ({ harness }) => {
  const result = await harness.execute(twoTasks("sequential"))

  harness.assertWorkflowSuccess(result)
  expect(result.duration).toBe(2000)
  harness.assertOrder("task1", "task2")
  harness.assertMaxConcurrency(1)
})
