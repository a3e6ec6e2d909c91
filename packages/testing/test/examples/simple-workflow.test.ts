// Example: the simplest workflow test.
//
// `workflowTest` hands every test a fresh `harness`. Time is virtual: the 100 ms sleep below
// takes no real time, and the result says how long it took on the clock.
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

const fetchData = Workflow.make("test_workflow")
  .code(
    "fetch_data",
    `await sleep(100) // simulate an async operation
     return { data: [1, 2, 3] }`
  )
  .build()

workflowTest("a simple async workflow returns its data", async ({ harness }) => {
  const result = await harness.execute(fetchData)

  harness.assertWorkflowSuccess(result)
  harness.assertNodeOutput(result, "fetch_data", [1, 2, 3], "data")
  // the same checks as vitest matchers
  expect(result).toSucceed()
  expect(result).toHaveNodeOutput("fetch_data", [1, 2, 3], "data")
  // 100 ms on the virtual clock (result.timing.realMs says what it really cost)
  expect(result.duration).toBe(100)
  expect(result.timing.virtualMs).toBe(100)
})
