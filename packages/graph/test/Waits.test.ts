import { describe, expect, it } from "@effect/vitest"
import { Duration } from "effect"
import { Node, Workflow } from "../src/index.js"
import { expectOnlyIssue, failureOf } from "./helpers.js"

const base = () => Workflow.make("w").task("a")

describe("delay nodes", () => {
  it("builds a fixed delay from any Duration input, stored in milliseconds", () => {
    const wf = base()
      .delay("short", 250)
      .delay("text", "2 minutes")
      .delay("value", Duration.seconds(3), { description: "settle" })
      .delay("none", 0)
      .build()
    expect(wf.nodes.slice(1)).toEqual([
      { kind: "delay", id: "short", duration: 250 },
      { kind: "delay", id: "text", duration: 120_000 },
      { kind: "delay", id: "value", duration: 3_000, description: "settle" },
      { kind: "delay", id: "none", duration: 0 }
    ])
  })

  it("builds a delay until the timestamp held by an input", () => {
    const wf = base().delay("wait", { until: "dueAt" }).connect("a", "due", "wait", "dueAt").build()
    expect(wf.nodes[1]).toEqual({ kind: "delay", id: "wait", until: "dueAt" })
    expect(Workflow.getNode(wf, "wait")).toEqual(Node.delay("wait", { until: "dueAt" }))
  })

  it("allows an 'until' input that no connection feeds (params can provide it at run time)", () => {
    expect(base().delay("wait", { until: "dueAt" }).build().nodes).toHaveLength(2)
  })

  it("InvalidDuration: a duration text that does not parse names the delay node", () => {
    expectOnlyIssue(
      failureOf(base().delay("wait", "soon" as Duration.Input)),
      "InvalidDuration",
      "nodes[1].duration",
      "duration of delay node 'wait'",
      'could not read "soon"'
    )
  })

  it("InvalidDuration: negative, NaN and infinite delays; zero is fine", () => {
    for (const [value, fragment] of [
      [-5, "negative (-5 ms)"],
      [Number.NaN, "is NaN"],
      [Number.POSITIVE_INFINITY, "is infinite; a delay must end"]
    ] as const) {
      expectOnlyIssue(
        failureOf(base().delay("wait", value)),
        "InvalidDuration",
        "nodes[1].duration",
        fragment
      )
    }
    expect(Workflow.issues(base().delay("wait", 0).build())).toEqual([])
  })

  it("InvalidDelay: both or neither of duration and until", () => {
    const wf = base().build()
    const both = {
      ...wf,
      nodes: [...wf.nodes, { kind: "delay", id: "d", duration: 5, until: "at" }]
    }
    const neither = { ...wf, nodes: [...wf.nodes, { kind: "delay", id: "d" }] }
    expect(Workflow.issues(both as Workflow.Workflow)).toEqual([
      {
        code: "InvalidDelay",
        path: "nodes[1]",
        message:
          "delay node 'd' has both 'duration' and 'until'; keep one: a fixed wait, or a wait until the timestamp in an input"
      }
    ])
    expect(
      Workflow.issues(neither as Workflow.Workflow).map((issue) => [issue.code, issue.path])
    ).toEqual([["InvalidDelay", "nodes[1]"]])
    expect(Workflow.issues(neither as Workflow.Workflow)[0]?.message).toContain(
      "has neither 'duration' nor 'until'"
    )
  })

  it("InvalidInputName: 'until' must name a usable input, and never __proto__", () => {
    expectOnlyIssue(
      failureOf(base().delay("wait", { until: "due-at" })),
      "InvalidInputName",
      "nodes[1].until",
      "'until' of delay node 'wait' names the input holding the timestamp",
      "not a JavaScript identifier"
    )
    expectOnlyIssue(
      failureOf(base().delay("wait", { until: "__proto__" })),
      "InvalidInputName",
      "nodes[1].until",
      "'__proto__' is reserved"
    )
  })

  it("UnsupportedOption: timeout, retry, resources and concurrency on a delay, each named", () => {
    const wf = base().build()
    const delay = {
      ...Node.delay("wait", 10),
      timeout: 5,
      retry: { maxAttempts: 2 },
      resources: ["db"],
      concurrency: { key: "k", limit: 1 }
    }
    const found = Workflow.issues({ ...wf, nodes: [...wf.nodes, delay] })
    expect(found.map((issue) => [issue.code, issue.path])).toEqual([
      ["UnsupportedOption", "nodes[1].timeout"],
      ["UnsupportedOption", "nodes[1].retry"],
      ["UnsupportedOption", "nodes[1].resources"],
      ["UnsupportedOption", "nodes[1].concurrency"]
    ])
    expect(found[1]?.message).toBe(
      "delay node 'wait' does not take 'retry': waiting is not retried; remove it"
    )
  })
})

describe("node guards", () => {
  it("tell the four kinds apart", () => {
    const nodes = [
      Node.code("a", "return 1"),
      Node.task("b"),
      Node.delay("c", 5),
      Node.event("d", "go")
    ]
    expect(
      nodes.map((node) => [
        Node.isCode(node),
        Node.isTask(node),
        Node.isDelay(node),
        Node.isEvent(node)
      ])
    ).toEqual([
      [true, false, false, false],
      [false, true, false, false],
      [false, false, true, false],
      [false, false, false, true]
    ])
  })
})

