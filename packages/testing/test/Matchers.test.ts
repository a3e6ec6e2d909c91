import { Workflow } from "@weft/graph"
import { describe, expect } from "vitest"
import { workflowTest } from "../src/index.js"

const wf = Workflow.make("checkout")
  .code("price", "return { cents: 9999 }")
  .code("charge", "throw new TypeError('card declined')")
  .connect("price", "cents", "charge", "cents")
  .build()

describe("custom matchers", () => {
  workflowTest("pass on the recorded values, also negated", async ({ harness }) => {
    const ok = await harness.execute(
      Workflow.make("ok").code("a", "return { data: [1, 2, 3] }").build()
    )
    expect(ok).toSucceed()
    expect(ok).toHaveNodeOutput("a", [1, 2, 3], "data")
    expect(ok).toHaveNodeStatus("a", "succeeded")
    expect(ok).toHaveExecutionCount("a", 1)
    expect(ok).toHaveRetried("a", 0)
    expect(ok).not.toHaveNodeOutput("a", [3, 2, 1], "data")
    const failed = await harness.execute(wf)
    expect(failed).not.toSucceed()
    expect(failed).toFailWith({ node: "charge", tag: "TypeError", message: "card declined" })
  })

  workflowTest("fail with the harness assertions' messages", async ({ harness }) => {
    const failed = await harness.execute(wf)
    expect(() => expect(failed).toSucceed()).toThrow(
      /^assertWorkflowSuccess: expected success, got failed\n/
    )
    expect(() =>
      expect(failed).toHaveNodeOutput("price", 1, "cents")
    ).toThrowErrorMatchingInlineSnapshot(`
      [Error: assertNodeOutput: expected price output at "cents" to be 1
        actual:   9999
        output:   {"cents":9999}]
    `)
    expect(() => expect(failed).toHaveExecutionCount("charge", 2)).toThrow(
      /expected charge to run 2 times, it ran 1/
    )
    expect(() => expect(failed).toHaveRetried("charge", 2)).toThrow(
      /^assertRetried: expected charge to be retried 2 times, it was retried 0 \(1 attempt\)/
    )
    expect(() => expect(failed).toHaveNodeStatus("charge", "succeeded")).toThrow(
      /expected charge to be succeeded, but it failed/
    )
    expect(() => expect(failed).toFailWith({ tag: "RangeError" })).toThrow(
      /expected failure tagged RangeError; the workflow failed with these errors/
    )
    expect(() => expect(failed).not.toHaveNodeStatus("charge", "failed")).toThrow(
      /expected the result not to satisfy toHaveNodeStatus, but it did/
    )
  })
})
