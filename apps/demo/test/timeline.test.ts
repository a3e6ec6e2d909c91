import { describe, expect, it } from "vitest"
import type { ExecutionResult, Trace } from "@weft/runtime"
import * as Timeline from "../src/timeline.js"

const e = (event: Record<string, unknown>) => ({ executionId: "x", ...event }) as Trace.TraceEvent

const trace: ReadonlyArray<Trace.TraceEvent> = [
  e({ type: "execution-started", at: 0, workflowId: "checkout" }),
  e({ type: "node-started", at: 0, nodeId: "charge", iteration: 1, attempt: 1 }),
  e({
    type: "node-retrying",
    at: 10,
    nodeId: "charge",
    iteration: 1,
    attempt: 1,
    maxAttempts: 3,
    delay: 200,
    error: "PaymentsUnavailable",
    message: "503"
  }),
  e({ type: "node-started", at: 210, nodeId: "charge", iteration: 1, attempt: 2 }),
  e({ type: "node-succeeded", at: 230, nodeId: "charge", iteration: 1, attempt: 2, duration: 20 }),
  e({ type: "node-started", at: 230, nodeId: "mail", iteration: 1, attempt: 1 }),
  e({
    type: "node-failed",
    at: 250,
    nodeId: "mail",
    iteration: 1,
    attempt: 1,
    status: "failed",
    error: "MailRejected",
    message: "422 <bad>"
  }),
  e({
    type: "execution-finished",
    at: 250,
    workflowId: "checkout",
    status: "failed",
    duration: 250
  })
]

const result = {
  id: "x",
  workflowId: "checkout",
  status: "failed",
  outputs: {},
  nodes: {
    charge: { nodeId: "charge", status: "succeeded", attempts: 2, iterations: 1 },
    mail: { nodeId: "mail", status: "failed", attempts: 1, iterations: 1 }
  },
  errors: [],
  trace,
  startedAt: 0,
  finishedAt: 250,
  duration: 250,
  counts: { charge: 2, mail: 1 }
} as unknown as ExecutionResult.ExecutionResult

describe("HTML timeline", () => {
  it("draws each attempt as a bar, the failed attempt retried and followed by its backoff", () => {
    const charge = Timeline.segments(trace).get("charge")!
    expect(charge.map((s) => [s.kind, s.start, s.end])).toEqual([
      ["retried", 0, 10],
      ["wait", 10, 210],
      ["ok", 210, 230]
    ])
  })

  it("marks a failure and escapes the messages it shows", () => {
    const html = Timeline.render([{ title: "Checkout", result }])
    expect(html).toContain('class="bar failed"')
    expect(html).toContain("↻")
    expect(html).toContain("422 &lt;bad&gt;")
    expect(html).not.toContain("422 <bad>")
  })

  it("is self-contained: no scripts, no external stylesheets or fonts", () => {
    const html = Timeline.render([{ title: "Checkout", result }])
    expect(html).not.toMatch(/<script|<link|https?:\/\//)
  })
})
