import type { Trace } from "@weft/runtime"
import { describe, expect, it } from "vitest"
import { Assert } from "../src/index.js"

const events = (list: ReadonlyArray<Trace.TraceEvent>) => list

// Hand-built results in the runtime's shape, so every message is deterministic.
const ok: Assert.Result = {
  id: "exec-1",
  workflowId: "etl",
  status: "succeeded",
  outputs: { extract: { rows: [{ id: 7 }], count: 1 }, transform: { total: 7 }, load: true },
  nodes: {
    extract: { status: "succeeded", output: { rows: [{ id: 7 }], count: 1 }, attempts: 1 },
    transform: { status: "succeeded", output: { total: 7 }, attempts: 1 },
    load: { status: "succeeded", output: true, attempts: 1 }
  },
  errors: [],
  trace: events([
    { type: "execution-started", at: 0, executionId: "exec-1", workflowId: "etl" },
    {
      type: "node-started",
      at: 0,
      executionId: "exec-1",
      nodeId: "extract",
      attempt: 1,
      iteration: 1
    },
    {
      type: "node-succeeded",
      at: 100,
      executionId: "exec-1",
      nodeId: "extract",
      attempt: 1,
      iteration: 1,
      duration: 0
    },
    {
      type: "node-started",
      at: 100,
      executionId: "exec-1",
      nodeId: "transform",
      attempt: 1,
      iteration: 1
    },
    {
      type: "node-succeeded",
      at: 100,
      executionId: "exec-1",
      nodeId: "transform",
      attempt: 1,
      iteration: 1,
      duration: 0
    },
    {
      type: "node-started",
      at: 100,
      executionId: "exec-1",
      nodeId: "load",
      attempt: 1,
      iteration: 1
    },
    {
      type: "node-succeeded",
      at: 150,
      executionId: "exec-1",
      nodeId: "load",
      attempt: 1,
      iteration: 1,
      duration: 0
    },
    {
      type: "execution-finished",
      at: 150,
      executionId: "exec-1",
      workflowId: "etl",
      status: "succeeded",
      duration: 150
    }
  ]),
  duration: 150,
  counts: { extract: 1, transform: 1, load: 1 }
}

const connectionError = { _tag: "ConnectionError", message: "connection refused" }
const failed: Assert.Result = {
  id: "exec-2",
  workflowId: "checkout",
  status: "failed",
  outputs: { price: { cents: 9999 } },
  nodes: {
    price: { status: "succeeded", output: { cents: 9999 }, attempts: 1 },
    charge: {
      status: "failed",
      attempts: 3,
      error: {
        _tag: "NodeFailed",
        nodeId: "charge",
        errorTag: "ConnectionError",
        message: "connection refused",
        cause: connectionError
      }
    },
    email: { status: "skipped", attempts: 0 }
  },
  errors: [
    {
      _tag: "NodeFailed",
      nodeId: "charge",
      errorTag: "ConnectionError",
      message: "connection refused",
      cause: connectionError
    }
  ],
  trace: events([
    { type: "execution-started", at: 0, executionId: "exec-2", workflowId: "checkout" },
    {
      type: "node-started",
      at: 0,
      executionId: "exec-2",
      nodeId: "price",
      attempt: 1,
      iteration: 1
    },
    {
      type: "node-succeeded",
      at: 0,
      executionId: "exec-2",
      nodeId: "price",
      attempt: 1,
      iteration: 1,
      duration: 0
    },
    {
      type: "node-started",
      at: 0,
      executionId: "exec-2",
      nodeId: "charge",
      attempt: 1,
      iteration: 1
    },
    {
      type: "node-retrying",
      at: 0,
      executionId: "exec-2",
      nodeId: "charge",
      attempt: 1,
      iteration: 1,
      maxAttempts: 3,
      delay: 200,
      error: "ConnectionError",
      message: "connection refused"
    },
    {
      type: "node-started",
      at: 200,
      executionId: "exec-2",
      nodeId: "charge",
      attempt: 2,
      iteration: 1
    },
    {
      type: "node-retrying",
      at: 200,
      executionId: "exec-2",
      nodeId: "charge",
      attempt: 2,
      iteration: 1,
      maxAttempts: 3,
      delay: 400,
      error: "ConnectionError",
      message: "connection refused"
    },
    {
      type: "node-started",
      at: 600,
      executionId: "exec-2",
      nodeId: "charge",
      attempt: 3,
      iteration: 1
    },
    {
      type: "node-failed",
      at: 600,
      executionId: "exec-2",
      nodeId: "charge",
      attempt: 3,
      iteration: 1,
      status: "failed",
      error: "ConnectionError",
      message: "connection refused"
    },
    {
      type: "node-skipped",
      at: 600,
      executionId: "exec-2",
      nodeId: "email",
      reason: "charge failed"
    },
    {
      type: "execution-finished",
      at: 600,
      executionId: "exec-2",
      workflowId: "checkout",
      status: "failed",
      duration: 600
    }
  ]),
  duration: 600,
  counts: { price: 1, charge: 3, email: 0 }
}

