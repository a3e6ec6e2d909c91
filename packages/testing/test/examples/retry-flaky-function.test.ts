// Example: retrying a flaky operation.
//
// First as the reference guide wrote it — a retry loop with exponential backoff inside the
// code node, calling a registered function. Then the Weft way: a retry policy on the node, and
// the failures injected with `harness.failNode` so the real retry machinery is exercised.
import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { workflowTest } from "@weft/testing"
import { Schema } from "effect"
import { expect } from "vitest"

class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  message: Schema.String
}) {}

workflowTest("a retry loop in the node recovers from a flaky function", async ({ harness }) => {
  let attemptCount = 0
  harness.registerFunction("flaky_operation", async () => {
    attemptCount++
    if (attemptCount < 3) throw new ConnectionError({ message: "Temporary failure" })
    return { success: true, attempts: attemptCount }
  })

  const workflow = Workflow.make("retry_test")
    .code(
      "retry_operation",
      `const maxRetries = 3
       const retryDelay = 100
       for (let attempt = 0; attempt < maxRetries; attempt++) {
         try {
           return await flaky_operation()
         } catch (e) {
           if (attempt === maxRetries - 1) throw e
           await sleep(retryDelay * 2 ** attempt)
         }
       }`
    )
    .build()

  const result = await harness.execute(workflow)

  harness.assertNodeOutput(result, "retry_operation", true, "success")
  harness.assertNodeOutput(result, "retry_operation", 3, "attempts")
  expect(result.duration).toBe(300) // 100 + 200 ms of backoff, all virtual
})

workflowTest("a node retry policy recovers from injected failures", async ({ harness }) => {
  const workflow = Workflow.make("charge")
    .code("charge", "return { id: 'ch_1' }", {
      retry: Policy.exponential({ base: "2 seconds", maxAttempts: 5, jitter: "none" })
    })
    .build()
  harness.failNode("charge", new ConnectionError({ message: "reset" }), { times: 2 })

  const result = await harness.execute(workflow)

  harness.assertWorkflowSuccess(result)
  harness.assertRetried("charge", 2)
  // attempts at 0 s, 2 s and 6 s: exactly the policy's backoff
  const starts = result.trace.filter((e) => e.type === "node-started").map((e) => e.at)
  expect(starts).toEqual([0, 2000, 6000])
})
