import type { Effect, Result } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { type Connection, Loop, type Node, Path, Workflow } from "../src/index.js"

describe("builder types", () => {
  const builder = Workflow.make("w").task("a").code("b", "return x").connect("a", "", "b", "x")

  it("every step returns a Builder; build returns a Workflow", () => {
    expectTypeOf(builder).toEqualTypeOf<Workflow.Builder>()
    expectTypeOf(builder.build()).toEqualTypeOf<Workflow.Workflow>()
    expectTypeOf(builder.buildEffect()).toEqualTypeOf<
      Effect.Effect<Workflow.Workflow, Workflow.WorkflowInvalid>
    >()
  })

  it("accepts Duration inputs for durations and rejects other values", () => {
    builder.timeout("5 seconds").nodeTimeout(500).deadlockTimeout("1 minute")
    builder.task("c", { timeout: "200 millis" })
    // @ts-expect-error not a duration
    builder.timeout(true)
    // @ts-expect-error unknown unit
    builder.task("c", { timeout: "5 parsecs" })
  })

  it("types node options, loop options and settings", () => {
    builder.task("c", "fn", { retry: { maxAttempts: 3 }, resources: ["db"], description: "d" })
    // @ts-expect-error resources are names
    builder.task("c", { resources: [1] })
    // @ts-expect-error retry is an object
    builder.task("c", { retry: 3 })
    builder.loop("l", ["a"], {
      maxIterations: 3,
      until: Loop.condition("true"),
      onMaxIterations: "succeed"
    })
    // @ts-expect-error maxIterations is required
    builder.loop("l", ["a"], { until: Loop.condition("true") })
    const options = {
      maxIterations: 3,
      until: Loop.condition("true"),
      onMaxIterations: "retry"
    } as const
    // @ts-expect-error onMaxIterations is "fail" | "succeed"
    builder.loop("l", ["a"], options)
    builder.concurrency("unbounded").concurrency(4)
    // @ts-expect-error concurrency is a number or "unbounded"
    builder.concurrency("lots")
  })

  it("build options take an injectable syntax check", () => {
    builder.build({ checkSyntax: (source: string) => (source === "" ? "empty" : undefined) })
    // @ts-expect-error returns a message or undefined
    builder.build({ checkSyntax: (_source: string) => true })
  })

  it("the model is readonly, discriminated data", () => {
    const wf = builder.build()
    const node = wf.nodes[0]!
    if (node.kind === "code") expectTypeOf(node).toEqualTypeOf<Node.CodeNode>()
    else if (node.kind === "task") expectTypeOf(node.function).toEqualTypeOf<string>()
    else if (node.kind === "delay") expectTypeOf(node.until).toEqualTypeOf<string | undefined>()
    else expectTypeOf(node.event).toEqualTypeOf<string>()
    expectTypeOf(wf.version).toEqualTypeOf<1 | 2>()
    expectTypeOf(wf.connections[0]?.on).toEqualTypeOf<"success" | "failure" | undefined>()
    expectTypeOf(wf.connections).toEqualTypeOf<ReadonlyArray<Connection.Connection>>()
    expectTypeOf(wf.settings.timeout).toEqualTypeOf<number | undefined>()
    // @ts-expect-error readonly
    wf.settings.mode = "sequential"
  })

  it("delay and event builders take only the options that make sense for them", () => {
    builder.delay("wait", "5 seconds").delay("due", { until: "dueAt" }, { description: "d" })
    builder.event("paid", "payment.received", { timeout: "1 hour", description: "d" })
    builder.onFailure("a", "message", "b", "reason")
    builder.task("t", { concurrency: { key: "customer:{customerId}", limit: 1 } })
    // @ts-expect-error a delay has no retry
    builder.delay("wait", 100, { retry: { maxAttempts: 2 } })
    // @ts-expect-error an event has no resources
    builder.event("paid", "payment.received", { resources: ["db"] })
    // @ts-expect-error until names an input
    builder.delay("due", { until: 5 })
  })

  it("the Schema describes the same type as the interface", () => {
    expectTypeOf<typeof Workflow.WorkflowSchema.Type>().toEqualTypeOf<Workflow.Workflow>()
    expectTypeOf<typeof Workflow.SettingsSchema.Type>().toEqualTypeOf<Workflow.Settings>()
    expectTypeOf<typeof Node.NodeSchema.Type>().toEqualTypeOf<Node.Node>()
  })

  it("analysis and Path return plain values", () => {
    const wf = builder.build()
    expectTypeOf(Workflow.topologicalOrder(wf)).toEqualTypeOf<Array<string>>()
    expectTypeOf(Workflow.findCycle(wf)).toEqualTypeOf<Array<string> | undefined>()
    expectTypeOf(Workflow.getNode(wf, "a")).toEqualTypeOf<Node.Node | undefined>()
    expectTypeOf(Path.get({}, "a")).toEqualTypeOf<Result.Result<Workflow.Json, Path.PathMissing>>()
  })
})
