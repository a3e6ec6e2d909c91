import { Workflow } from "@weft/graph"
import type { ExecutionResult } from "@weft/runtime"
import { describe, expect, it } from "vitest"
import { style } from "../src/format.js"
import * as Summary from "../src/summary.js"

const workflow = Workflow.make("w")
  .code("fetch", "return 1")
  .code("smooth", "return { value: fetch }")
  .code("notify", "return 1")
  .connect("fetch", "", "smooth", "fetch")
  .connect("smooth", "value", "smooth", "previous")
  .connect("smooth", "", "notify", "x")
  .loop("l", ["smooth"], {
    maxIterations: 9,
    until: { kind: "converged", node: "smooth", output: "value", tolerance: 0 }
  })
  .build()

const result = {
  nodes: {
    fetch: { nodeId: "fetch", status: "succeeded", attempts: 3, iterations: 1, duration: 1250 },
    smooth: { nodeId: "smooth", status: "failed", attempts: 4, iterations: 4, duration: 40 },
    notify: { nodeId: "notify", status: "skipped", attempts: 0, iterations: 0 }
  }
} as unknown as ExecutionResult.ExecutionResult

describe("summary table", () => {
  it("lists every node in graph order with status, attempts (and loop iterations) and duration", () => {
    expect(Summary.render(workflow, result, style(false)).split("\n")).toEqual([
      "  node    status     attempts          duration",
      "  ------  ---------  ----------------  --------",
      "  fetch   succeeded  3                 1.25 s",
      "  smooth  failed     4 (4 iterations)  40 ms",
      "  notify  skipped    0                 -"
    ])
  })
})