describe("event nodes", () => {
  it("builds an event node with a timeout in milliseconds", () => {
    const wf = base()
      .event("approval", "approved", { timeout: "1 hour", description: "sign-off" })
      .event("paid", "payment.received")
      .build()
    expect(wf.nodes.slice(1)).toEqual([
      {
        kind: "event",
        id: "approval",
        event: "approved",
        timeout: 3_600_000,
        description: "sign-off"
      },
      { kind: "event", id: "paid", event: "payment.received" }
    ])
    expect(Node.event("paid", "payment.received")).toEqual(wf.nodes[2])
  })

  it("InvalidEventName: an empty, padded or __proto__ event name", () => {
    expectOnlyIssue(
      failureOf(base().event("e", "")),
      "InvalidEventName",
      "nodes[1].event",
      "event node 'e' has event name \"\""
    )
    expectOnlyIssue(failureOf(base().event("e", " go ")), "InvalidEventName", "nodes[1].event")
    expectOnlyIssue(
      failureOf(base().event("e", "__proto__")),
      "InvalidEventName",
      "nodes[1].event",
      "reserved"
    )
  })

  it("InvalidDuration / TimeoutConflict: an event timeout is checked like a node timeout", () => {
    expectOnlyIssue(
      failureOf(base().event("e", "go", { timeout: -1 })),
      "InvalidDuration",
      "nodes[1].timeout",
      "timeout of node 'e' is negative"
    )
    expectOnlyIssue(
      failureOf(base().event("e", "go", { timeout: "2 minutes" }).timeout("1 minute")),
      "TimeoutConflict",
      "nodes[1].timeout"
    )
  })

  it("UnsupportedOption: retry, resources and concurrency on an event", () => {
    const wf = base().build()
    const event = {
      ...Node.event("paid", "payment.received"),
      retry: { maxAttempts: 2 },
      resources: ["db"],
      concurrency: { key: "k", limit: 1 }
    }
    const found = Workflow.issues({ ...wf, nodes: [...wf.nodes, event] })
    expect(found.map((issue) => [issue.code, issue.path])).toEqual([
      ["UnsupportedOption", "nodes[1].retry"],
      ["UnsupportedOption", "nodes[1].resources"],
      ["UnsupportedOption", "nodes[1].concurrency"]
    ])
    expect(found[2]?.message).toContain("event node 'paid' does not take 'concurrency'")
  })
})

describe("the concurrency option", () => {
  it("is stored on code and task nodes as { key, limit }", () => {
    const concurrency = { key: "customer:{order.customerId}", limit: 2 }
    const wf = Workflow.make("w")
      .task("charge", { concurrency })
      .code("score", "return 1", { concurrency: { key: "{tenant}", limit: 1 } })
      .build()
    expect(wf.nodes[0]?.concurrency).toEqual(concurrency)
    expect(wf.nodes[0]?.concurrency).not.toBe(concurrency)
    expect(wf.nodes[1]?.concurrency).toEqual({ key: "{tenant}", limit: 1 })
  })

  it("InvalidLimit: a limit below 1 or not a whole number", () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      expectOnlyIssue(
        failureOf(Workflow.make("w").task("a", { concurrency: { key: "k", limit } })),
        "InvalidLimit",
        "nodes[0].concurrency.limit",
        "concurrency limit of node 'a' must be a whole number of at least 1"
      )
    }
  })

  it("InvalidConcurrencyKey: empty, unmatched, nested, empty or malformed placeholders", () => {
    for (const [key, fragment] of [
      ["", "the concurrency key is empty"],
      ["customer:{customerId", "'{' at position 10 that is never closed"],
      ["customer:customerId}", "'}' at position 20 without a matching '{'"],
      ["{a{b}}", "'{' inside a placeholder at position 3"],
      ["customer:{}", "empty placeholder {} at position 10"],
      ["{order..id}", "empty segment"],
      ["{rows[0]}", "uses brackets"],
      ["{a.__proto__}", "'__proto__'"],
      ["{1st}", "must start with an input name"],
      ["{__proto__}", "'__proto__'"]
    ] as const) {
      expectOnlyIssue(
        failureOf(Workflow.make("w").task("a", { concurrency: { key, limit: 1 } })),
        "InvalidConcurrencyKey",
        "nodes[0].concurrency.key",
        "node 'a':",
        fragment
      )
    }
  })

  it("InvalidField: a concurrency option that is not an object", () => {
    const wf = Workflow.make("w").task("a").build()
    const found = Workflow.issues({
      ...wf,
      nodes: [{ ...wf.nodes[0]!, concurrency: 3 as unknown as Node.Concurrency }]
    })
    expect(found.map((issue) => [issue.code, issue.path])).toEqual([
      ["InvalidField", "nodes[0].concurrency"]
    ])
  })
})