const messageOf = (f: () => unknown): string => {
  try {
    f()
  } catch (error) {
    expect(error).toBeInstanceOf(Assert.AssertionFailed)
    return (error as Error).message
  }
  throw new Error("expected the assertion to fail")
}

describe("Assert.workflowSuccess", () => {
  it("passes for a succeeded run", () => {
    expect(() => Assert.workflowSuccess(ok)).not.toThrow()
  })

  it("fails showing node statuses, the first error with its cause and the failing node's trace", () => {
    expect(messageOf(() => Assert.workflowSuccess(failed))).toMatchInlineSnapshot(`
      "assertWorkflowSuccess: expected success, got failed
      execution exec-2 of checkout: failed after 600ms
      nodes:
        price   succeeded  1 attempt   -> {"cents":9999}
        charge  failed     3 attempts  NodeFailed: connection refused
        email   skipped    0 attempts
      first error: NodeFailed (node charge): connection refused
        cause: {"_tag":"ConnectionError","message":"connection refused"}
      trace (charge):
        [0ms] execution started
        [0ms] charge started (attempt 1)
        [0ms] charge attempt 1/3 failed: ConnectionError: connection refused; retrying in 200ms
        [200ms] charge started (attempt 2)
        [200ms] charge attempt 2/3 failed: ConnectionError: connection refused; retrying in 400ms
        [600ms] charge started (attempt 3)
        [600ms] charge failed: ConnectionError: connection refused
        [600ms] execution failed in 600ms"
    `)
  })
})

describe("Assert.workflowFailure", () => {
  it("matches by node, by the underlying error tag and by message, returning the error", () => {
    expect(Assert.workflowFailure(failed)?._tag).toBe("NodeFailed")
    expect(Assert.workflowFailure(failed, { node: "charge" })?.nodeId).toBe("charge")
    expect(Assert.workflowFailure(failed, { tag: "ConnectionError" })?.nodeId).toBe("charge")
    expect(Assert.workflowFailure(failed, { tag: "NodeFailed", message: /refused/ })).toBeDefined()
    expect(Assert.workflowFailure(failed, { status: "failed" })).toBeDefined()
  })

  it("fails when the workflow succeeded", () => {
    expect(messageOf(() => Assert.workflowFailure(ok, { tag: "Boom" })).split("\n")[0]).toBe(
      "assertWorkflowFailure: expected failure tagged Boom, but the workflow succeeded"
    )
  })

  it("fails when no error matches, listing the errors it saw", () => {
    const message = messageOf(() =>
      Assert.workflowFailure(failed, { node: "charge", tag: "TimeoutError" })
    )
    expect(message.split("\n").slice(0, 3).join("\n")).toMatchInlineSnapshot(`
      "assertWorkflowFailure: expected failure at node charge tagged TimeoutError; the workflow failed with these errors:
        - NodeFailed (node charge): connection refused
            cause: {"_tag":"ConnectionError","message":"connection refused"}"
    `)
  })

  it("fails on the wrong final status", () => {
    expect(
      messageOf(() => Assert.workflowFailure(failed, { status: "timed-out" })).split("\n")[0]
    ).toBe("assertWorkflowFailure: expected timed-out, got failed")
  })
})

