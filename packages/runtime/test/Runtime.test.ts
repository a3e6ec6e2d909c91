import { Workflow } from "@weft/graph"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Runtime } from "../src/index.js"

describe("Runtime", () => {
  it("runs an empty workflow to success", async () => {
    const result = await Effect.runPromise(Runtime.execute(Workflow.make("empty")))
    expect(result).toEqual({ workflowId: "empty", status: "succeeded" })
  })
})
