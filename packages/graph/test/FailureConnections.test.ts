import { describe, expect, it } from "@effect/vitest"
import { Connection, Loop, Node, Workflow } from "../src/index.js"
import { expectOnlyIssue, failureOf } from "./helpers.js"

// charge; on failure → refund; primary or fallback → receipt (first that delivers wins)
const fallback = Workflow.make("fallback")
  .task("charge", { timeout: 1_000 })
  .task("refund", { timeout: 300 })
  .task("receipt", { timeout: 100 })
  .onFailure("charge", "message", "refund", "reason")
  .connect("charge", "", "receipt", "payment")
  .connect("refund", "", "receipt", "payment")
  .build()

describe("failure connections", () => {
  it('onFailure stores a connection with on: "failure"; connect leaves on absent', () => {
    expect(fallback.connections).toEqual([
      Connection.failure("charge", "message", "refund", "reason"),
      Connection.make("charge", "", "receipt", "payment"),
      Connection.make("refund", "", "receipt", "payment")
    ])
    expect(fallback.connections.map(Connection.isFailure)).toEqual([true, false, false])
    expect(Connection.format(fallback.connections[0]!)).toBe(
      "charge (on failure).message → refund.reason"
    )
  })

  it("count as dependencies for order, levels, neighbours and descendants", () => {
    expect(Workflow.topologicalOrder(fallback)).toEqual(["charge", "refund", "receipt"])
    expect(Workflow.levels(fallback)).toEqual([["charge"], ["refund"], ["receipt"]])
    expect(Workflow.successors(fallback, "charge")).toEqual(["refund", "receipt"])
    expect(Workflow.predecessors(fallback, "refund")).toEqual(["charge"])
    expect(Workflow.descendants(fallback, "charge")).toEqual(["refund", "receipt"])
    expect(Workflow.roots(fallback)).toEqual(["charge"])
  })

  it("the critical path may run through a failure connection (fail, then the fallback)", () => {
    expect(Workflow.criticalPath(fallback)).toEqual({
      nodes: ["charge", "refund", "receipt"],
      duration: 1_400,
      untimed: []
    })
  })

  it("Cycle: a cycle closed by a failure connection is still a cycle", () => {
    const error = failureOf(
      Workflow.make("w")
        .task("a")
        .task("b")
        .connect("a", "", "b", "x")
        .onFailure("b", "", "a", "error")
    )
    expectOnlyIssue(error, "Cycle", "connections[1]", "a → b → a")
    expect(Workflow.findCycle(cyclic())).toEqual(["a", "b", "a"])
  })

  it("SelfConnection: a node cannot route its own failure to itself", () => {
    expectOnlyIssue(
      failureOf(Workflow.make("w").task("a").onFailure("a", "", "a", "error")),
      "SelfConnection",
      "connections[0]"
    )
  })

  it("InvalidConnection: a failure connection from a fixed delay, which cannot fail", () => {
    expectOnlyIssue(
      failureOf(Workflow.make("w").delay("wait", 100).task("b").onFailure("wait", "", "b", "e")),
      "InvalidConnection",
      "connections[0].on",
      "delay node 'wait', which waits a fixed duration and cannot fail"
    )
    // a delay until an input can fail (the input may be missing or not a number)
    expect(
      Workflow.issues(
        Workflow.make("w")
          .delay("due", { until: "at" })
          .task("b")
          .onFailure("due", "", "b", "e")
          .build()
      )
    ).toEqual([])
  })

  it("Node.canFail: everything but a fixed delay", () => {
    expect(
      [
        Node.code("a", "return 1"),
        Node.task("b"),
        Node.delay("c", 10),
        Node.delay("d", { until: "at" }),
        Node.event("e", "go")
      ].map(Node.canFail)
    ).toEqual([true, true, false, true, true])
  })

  it("event nodes can fail (EventTimedOut), so their failures can be routed", () => {
    const wf = Workflow.make("w")
      .event("approval", "approved", { timeout: "1 hour" })
      .task("escalate")
      .onFailure("approval", "_tag", "escalate", "reason")
      .build()
    expect(Workflow.successors(wf, "approval")).toEqual(["escalate"])
  })

  it("InvalidConnection: a failure connection cannot be loop feedback", () => {
    const error = failureOf(
      Workflow.make("w")
        .task("draft")
        .task("review")
        .connect("draft", "", "review", "text")
        .onFailure("review", "", "draft", "error")
        .loop("edit", ["draft", "review"], { maxIterations: 3, until: Loop.condition("true") })
    )
    expectOnlyIssue(
      error,
      "InvalidConnection",
      "connections[1].on",
      "failure connection from 'review' back to 'draft' inside a loop"
    )
  })

  it("InvalidField: an 'on' that is neither success nor failure", () => {
    const wf = fallback
    const bad = { ...wf.connections[1]!, on: "always" } as unknown as Connection.Connection
    const found = Workflow.issues({
      ...wf,
      connections: [wf.connections[0]!, bad, wf.connections[2]!]
    })
    expect(found).toEqual([
      {
        code: "InvalidField",
        path: "connections[1].on",
        message: 'on must be "success" or "failure" (or omitted for success), got "always"'
      }
    ])
  })

  it("InvalidPath: a failure connection's path into the error is checked like any path", () => {
    expectOnlyIssue(
      failureOf(Workflow.make("w").task("a").task("b").onFailure("a", "cause..message", "b", "e")),
      "InvalidPath",
      "connections[0].output"
    )
  })
})

const cyclic = (): Workflow.Workflow => {
  const wf = Workflow.make("w").task("a").task("b").connect("a", "", "b", "x").build()
  return { ...wf, connections: [...wf.connections, Connection.failure("b", "", "a", "error")] }
}