describe("Assert.nodeOutput", () => {
  it("compares whole outputs and values at a dotted path", () => {
    Assert.nodeOutput(ok, "transform", { total: 7 })
    Assert.nodeOutput(ok, "extract", 7, "rows.0.id")
    Assert.nodeOutput(ok, "load", true)
  })

  it("fails showing the actual value", () => {
    expect(
      messageOf(() => Assert.nodeOutput(ok, "extract", 8, "rows.0.id"))
    ).toMatchInlineSnapshot(`
      "assertNodeOutput: expected extract output at "rows.0.id" to be 8
        actual:   7
        output:   {"rows":[{"id":7}],"count":1}"
    `)
  })

  it("fails naming the missing path and the keys that exist", () => {
    expect(
      messageOf(() => Assert.nodeOutput(ok, "extract", 1, "rows.0.name"))
    ).toMatchInlineSnapshot(`
      "assertNodeOutput: expected extract output at "rows.0.name" to be 1, but "rows.0.name" does not exist; keys there: id
        output: {"rows":[{"id":7}],"count":1}"
    `)
  })

  it("fails when the node did not succeed, and when it does not exist", () => {
    expect(
      messageOf(() => Assert.nodeOutput(failed, "charge", { id: "ch_1" })).split("\n")[0]
    ).toBe(
      'assertNodeOutput: expected output of charge to be {"id":"ch_1"}, but charge failed and has no output'
    )
    expect(messageOf(() => Assert.nodeOutput(ok, "nope", 1))).toBe(
      'assertNodeOutput: workflow etl has no node "nope"; nodes: extract, transform, load'
    )
  })
})

describe("Assert.nodeStatus / executionCount / retried", () => {
  it("pass on the recorded values", () => {
    Assert.nodeStatus(failed, "email", "skipped")
    Assert.executionCount(failed, "charge", 3)
    Assert.executionCount(failed, "email", 0)
    Assert.retried(failed, "charge", 2)
    Assert.retried(ok, "extract", 0)
  })

  it("fail with what was recorded", () => {
    expect(messageOf(() => Assert.nodeStatus(failed, "charge", "succeeded")).split("\n")[0]).toBe(
      "assertNodeStatus: expected charge to be succeeded, but it failed"
    )
    expect(messageOf(() => Assert.executionCount(failed, "email", 1)).split("\n")[0]).toBe(
      "assertExecutionCount: expected email to run 1 time, it ran 0"
    )
    expect(messageOf(() => Assert.retried(failed, "charge", 1)).split("\n")[0]).toBe(
      "assertRetried: expected charge to be retried 1 time, it was retried 2 (3 attempts)"
    )
  })
})

describe("Assert.order", () => {
  it("passes when each node finished before the next started", () => {
    Assert.order(ok, "extract", "transform", "load")
  })

  it("fails showing both nodes' trace lines", () => {
    expect(messageOf(() => Assert.order(ok, "load", "extract"))).toMatchInlineSnapshot(`
      "assertOrder: expected load → extract, but extract started before load finished
      trace (load, extract):
        [0ms] extract started (attempt 1)
        [100ms] extract succeeded (attempt 1)
        [100ms] load started (attempt 1)
        [150ms] load succeeded (attempt 1)"
    `)
    expect(messageOf(() => Assert.order(failed, "charge", "email")).split("\n")[0]).toBe(
      "assertOrder: expected charge → email, but email never started"
    )
  })
})

