import { describe, expect, it } from "vitest"
import { Workflow } from "../src/index.js"

describe("Workflow", () => {
  it("makes an empty workflow with the given id", () => {
    expect(Workflow.make("checkout")).toEqual({ id: "checkout", nodes: [] })
  })
})
