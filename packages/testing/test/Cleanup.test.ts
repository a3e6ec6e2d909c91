import { Workflow } from "@weft/graph"
import { describe, expect, it } from "vitest"
import { workflowTest } from "../src/index.js"

// The harness of a test is released even when the test fails or times out; the test after it
// checks. (`.fails` marks tests that are expected to fail.)
const released: Array<string> = []

describe("cleanup after failing tests", () => {
  workflowTest.fails("a failing test", async ({ harness }) => {
    await harness.resource("db", {
      acquire: () => ({ query: () => [] }),
      release: () => {
        released.push("after failure")
      }
    })
    const result = await harness.execute(
      Workflow.make("w").code("boom", "throw new Error('boom')").build()
    )
    harness.assertWorkflowSuccess(result)
  })

  workflowTest.fails("a test that times out", { timeout: 300 }, async ({ harness }) => {
    await harness.resource("db", {
      acquire: () => ({ query: () => [] }),
      release: () => {
        released.push("after timeout")
      }
    })
    await new Promise(() => {})
  })

  it("released both harnesses", () => {
    expect(released).toEqual(["after failure", "after timeout"])
  })
})
