import { Workflow } from "@weft/graph"
import type { Trace } from "@weft/runtime"
import { describe, expect, it } from "vitest"
import * as Progress from "../src/progress.js"

const workflow = Workflow.make("w")
  .code("a", "return 1")
  .code("b", "return a")
  .connect("a", "", "b", "a")
  .build()
const e = (event: Record<string, unknown>) => ({ executionId: "x", ...event }) as Trace.TraceEvent
const events = [
  e({ type: "execution-started", at: 0, workflowId: "w" }),
  e({ type: "node-started", at: 0, nodeId: "a", iteration: 1, attempt: 1 }),
  e({
    type: "node-retrying",
    at: 5,
    nodeId: "a",
    iteration: 1,
    attempt: 1,
    maxAttempts: 3,
    delay: 100,
    error: "Boom",
    message: "boom"
  }),
  e({ type: "node-started", at: 105, nodeId: "a", iteration: 1, attempt: 2 }),
  e({ type: "node-succeeded", at: 110, nodeId: "a", iteration: 1, attempt: 2, duration: 5 }),
  e({ type: "node-started", at: 110, nodeId: "b", iteration: 1, attempt: 1 }),
  e({
    type: "node-failed",
    at: 111,
    nodeId: "b",
    iteration: 1,
    attempt: 1,
    status: "failed",
    error: "TypeError",
    message: "x is undefined"
  }),
  e({ type: "execution-finished", at: 111, workflowId: "w", status: "failed", duration: 111 })
]

const capture = (interactive: boolean) => {
  let text = ""
  const progress = Progress.make(workflow, {
    write: (t) => {
      text += t
    },
    interactive,
    color: false
  })
  for (const event of events) progress.onEvent(event)
  progress.close()
  return text
}

describe("live progress", () => {
  it("writes one plain line per start, retry, success and failure when not on a terminal", () => {
    expect(capture(false).split("\n").filter(Boolean)).toEqual([
      "  ▸ a started",
      "  ↻ a attempt 1/3 failed: Boom: boom; retrying in 100 ms",
      "  ✓ a succeeded in 110 ms after 2 attempts",
      "  ▸ b started",
      "  ✗ b failed: TypeError: x is undefined"
    ])
  })

  it("redraws one status line per node in place on a terminal", () => {
    const text = capture(true)
    expect(text).toContain("\x1b[3F\x1b[J")
    const lastFrame = text.split("\x1b[3F\x1b[J").at(-1)!
    expect(lastFrame).toContain("2/2 nodes")
    expect(lastFrame).toMatch(/✓ a\s+succeeded/)
    expect(lastFrame).toMatch(/✗ b\s+failed/)
    expect(lastFrame).not.toContain("\n\n")
  })
})
