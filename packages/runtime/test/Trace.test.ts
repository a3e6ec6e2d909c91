import { assert, describe, it } from "@effect/vitest"
import { Trace } from "../src/index.js"

// a real Clock's milliseconds, as outside TestClock
const t0 = 1_796_401_238_335
const trace: ReadonlyArray<Trace.TraceEvent> = [
  { type: "execution-started", at: t0, executionId: "e1", workflowId: "checkout" },
  { type: "node-started", at: t0, executionId: "e1", nodeId: "charge", iteration: 1, attempt: 1 },
  {
    type: "node-succeeded",
    at: t0 + 250,
    executionId: "e1",
    nodeId: "charge",
    iteration: 1,
    attempt: 1,
    duration: 250
  },
  {
    type: "execution-finished",
    at: t0 + 250,
    executionId: "e1",
    workflowId: "checkout",
    status: "succeeded",
    duration: 250
  }
]

describe("Trace formatting", () => {
  it("prints a whole trace with times relative to the execution's start, not Clock time", () => {
    assert.deepStrictEqual(Trace.lines(trace), [
      "[0ms] execution e1 of checkout started",
      "[0ms] node charge started (attempt 1)",
      "[250ms] node charge succeeded in 250ms",
      "[250ms] execution e1 succeeded in 250ms"
    ])
  })

  it("format takes the start explicitly, and without one prints no time at all", () => {
    const succeeded = trace[2]!
    assert.strictEqual(
      Trace.format(succeeded, { startedAt: t0 }),
      "[250ms] node charge succeeded in 250ms"
    )
    assert.strictEqual(Trace.format(succeeded), "node charge succeeded in 250ms")
  })

  it("a formatter keeps each interleaved execution on its own clock", () => {
    const line = Trace.formatter()
    const other = (event: Trace.TraceEvent): Trace.TraceEvent => ({
      ...event,
      executionId: "e2",
      at: event.at + 1000
    })
    const out = [trace[0]!, other(trace[0]!), trace[2]!, other(trace[2]!)].map(line)
    assert.deepStrictEqual(out, [
      "[0ms] execution e1 of checkout started",
      "[0ms] execution e2 of checkout started",
      "[250ms] node charge succeeded in 250ms",
      "[250ms] node charge succeeded in 250ms"
    ])
  })
})
