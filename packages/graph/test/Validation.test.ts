import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Loop, Workflow } from "../src/index.js"
import { expectOnlyIssue, failureOf, jsonFailureOf } from "./helpers.js"

const base = () => Workflow.make("w").task("a").task("b")

describe("validation reports each problem with its code, location and an actionable message", () => {
  it("InvalidId: an empty node id", () => {
    expectOnlyIssue(
      failureOf(Workflow.make("w").code("", "return 1")),
      "InvalidId",
      "nodes[0].id",
      "node id is empty"
    )
  })

  it("InvalidId: a malformed node id, with a suggested fix", () => {
    expectOnlyIssue(
      failureOf(Workflow.make("w").code("fetch user", "return 1")),
      "InvalidId",
      "nodes[0].id",
      "'fetch user' is malformed",
      "for example 'fetch-user'"
    )
  })

  it("InvalidId: a malformed workflow id", () => {
    expectOnlyIssue(
      failureOf(Workflow.make("my flow!").task("a")),
      "InvalidId",
      "id",
      "workflow id 'my flow!'"
    )
  })

  it("DuplicateId: two nodes with one id name the first declaration", () => {
    expectOnlyIssue(
      failureOf(base().code("a", "return 2")),
      "DuplicateId",
      "nodes[2].id",
      "node id 'a' is already used by nodes[0]"
    )
  })

  it("DuplicateId: two loops with one id", () => {
    const until = Loop.condition("iteration > 2")
    expectOnlyIssue(
      failureOf(
        base()
          .loop("l", ["a"], { maxIterations: 3, until })
          .loop("l", ["b"], { maxIterations: 3, until })
      ),
      "DuplicateId",
      "loops[1].id",
      "loop id 'l' is already used by loops[0]"
    )
  })

  it("UnknownNode: a connection from an unknown node suggests the closest id", () => {
    expectOnlyIssue(
      failureOf(
        Workflow.make("w").task("price").task("charge").connect("prize", "", "charge", "x")
      ),
      "UnknownNode",
      "connections[0].from",
      "unknown node 'prize'",
      "Did you mean 'price'?",
      "Known nodes: price, charge"
    )
  })

  it("UnknownNode: a connection to an unknown node", () => {
    expectOnlyIssue(
      failureOf(base().connect("a", "", "c", "x")),
      "UnknownNode",
      "connections[0].to",
      "'c'"
    )
  })

  it("UnknownNode: a loop listing an unknown node", () => {
    expectOnlyIssue(
      failureOf(
        base().loop("l", ["a", "zzz"], { maxIterations: 2, until: Loop.condition("true") })
      ),
      "UnknownNode",
      "loops[0].nodes[1]",
      "loop 'l' lists unknown node 'zzz'"
    )
  })

  it("SelfConnection: a node feeding itself outside a loop", () => {
    expectOnlyIssue(
      failureOf(base().connect("a", "", "a", "x")),
      "SelfConnection",
      "connections[0]",
      "from 'a' to itself outside any loop",
      "put 'a' in a loop"
    )
  })

  it("a self-connection inside a loop is feedback, not an error", () => {
    const wf = base()
      .connect("a", "next", "a", "previous")
      .loop("l", ["a"], { maxIterations: 3, until: Loop.condition("iteration >= 3") })
      .build()
    expect(Workflow.isFeedback(wf, 0)).toBe(true)
  })

  it("Cycle: a cycle outside loops is reported as a path a → b → c → a", () => {
    const error = failureOf(
      Workflow.make("w")
        .task("a")
        .task("b")
        .task("c")
        .connect("a", "", "b", "x")
        .connect("b", "", "c", "x")
        .connect("c", "", "a", "x")
    )
    expectOnlyIssue(
      error,
      "Cycle",
      "connections[2]",
      "a → b → c → a",
      "declare the nodes as a loop"
    )
  })

  it("Cycle: every independent cycle is reported", () => {
    const error = failureOf(
      Workflow.make("w")
        .task("a")
        .task("b")
        .task("c")
        .task("d")
        .connect("a", "", "b", "x")
        .connect("b", "", "a", "x")
        .connect("c", "", "d", "x")
        .connect("d", "", "c", "x")
    )
    expect(error.issues.map((issue) => issue.message.split(": ")[1]?.split(";")[0])).toEqual([
      "a → b → a",
      "c → d → c"
    ])
  })

  it("LoopReentry: a path that leaves a loop and comes back into it", () => {
    const error = failureOf(
      Workflow.make("w")
        .task("a")
        .task("outside")
        .task("b")
        .connect("a", "", "outside", "x")
        .connect("outside", "", "b", "x")
        .loop("l", ["a", "b"], { maxIterations: 2, until: Loop.condition("true") })
    )
    expectOnlyIssue(
      error,
      "LoopReentry",
      "loops[0]",
      "leave loop 'l' and come back",
      "a → outside, outside → b"
    )
  })

  it("InvalidPath: an empty segment in an output path", () => {
    expectOnlyIssue(
      failureOf(base().connect("a", "result..data", "b", "x")),
      "InvalidPath",
      "connections[0].output",
      "did you mean 'result.data'?"
    )
  })

  it("InvalidPath: brackets instead of index segments", () => {
    expectOnlyIssue(
      failureOf(base().connect("a", "rows[0].id", "b", "x")),
      "InvalidPath",
      "connections[0].output",
      "'rows.0.id'"
    )
  })

  it("several connections may feed one input (the first that delivers wins)", () => {
    const wf = base().task("c").connect("a", "", "c", "x").connect("b", "", "c", "x").build()
    expect(Workflow.incoming(wf, "c").map(([, connection]) => connection.from)).toEqual(["a", "b"])
  })

  it("DuplicateInput: the very same connection listed twice", () => {
    const error = failureOf(base().task("c").connect("a", "", "c", "x").connect("a", "", "c", "x"))
    expectOnlyIssue(
      error,
      "DuplicateInput",
      "connections[1]",
      "connections[1] repeats connections[0] (a → c.x); remove one of them"
    )
  })

  it("DuplicateInput: a success and a failure connection between the same ends are different", () => {
    const wf = base().task("c").connect("a", "", "c", "x").onFailure("a", "", "c", "x").build()
    expect(wf.connections.map((connection) => connection.on)).toEqual([undefined, "failure"])
  })

  it("several connections between the same pair of nodes are all kept", () => {
    const wf = base().connect("a", "x", "b", "x").connect("a", "y", "b", "y").build()
    expect(wf.connections).toHaveLength(2)
  })

  it("InvalidInputName: an input that is not a JavaScript identifier", () => {
    expectOnlyIssue(
      failureOf(base().connect("a", "", "b", "total-cents")),
      "InvalidInputName",
      "connections[0].input",
      "not a JavaScript identifier",
      "for example 'totalCents'"
    )
  })

  it("__proto__ is rejected as a node id, an input name and a path segment", () => {
    const error = failureOf(
      Workflow.make("w")
        .task("__proto__")
        .task("a")
        .task("b")
        .connect("a", "", "b", "__proto__")
        .connect("a", "x.__proto__", "b", "y")
    )
    expect(error.issues.map((issue) => [issue.code, issue.path])).toEqual([
      ["InvalidId", "nodes[0].id"],
      ["InvalidInputName", "connections[0].input"],
      ["InvalidPath", "connections[1].output"]
    ])
    expect(error.issues[1]?.message).toContain("input name '__proto__' is reserved")
  })

  it("constructor and prototype stay usable as input names and path segments", () => {
    const wf = base()
      .connect("a", "constructor.prototype", "b", "constructor")
      .connect("a", "", "b", "prototype")
      .build()
    expect(wf.connections).toHaveLength(2)
  })

  it("InvalidInputName: a reserved word", () => {
    expectOnlyIssue(
      failureOf(base().connect("a", "", "b", "class")),
      "InvalidInputName",
      "connections[0].input",
      "reserved word"
    )
  })

  it("InvalidDuration: a duration text that does not parse", () => {
    expectOnlyIssue(
      failureOf(base().timeout("5 secs" as "5 seconds")),
      "InvalidDuration",
      "settings.timeout",
      `could not read "5 secs" as a duration`
    )
  })

  it("InvalidDuration: an unreadable node timeout names the node", () => {
    expectOnlyIssue(
      failureOf(Workflow.make("w").task("fetch", { timeout: "2 mins" as "2 minutes" })),
      "InvalidDuration",
      "nodes[0].timeout",
      `timeout of node 'fetch': could not read "2 mins"`
    )
  })

  it("InvalidDuration: negative, NaN and infinite durations", () => {
    const error = failureOf(
      Workflow.make("w")
        .task("a", { timeout: -5 })
        .task("b", { timeout: Number.NaN })
        .nodeTimeout(Number.POSITIVE_INFINITY)
    )
    expect(error.issues.map((issue) => [issue.code, issue.path])).toEqual([
      ["InvalidDuration", "settings.nodeTimeout"],
      ["InvalidDuration", "nodes[0].timeout"],
      ["InvalidDuration", "nodes[1].timeout"]
    ])
    expect(error.issues[0]?.message).toContain("infinite")
    expect(error.issues[1]?.message).toContain("negative (-5 ms)")
    expect(error.issues[2]?.message).toContain("NaN")
  })

  it("InvalidLimit: concurrency below 1", () => {
    expectOnlyIssue(
      failureOf(base().concurrency(0)),
      "InvalidLimit",
      "settings.concurrency",
      'at least 1 or "unbounded", got 0'
    )
  })

  it("InvalidLimit: maxIterations that is not a positive whole number", () => {
    expectOnlyIssue(
      failureOf(base().loop("l", ["a"], { maxIterations: 2.5, until: Loop.condition("true") })),
      "InvalidLimit",
      "loops[0].maxIterations",
      "got 2.5"
    )
  })

  it("TimeoutConflict: nodeTimeout not shorter than the workflow timeout", () => {
    expectOnlyIssue(
      failureOf(base().timeout("5 seconds").nodeTimeout("5 seconds")),
      "TimeoutConflict",
      "settings.nodeTimeout",
      "nodeTimeout (5000 ms) is not shorter than the workflow timeout (5000 ms)"
    )
  })

  it("TimeoutConflict: a node timeout not shorter than the workflow timeout", () => {
    expectOnlyIssue(
      failureOf(Workflow.make("w").task("slow", { timeout: "1 minute" }).timeout("30 seconds")),
      "TimeoutConflict",
      "nodes[0].timeout",
      "timeout of node 'slow' (60000 ms)"
    )
  })

  it("SyntaxError: the injected checker rejects a code node's source", () => {
    const checkSyntax = (source: string) =>
      source.includes("{{") ? "Unexpected token '{'" : undefined
    expectOnlyIssue(
      failureOf(Workflow.make("w").code("ok", "return 1").code("broken", "return {{"), {
        checkSyntax
      }),
      "SyntaxError",
      "nodes[1].source",
      "code node 'broken' does not parse: Unexpected token '{'"
    )
  })

  it("SyntaxError: loop conditions go through the checker too", () => {
    const checkSyntax = (source: string) =>
      source.endsWith("&&") ? "Unexpected end of input" : undefined
    expectOnlyIssue(
      failureOf(base().loop("l", ["a"], { maxIterations: 2, until: Loop.condition("x &&") }), {
        checkSyntax
      }),
      "SyntaxError",
      "loops[0].until.source",
      "does not parse"
    )
  })

  it("InvalidLoop: a node in two loops", () => {
    const until = Loop.condition("true")
    expectOnlyIssue(
      failureOf(
        base()
          .loop("l1", ["a"], { maxIterations: 2, until })
          .loop("l2", ["a", "b"], { maxIterations: 2, until })
      ),
      "InvalidLoop",
      "loops[1].nodes[0]",
      "node 'a' is already in loop \"l1\" (loops[0])"
    )
  })

  it("InvalidLoop: converging on a node outside the loop body", () => {
    expectOnlyIssue(
      failureOf(
        base().loop("l", ["a"], { maxIterations: 2, until: Loop.converged("b", "value", 0.1) })
      ),
      "InvalidLoop",
      "loops[0].until.node",
      "not in its body"
    )
  })

  it("InvalidResource: a resource listed twice", () => {
    expectOnlyIssue(
      failureOf(Workflow.make("w").task("a", { resources: ["db", "db"] })),
      "InvalidResource",
      "nodes[0].resources[1]",
      "'db' is listed twice"
    )
  })

  it("InvalidFunctionName: a task with an empty function name", () => {
    expectOnlyIssue(
      failureOf(Workflow.make("w").task("a", " ")),
      "InvalidFunctionName",
      "nodes[0].function",
      "registered under"
    )
  })

  it("NotJson: a retry policy holding a function", () => {
    expectOnlyIssue(
      failureOf(Workflow.make("w").task("a", { retry: { maxAttempts: 3, onRetry: () => 1 } })),
      "NotJson",
      "nodes[0].retry.onRetry",
      "function is not JSON data"
    )
  })

  it("NotJson: a circular metadata value is reported, not walked forever", () => {
    const metadata: { [key: string]: unknown } = { owner: "ops" }
    metadata.self = metadata
    expectOnlyIssue(
      failureOf(Workflow.make("w", { metadata: metadata as Workflow.Json as never }).task("a")),
      "NotJson",
      "metadata.self",
      "circular reference back to metadata"
    )
  })

  it("a circular retry spec given to fromJSON as an object is a typed error, not a crash", () => {
    const retry: { [key: string]: unknown } = { maxAttempts: 3 }
    retry.again = { inner: retry }
    const error = jsonFailureOf({
      version: 1,
      id: "w",
      nodes: [{ kind: "task", id: "a", function: "a", retry }]
    })
    expect(error.issues).toHaveLength(1)
    expect(error.issues[0]?.path.startsWith("nodes[0].retry.again")).toBe(true)
    expect(error.issues[0]?.message).toMatch(/JSON|circular|expected/i)
  })

  it("NotJson: a value shared twice (not circular) is still JSON data", () => {
    const shared = { limit: 3 }
    const wf = Workflow.make("w", { metadata: { a: shared, b: shared } })
      .task("a")
      .build()
    expect(Workflow.toJSON(wf)).toMatchObject({ metadata: { a: { limit: 3 }, b: { limit: 3 } } })
  })

  it("NotJson: every non-JSON value is listed, not only the first", () => {
    const error = failureOf(
      Workflow.make("w", {
        metadata: { f: (() => 1) as never, n: Number.NaN, d: new Date(0) as never }
      }).task("a")
    )
    expect(error.issues.map((issue) => [issue.code, issue.path])).toEqual([
      ["NotJson", "metadata.f"],
      ["NotJson", "metadata.n"],
      ["NotJson", "metadata.d"]
    ])
    expect(error.issues.map((issue) => issue.message)).toEqual([
      "function is not JSON data; use null, booleans, numbers, strings, arrays and plain objects",
      "NaN is not a JSON number; use a finite number",
      "an instance of Date is not JSON data; use null, booleans, numbers, strings, arrays and plain objects"
    ])
  })

  it("SyntaxError: a checker that throws is reported as an issue, not a crash", () => {
    const checkSyntax = (source: string): string | undefined => {
      if (source.includes("boom")) throw new Error("parser crashed")
      return undefined
    }
    const error = failureOf(Workflow.make("w").code("ok", "return 1").code("bad", "boom()"), {
      checkSyntax
    })
    expectOnlyIssue(
      error,
      "SyntaxError",
      "nodes[1].source",
      "the syntax check of code node 'bad' threw: parser crashed"
    )
    expect(() => Workflow.make("w").code("bad", "boom()").build({ checkSyntax })).toThrowError(
      /threw: parser crashed/
    )
  })

  it("UnknownField: a field the JSON form does not know, with a suggestion", () => {
    const error = jsonFailureOf({
      version: 1,
      id: "w",
      nodes: [{ kind: "task", id: "a", function: "a", timout: 5 }]
    })
    expectOnlyIssue(
      error,
      "UnknownField",
      "nodes[0].timout",
      "unknown field 'timout'",
      "Did you mean 'timeout'?"
    )
  })

  it("MissingField: a required field is absent", () => {
    expectOnlyIssue(
      jsonFailureOf({ version: 1, id: "w", nodes: [{ kind: "code", id: "a" }] }),
      "MissingField",
      "nodes[0].source",
      "missing required field 'source' in a code node"
    )
  })

  it("InvalidField: a field of the wrong type, and an unknown node kind", () => {
    const error = jsonFailureOf({
      version: 1,
      id: "w",
      nodes: [{ kind: "shell", id: "a" }],
      settings: { concurrency: "4" }
    })
    expect(error.issues.map((issue) => [issue.code, issue.path])).toEqual([
      ["InvalidField", "settings.concurrency"],
      ["InvalidField", "nodes[0].kind"]
    ])
    expect(error.issues[1]?.message).toBe(
      'kind must be "code", "task", "delay" or "event", got "shell"'
    )
  })

  it("UnsupportedVersion: a version other than 1 or 2", () => {
    expectOnlyIssue(
      jsonFailureOf({ version: 3, id: "w", nodes: [] }),
      "UnsupportedVersion",
      "version",
      "version 3 is not supported; this @weft/graph reads versions 1 and 2"
    )
  })

  it("InvalidJson: text that is not JSON", () => {
    expectOnlyIssue(jsonFailureOf("{ nope"), "InvalidJson", "", "not JSON")
  })

  it("reports every problem at once, ordered by location", () => {
    const error = failureOf(
      Workflow.make("w").task("a").task("a").connect("a", "x..y", "ghost", "1st").concurrency(-1)
    )
    expect(error.issues.map((issue) => issue.path)).toEqual([
      "settings.concurrency",
      "nodes[1].id",
      "connections[0].to",
      "connections[0].output",
      "connections[0].input"
    ])
    expect(error.message).toContain("Workflow 'w' is invalid (5 problems):")
    expect(error.message).toContain("  - connections[0].to: connection to unknown node 'ghost'")
  })

  it.effect("validate fails with a typed WorkflowInvalid for a hand-made value", () =>
    Effect.gen(function* () {
      const wf = Workflow.make("w").task("a").build()
      const error = yield* Effect.flip(
        Workflow.validate({ ...wf, connections: [{ from: "a", output: "", to: "a", input: "x" }] })
      )
      expect(error._tag).toBe("WorkflowInvalid")
      expect(error.workflowId).toBe("w")
      expect(error.issues[0]?.code).toBe("SelfConnection")
    })
  )

  it("validate never throws on garbage, it reports it", () => {
    const garbage = {
      version: 1,
      id: 5,
      nodes: "x",
      connections: [null],
      loops: {},
      settings: null
    }
    const issues = Workflow.issues(garbage as unknown as Workflow.Workflow)
    expect(issues.map((issue) => issue.path)).toEqual([
      "id",
      "settings",
      "nodes",
      "loops",
      "connections[0]"
    ])
  })
})
