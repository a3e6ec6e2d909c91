import { describe, expect, it } from "@effect/vitest"
import { Analysis, Loop, Workflow } from "../src/index.js"

// a → b → d, a → c → d, e alone
const diamond = Workflow.make("diamond")
  .task("a", { timeout: 100 })
  .task("b", { timeout: 1000 })
  .task("c", { timeout: 300 })
  .task("d")
  .task("e", { timeout: 50 })
  .connect("a", "", "b", "x")
  .connect("a", "", "c", "x")
  .connect("b", "", "d", "left")
  .connect("c", "", "d", "right")
  .connect("a", "extra", "b", "y")
  .build()

// draft ⇄ review inside a loop, then publish
const refine = Workflow.make("refine")
  .task("start")
  .code("draft", "return text")
  .code("review", "return { ok: true }")
  .task("publish")
  .connect("start", "", "draft", "topic")
  .connect("draft", "", "review", "text")
  .connect("review", "notes", "draft", "notes")
  .connect("review", "", "publish", "final")
  .loop("edit", ["draft", "review"], {
    maxIterations: 3,
    until: Loop.condition("outputs.review.ok")
  })
  .nodeTimeout(1000)
  .build()

describe("Analysis", () => {
  it("orders nodes after their dependencies", () => {
    expect(Workflow.topologicalOrder(diamond)).toEqual(["a", "b", "c", "d", "e"])
  })

  it("groups nodes into dependency levels", () => {
    expect(Workflow.levels(diamond)).toEqual([["a", "e"], ["b", "c"], ["d"]])
  })

  it("lists direct neighbours once each", () => {
    expect(Workflow.predecessors(diamond, "d")).toEqual(["b", "c"])
    expect(Workflow.successors(diamond, "a")).toEqual(["b", "c"])
    expect(Workflow.predecessors(diamond, "nope")).toEqual([])
  })

  it("lists every descendant (what to skip when a node fails) and ancestor", () => {
    expect(Workflow.descendants(diamond, "b")).toEqual(["d"])
    expect(Workflow.descendants(diamond, "a")).toEqual(["b", "c", "d"])
    expect(Workflow.ancestors(diamond, "d")).toEqual(["a", "b", "c"])
  })

  it("finds roots and leaves", () => {
    expect(Workflow.roots(diamond)).toEqual(["a", "e"])
    expect(Workflow.leaves(diamond)).toEqual(["d", "e"])
  })

  it("finds the critical path by declared timeouts and names untimed nodes", () => {
    expect(Workflow.criticalPath(diamond)).toEqual({
      nodes: ["a", "b", "d"],
      duration: 1100,
      untimed: ["d"]
    })
  })

  it("counts a loop node's timeout once per allowed iteration", () => {
    expect(Workflow.criticalPath(refine)).toEqual({
      nodes: ["start", "draft", "review", "publish"],
      duration: 1000 + 3000 + 3000 + 1000,
      untimed: []
    })
  })

  it("ignores feedback connections for order and neighbours", () => {
    expect(Workflow.topologicalOrder(refine)).toEqual(["start", "draft", "review", "publish"])
    expect(Workflow.predecessors(refine, "draft")).toEqual(["start"])
    expect(Workflow.isFeedback(refine, 2)).toBe(true)
    expect(Workflow.isFeedback(refine, 1)).toBe(false)
    expect(Workflow.loopOf(refine, "review")?.id).toBe("edit")
    expect(Workflow.loopOf(refine, "publish")).toBeUndefined()
    expect(Workflow.incoming(refine, "draft").map(([index]) => index)).toEqual([0, 2])
    expect(Workflow.outgoing(refine, "review").map(([index]) => index)).toEqual([2, 3])
  })

  it("finds cycles in unvalidated values, and none in valid workflows", () => {
    const cyclic: Workflow.Workflow = {
      ...diamond,
      connections: [...diamond.connections, { from: "d", output: "", to: "a", input: "back" }]
    }
    expect(Workflow.findCycle(cyclic)).toEqual(["a", "b", "d", "a"])
    expect(Workflow.findCycle(diamond)).toBeUndefined()
    const selfLoop: Workflow.Workflow = {
      ...diamond,
      connections: [{ from: "e", output: "", to: "e", input: "x" }]
    }
    expect(Workflow.findCycle(selfLoop)).toEqual(["e", "e"])
  })

  it("gets nodes by id", () => {
    expect(Workflow.getNode(refine, "draft")).toEqual({
      kind: "code",
      id: "draft",
      source: "return text"
    })
    expect(Workflow.getNode(refine, "missing")).toBeUndefined()
  })

  it("renders Mermaid with loops as subgraphs and feedback dashed", () => {
    expect(Workflow.toMermaid(refine)).toBe(
      [
        "flowchart TD",
        '  n0[["start"]]',
        '  n3[["publish"]]',
        '  subgraph loop0["loop edit (max 3)"]',
        '    n1["draft"]',
        '    n2["review"]',
        "  end",
        '  n0 -->|"→ topic"| n1',
        '  n1 -->|"→ text"| n2',
        '  n2 -.->|"notes → notes"| n1',
        '  n2 -->|"→ final"| n3'
      ].join("\n")
    )
  })

  it("renders delay nodes as hexagons, events as flags and failure connections dashed, red and labelled", () => {
    const wf = Workflow.make("order")
      .task("place")
      .delay("cooldown", "1 second")
      .delay("due", { until: "dueAt" })
      .event("paid", "payment.received", { timeout: "1 hour" })
      .task("remind")
      .connect("place", "", "cooldown", "order")
      .connect("cooldown", "order", "due", "dueAt")
      .connect("due", "", "paid", "order")
      .onFailure("paid", "_tag", "remind", "reason")
      .onFailure("place", "", "remind", "error")
      .build()
    expect(Workflow.toMermaid(wf)).toBe(
      [
        "flowchart TD",
        '  n0[["place"]]',
        '  n1{{"cooldown (wait 1000 ms)"}}',
        '  n2{{"due (wait until dueAt)"}}',
        '  n3>"paid (event payment.received)"]',
        '  n4[["remind"]]',
        '  n0 -->|"→ order"| n1',
        '  n1 -->|"order → dueAt"| n2',
        '  n2 -->|"→ order"| n3',
        '  n3 -.->|"on failure: _tag → reason"| n4',
        '  n0 -.->|"on failure: → error"| n4',
        "  linkStyle 3,4 stroke:#d9534f,color:#d9534f"
      ].join("\n")
    )
  })

  it("weighs a delay by its duration and an event by its own timeout on the critical path", () => {
    const wf = Workflow.make("w")
      .task("a")
      .delay("wait", "2 seconds")
      .event("reply", "replied", { timeout: 500 })
      .event("forever", "never")
      .delay("due", { until: "at" })
      .connect("a", "", "wait", "x")
      .connect("wait", "", "reply", "x")
      .connect("reply", "", "forever", "x")
      .connect("forever", "", "due", "at")
      .nodeTimeout(100)
      .build()
    expect(Workflow.criticalPath(wf)).toEqual({
      nodes: ["a", "wait", "reply", "forever", "due"],
      duration: 100 + 2_000 + 500,
      untimed: ["forever", "due"]
    })
  })

  it("is the same API under Analysis and Workflow", () => {
    expect(Analysis.topologicalOrder).toBe(Workflow.topologicalOrder)
    expect(Analysis.toMermaid(diamond)).toBe(Workflow.toMermaid(diamond))
  })

  it("handles a 10,000-node chain and a cycle through it without stack overflow", () => {
    const size = 10_000
    const nodes = Array.from({ length: size }, (_, i) => ({
      kind: "task" as const,
      id: `n${i}`,
      function: "f"
    }))
    const connections = Array.from({ length: size - 1 }, (_, i) => ({
      from: `n${i}`,
      output: "",
      to: `n${i + 1}`,
      input: "x"
    }))
    const chain: Workflow.Workflow = { ...diamond, nodes, connections, loops: [] }
    expect(Workflow.levels(chain)).toHaveLength(size)
    expect(Workflow.descendants(chain, "n0")).toHaveLength(size - 1)
    expect(Workflow.criticalPath(chain).nodes).toHaveLength(size)
    const ring = {
      ...chain,
      connections: [...connections, { from: `n${size - 1}`, output: "", to: "n0", input: "y" }]
    }
    expect(Workflow.findCycle(ring)).toHaveLength(size + 1)
    expect(Workflow.issues(ring).map((issue) => issue.code)).toEqual(["Cycle"])
  })
})
