import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Schema } from "effect"
import { Loop, Workflow, WorkflowInvalid } from "../src/index.js"
import { failureOf as failure } from "./helpers.js"

describe("Workflow builder", () => {
  it("builds the checkout example into plain data with durations in milliseconds", () => {
    const wf = Workflow.make("checkout", { name: "Checkout", metadata: { team: "payments" } })
      .code("price", "return { cents: 100 }", { description: "sum the cart" })
      .task("charge", "chargeCard", {
        timeout: "5 seconds",
        retry: { maxAttempts: 5, backoff: { kind: "exponential", base: 200, factor: 2 } },
        resources: ["payments"]
      })
      .connect("price", "cents", "charge", "cents")
      .timeout("10 seconds")
      .build()
    expect(wf).toEqual({
      version: 2,
      id: "checkout",
      name: "Checkout",
      metadata: { team: "payments" },
      nodes: [
        { kind: "code", id: "price", source: "return { cents: 100 }", description: "sum the cart" },
        {
          kind: "task",
          id: "charge",
          function: "chargeCard",
          timeout: 5000,
          retry: { maxAttempts: 5, backoff: { kind: "exponential", base: 200, factor: 2 } },
          resources: ["payments"]
        }
      ],
      connections: [{ from: "price", output: "cents", to: "charge", input: "cents" }],
      loops: [],
      settings: {
        mode: "parallel",
        concurrency: "unbounded",
        timeout: 10_000,
        failureMode: "fail-fast"
      }
    })
  })

  it("defaults a task's function name to its id", () => {
    const wf = Workflow.make("w").task("sendEmail", { timeout: 100 }).build()
    expect(wf.nodes[0]).toEqual({
      kind: "task",
      id: "sendEmail",
      function: "sendEmail",
      timeout: 100
    })
  })

  it("accepts every Duration input form", () => {
    const wf = Workflow.make("w")
      .task("a")
      .timeout(Duration.minutes(2))
      .nodeTimeout(1500)
      .deadlockTimeout("45 seconds")
      .build()
    expect(wf.settings).toMatchObject({
      timeout: 120_000,
      nodeTimeout: 1500,
      deadlockTimeout: 45_000
    })
  })

  it("sets mode, concurrency and failure mode; the last call wins", () => {
    const wf = Workflow.make("w")
      .task("a")
      .sequential()
      .parallel()
      .concurrency(4)
      .continueOnFailure()
      .build()
    expect(wf.settings).toEqual({ mode: "parallel", concurrency: 4, failureMode: "continue" })
    const strict = Workflow.make("w").task("a").continueOnFailure().failFast().sequential().build()
    expect(strict.settings).toMatchObject({ mode: "sequential", failureMode: "fail-fast" })
  })

  it("a later valid duration replaces an unreadable one", () => {
    const wf = Workflow.make("w")
      .task("a")
      .timeout("soon" as "1 second")
      .timeout("1 second")
      .build()
    expect(wf.settings.timeout).toBe(1000)
  })

  it("is immutable: a builder can be reused as a template", () => {
    const template = Workflow.make("w").task("fetch")
    const one = template.task("save").connect("fetch", "", "save", "data").build()
    const other = template
      .code("log", "console.log(x)")
      .connect("fetch", "body", "log", "x")
      .build()
    expect(template.build().nodes.map((n) => n.id)).toEqual(["fetch"])
    expect(one.nodes.map((n) => n.id)).toEqual(["fetch", "save"])
    expect(other.nodes.map((n) => n.id)).toEqual(["fetch", "log"])
    expect(template.id).toBe("w")
  })

  it("copies the caller's metadata, retry spec, resources and loop body: later edits do not leak in", () => {
    const metadata = { owner: "ops", tags: ["a"] }
    const retry = { maxAttempts: 3, backoff: { kind: "fixed", delay: 100 } }
    const resources = ["db"]
    const body = ["a"]
    const template = Workflow.make("w", { metadata })
      .task("a", { retry, resources })
      .loop("l", body, { maxIterations: 2, until: Loop.condition("true") })
    const built = template.build()
    metadata.owner = "changed"
    metadata.tags.push("b")
    retry.maxAttempts = 99
    retry.backoff.delay = 1
    resources.push("cache")
    body.push("b")
    const expected = {
      metadata: { owner: "ops", tags: ["a"] },
      nodes: [
        {
          kind: "task",
          id: "a",
          function: "a",
          retry: { maxAttempts: 3, backoff: { kind: "fixed", delay: 100 } },
          resources: ["db"]
        }
      ],
      loops: [{ id: "l", nodes: ["a"] }]
    }
    expect(built).toMatchObject(expected)
    expect(template.build()).toMatchObject(expected)
  })

  it("builds loops with a default onMaxIterations of fail", () => {
    const wf = Workflow.make("w")
      .code("guess", "return (previous ?? 1) / 2")
      .connect("guess", "", "guess", "previous")
      .loop("halve", ["guess"], { maxIterations: 20, until: Loop.converged("guess", "", 0.001) })
      .build()
    expect(wf.loops).toEqual([
      {
        id: "halve",
        nodes: ["guess"],
        maxIterations: 20,
        until: { kind: "converged", node: "guess", output: "", tolerance: 0.001 },
        onMaxIterations: "fail"
      }
    ])
  })

  it("build throws WorkflowInvalid listing the problems", () => {
    expect(() => Workflow.make("w").task("a").connect("a", "", "b", "x").build()).toThrow(
      /Workflow 'w' is invalid \(1 problem\):\n {2}- connections\[0\]\.to: connection to unknown node 'b'/
    )
    let caught: unknown
    try {
      Workflow.make("w").task("a").task("a").build()
    } catch (error) {
      caught = error
    }
    expect(Workflow.isWorkflowInvalid(caught)).toBe(true)
    expect(caught).toBeInstanceOf(WorkflowInvalid)
  })

  it.effect("buildEffect succeeds with the workflow or fails with a typed error", () =>
    Effect.gen(function* () {
      const wf = yield* Workflow.make("w").task("a").buildEffect()
      expect(wf.nodes).toHaveLength(1)
      const error = yield* Effect.flip(Workflow.make("w").task("a").concurrency(0).buildEffect())
      expect(error._tag).toBe("WorkflowInvalid")
      expect(error.issues[0]?.path).toBe("settings.concurrency")
    })
  )

  it("passes checkSyntax to validation only through build options", () => {
    const seen: Array<string> = []
    Workflow.make("w")
      .code("a", "return 1")
      .build({
        checkSyntax: (source) => {
          seen.push(source)
          return undefined
        }
      })
    expect(seen).toEqual(["return 1"])
  })

  it("builds a 10,000-node chain without deep recursion", () => {
    let builder = Workflow.make("chain").task("n0")
    for (let i = 1; i < 10_000; i++)
      builder = builder.task(`n${i}`).connect(`n${i - 1}`, "", `n${i}`, "input")
    const wf = builder.build()
    expect(wf.nodes).toHaveLength(10_000)
    expect(Workflow.topologicalOrder(wf)[9_999]).toBe("n9999")
  })

  it("the error survives a JSON round trip with its tag and issues", () => {
    const error = failure(Workflow.make("w").task("a").task("a"))
    const codec = Schema.toCodecJson(WorkflowInvalid)
    const text = JSON.stringify(Schema.encodeSync(codec)(error))
    const back = Schema.decodeUnknownSync(codec)(JSON.parse(text))
    expect(back._tag).toBe("WorkflowInvalid")
    expect(back.issues).toEqual(error.issues)
    expect(back.message).toBe(error.message)
    expect(Workflow.isWorkflowInvalid(JSON.parse(text))).toBe(true)
  })
})
