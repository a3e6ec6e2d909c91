import { assert, describe, it } from "@effect/vitest"
import { Context, Metric } from "effect"
import { Metrics, type Trace } from "../src/index.js"

const at = (ms: number) => 1_796_401_238_000 + ms
const base = { executionId: "e1" }
const trace: ReadonlyArray<Trace.TraceEvent> = [
  { ...base, type: "execution-started", at: at(0), workflowId: "etl" },
  {
    ...base,
    type: "node-started",
    at: at(30),
    nodeId: "load",
    iteration: 1,
    attempt: 1,
    queuedMillis: 30
  },
  // attempt 1 times out after 100 ms and is retried, attempt 2 fails for good after 20 ms
  {
    ...base,
    type: "node-retrying",
    at: at(130),
    nodeId: "load",
    iteration: 1,
    attempt: 1,
    maxAttempts: 2,
    delay: 50,
    error: "NodeTimedOut",
    message: "timed out"
  },
  { ...base, type: "node-started", at: at(180), nodeId: "load", iteration: 1, attempt: 2 },
  {
    ...base,
    type: "node-failed",
    at: at(200),
    nodeId: "load",
    iteration: 1,
    attempt: 2,
    status: "timed-out",
    error: "RetriesExhausted",
    message: "node load failed after 2 attempts"
  },
  { ...base, type: "node-started", at: at(0), nodeId: "notify", iteration: 1, attempt: 1 },
  {
    ...base,
    type: "node-cancelled",
    at: at(200),
    nodeId: "notify",
    status: "cancelled",
    reason: "fail-fast"
  },
  {
    ...base,
    type: "execution-finished",
    at: at(200),
    workflowId: "etl",
    status: "timed-out",
    duration: 200
  }
]

const labelled = <I, S>(metric: Metric.Metric<I, S>, labels: Record<string, string>) =>
  Metric.withAttributes(metric, labels)

describe("Metrics.observer", () => {
  it("turns a trace into counters, gauges and histograms with the documented labels", () => {
    const registry = new Map()
    const context = Context.make(Metric.MetricRegistry, registry)
    const observe = Metrics.observer(context)
    const value = <I, S>(metric: Metric.Metric<I, S>, labels: Record<string, string>) =>
      labelled(metric, labels).valueUnsafe(context)
    const etl = { "weft.workflow.id": "etl" }
    // while load's first attempt runs: one execution, one attempt active
    for (const event of trace.slice(0, 2)) observe(event)
    assert.strictEqual(value(Metrics.executionsActive, etl).count, 1)
    assert.strictEqual(value(Metrics.attemptsActive, etl).count, 1)
    for (const event of trace.slice(2)) observe(event)
    assert.strictEqual(value(Metrics.executionsActive, etl).count, 0)
    assert.strictEqual(value(Metrics.attemptsActive, etl).count, 0)
    const load = { ...etl, "weft.node.id": "load" }
    assert.strictEqual(value(Metrics.executionsStarted, etl).count, 1)
    assert.strictEqual(
      value(Metrics.executionsFinished, { ...etl, "weft.status": "timed-out" }).count,
      1
    )
    assert.strictEqual(
      value(Metrics.nodeRetries, { ...load, "weft.error.tag": "NodeTimedOut" }).count,
      1
    )
    // the retried timeout and the final one
    assert.strictEqual(value(Metrics.nodeTimeouts, load).count, 2)
    const timedOut = value(Metrics.nodeDuration, { ...load, "weft.status": "timed-out" })
    assert.deepStrictEqual([timedOut.count, timedOut.sum], [2, 120])
    const cancelled = value(Metrics.nodeDuration, {
      ...etl,
      "weft.node.id": "notify",
      "weft.status": "cancelled"
    })
    assert.deepStrictEqual([cancelled.count, cancelled.sum], [1, 200])
    const queued = value(Metrics.nodeQueueDuration, load)
    assert.deepStrictEqual([queued.count, queued.sum], [1, 30])
  })

  it("records nothing into another registry", () => {
    const mine = Context.make(Metric.MetricRegistry, new Map())
    const other = Context.make(Metric.MetricRegistry, new Map())
    const observe = Metrics.observer(mine)
    for (const event of trace) observe(event)
    assert.strictEqual(
      labelled(Metrics.executionsStarted, { "weft.workflow.id": "etl" }).valueUnsafe(other).count,
      0
    )
  })
})
