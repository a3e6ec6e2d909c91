import { Workflow } from "@weft/graph"
import { Runtime } from "@weft/runtime"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Assert } from "../src/index.js"

describe("Assert.workflowSuccess", () => {
  it("passes for a succeeded run and throws naming the workflow otherwise", async () => {
    const result = await Effect.runPromise(Runtime.execute(Workflow.make("w")))
    expect(() => Assert.workflowSuccess(result)).not.toThrow()
    const failed = { ...result, status: "failed" } as unknown as Runtime.ExecutionResult
    expect(() => Assert.workflowSuccess(failed)).toThrow(/workflow w did not succeed: failed/)
  })
})
