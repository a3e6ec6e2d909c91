import { describe, expect, it } from "vitest"
import { describeDemo } from "../src/describe.js"

describe("demo summary", () => {
  it("names the workflow, its status and the retry delays", () => {
    const text = describeDemo({
      result: { workflowId: "checkout", status: "succeeded" },
      delays: [200, 400],
      identifier: true
    })
    expect(text).toContain(`workflow "checkout" succeeded`)
    expect(text).toContain("200, 400 ms")
  })
})