describe("Assert.maxConcurrency", () => {
  const parallel: Assert.Result = {
    ...ok,
    trace: events([
      { type: "node-started", at: 0, executionId: "e", nodeId: "a", attempt: 1, iteration: 1 },
      { type: "node-started", at: 0, executionId: "e", nodeId: "b", attempt: 1, iteration: 1 },
      {
        type: "node-succeeded",
        at: 10,
        executionId: "e",
        nodeId: "a",
        attempt: 1,
        iteration: 1,
        duration: 10
      },
      { type: "node-started", at: 10, executionId: "e", nodeId: "c", attempt: 1, iteration: 1 },
      {
        type: "node-succeeded",
        at: 20,
        executionId: "e",
        nodeId: "b",
        attempt: 1,
        iteration: 1,
        duration: 20
      },
      {
        type: "node-succeeded",
        at: 20,
        executionId: "e",
        nodeId: "c",
        attempt: 1,
        iteration: 1,
        duration: 10
      }
    ])
  }

  it("measures the peak number of running nodes, per result or across results", () => {
    expect(Assert.peakConcurrency(parallel)).toBe(2)
    expect(Assert.peakConcurrency(ok)).toBe(1)
    expect(Assert.peakConcurrency([parallel, { ...parallel, id: "other" }])).toBe(4)
    Assert.maxConcurrency(parallel, 2)
  })

  it("does not count a hand-over at the same instant between executions as overlap", () => {
    // Two executions limited to one node at a time: the first ends at t=1000 as the second starts.
    const single = (id: string, start: number): Assert.Result => ({
      ...ok,
      id,
      trace: events([
        { type: "node-started", at: start, executionId: id, nodeId: "w", attempt: 1, iteration: 1 },
        {
          type: "node-succeeded",
          at: start + 1000,
          executionId: id,
          nodeId: "w",
          attempt: 1,
          iteration: 1,
          duration: 1000
        }
      ])
    })
    const first = single("first", 0)
    const second = single("second", 1000)
    expect(Assert.peakConcurrency([first, second])).toBe(1)
    expect(Assert.peakConcurrency([second, first])).toBe(1)
    Assert.maxConcurrency([second, first], 1)
    expect(Assert.peakConcurrency([first, single("overlapping", 999)])).toBe(2)
  })

  it("does not count a node while it is suspended in a wait (node-waiting … node-resumed)", () => {
    // a waits for b's result: it starts, suspends, b runs, then a resumes and finishes.
    const node = (nodeId: string) => ({ executionId: "exec-w", nodeId, attempt: 1, iteration: 1 })
    const result = (trace: ReadonlyArray<Trace.TraceEvent>): Assert.Result => ({
      ...ok,
      id: "exec-w",
      trace
    })
    const started = (nodeId: string, at: number): Trace.TraceEvent => ({
      type: "node-started",
      at,
      ...node(nodeId)
    })
    const succeeded = (nodeId: string, at: number): Trace.TraceEvent => ({
      type: "node-succeeded",
      at,
      ...node(nodeId),
      duration: at
    })
    const waiting: Trace.TraceEvent = {
      type: "node-waiting",
      at: 0,
      ...node("a"),
      waitingFor: "the result of node b"
    }
    const resumed = (at: number): Trace.TraceEvent => ({
      type: "node-resumed",
      at,
      ...node("a"),
      waited: at
    })
    // a was suspended the whole time b executed: one node executing at a time
    const handOver = result([
      started("a", 0),
      waiting,
      started("b", 0),
      succeeded("b", 50),
      resumed(50),
      succeeded("a", 60)
    ])
    expect(Assert.peakConcurrency(handOver)).toBe(1)
    Assert.maxConcurrency(handOver, 1)
    // a resumed (took its permit back) while b still executed: two at once
    const overlap = result([
      started("a", 0),
      waiting,
      started("b", 0),
      resumed(40),
      succeeded("b", 50),
      succeeded("a", 60)
    ])
    expect(Assert.peakConcurrency(overlap)).toBe(2)
    expect(messageOf(() => Assert.maxConcurrency(overlap, 1))).toContain(
      "[40ms] a resumed after 40ms"
    )
  })

  it("fails when the limit was exceeded", () => {
    expect(messageOf(() => Assert.maxConcurrency(parallel, 1)).split("\n")[0]).toBe(
      "assertMaxConcurrency: expected at most 1 nodes executing at once (waits excluded), saw 2"
    )
  })
})

describe("Assert helpers", () => {
  it("jsonEquals ignores key order and undefined keys", () => {
    expect(Assert.jsonEquals({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true)
    expect(Assert.jsonEquals({ a: 1, x: undefined }, { a: 1 })).toBe(true)
    expect(Assert.jsonEquals([1, 2], [2, 1])).toBe(false)
    expect(Assert.jsonEquals({ a: 1 }, [1])).toBe(false)
  })

  it("readPath reports what is missing", () => {
    expect(Assert.readPath({ a: { b: 1 } }, "a.b")).toEqual({ found: true, value: 1 })
    expect(Assert.readPath({ a: { b: 1 } }, "a.c")).toEqual({
      found: false,
      missing: "a.c",
      available: ["b"]
    })
  })
})
