// Example: a failing node stops its downstream nodes.
//
// A failed workflow is a result you can inspect: which node failed, with which error, and
// how many times each node ran. The downstream node never ran (execution count 0).
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

const workflow = Workflow.make("error_test")
  .code(
    "failing_task",
    `await sleep(100)
     throw new RangeError("Simulated async error")`
  )
  .code("recovery_task", "return { should_not_see: true }")
  .connect("failing_task", "", "recovery_task", "input")
  .build()

workflowTest("an error fails the workflow and skips what depends on it", async ({ harness }) => {
  const result = await harness.execute(workflow)

  harness.assertWorkflowFailure(result, {
    node: "failing_task",
    tag: "RangeError",
    message: "Simulated async error"
  })
  harness.assertExecutionCount("failing_task", 1)
  harness.assertExecutionCount("recovery_task", 0)
  harness.assertNodeStatus(result, "recovery_task", "skipped")
  expect(result.outputs).not.toHaveProperty("recovery_task")
})

workflowTest("the failure message shows statuses, the error and the trace", async ({ harness }) => {
  const result = await harness.execute(workflow)

  // What a developer sees when they expected success:
  expect(() => harness.assertWorkflowSuccess(result)).toThrow(
    /failing_task\s+failed\s+1 attempt\s+NodeFailed: .*Simulated async error/
  )
  expect(() => harness.assertWorkflowSuccess(result)).toThrow(/recovery_task\s+skipped/)
  expect(() => harness.assertWorkflowSuccess(result)).toThrow(/\[100ms\] failing_task failed/)
})
