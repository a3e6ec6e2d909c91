// Example: a workflow timeout.
//
// The slow node would sleep ten minutes; the workflow's one-minute timeout stops it at exactly
// one virtual minute — and the test takes milliseconds.
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

const workflow = Workflow.make("timeout_test")
  .code(
    "slow_task",
    `await sleep(600000) // ten minutes: longer than the timeout
     return { completed: true }`
  )
  .timeout("1 minute")
  .build()

workflowTest("a workflow that runs too long times out", async ({ harness }) => {
  const result = await harness.execute(workflow)

  expect(result.status).toBe("timed-out")
  harness.assertWorkflowFailure(result, { status: "timed-out", tag: "WorkflowTimedOut" })
  expect(result.duration).toBe(60_000)
  expect(result.timing.realMs).toBeLessThan(5_000) // not a real minute
})

workflowTest("assertTimeLimit interrupts at the limit instead of waiting", async ({ harness }) => {
  const slow = Workflow.make("slow").code("wait", "await sleep(60000); return 1").build()

  await expect(harness.assertTimeLimit("2 seconds", () => harness.execute(slow))).rejects.toThrow(
    "assertTimeLimit: did not finish within 2s; interrupted at the limit"
  )
  expect(harness.now()).toBe(2000)
})
