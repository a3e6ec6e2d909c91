// Example: a deadlock is detected, fast.
//
// Two code nodes each wait for the other's result. The runtime's deadlock watchdog (5 minutes
// here, on the virtual clock) fails the run with a typed `Deadlock` naming the waiting nodes —
// in milliseconds of real time, never a hang until the test runner's timeout.
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

const workflow = Workflow.make("deadlock_test")
  .code("task1", `return await waitForResult("task2")`)
  .code("task2", `return await waitForResult("task1")`)
  .deadlockTimeout("5 minutes")
  .build()

workflowTest("two nodes waiting on each other are reported as a deadlock", async ({ harness }) => {
  const result = await harness.execute(workflow)

  const error = harness.assertWorkflowFailure(result, { tag: "Deadlock" })
  expect(error?.message).toContain("task1")
  expect(error?.message).toContain("task2")
  expect(result.timing.virtualMs).toBeGreaterThanOrEqual(300_000)
  expect(result.timing.realMs).toBeLessThan(5_000) // not five real minutes
})
