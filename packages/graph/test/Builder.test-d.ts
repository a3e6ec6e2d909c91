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
    else expectTypeOf(node.function).toEqualTypeOf<string>()
    expectTypeOf(wf.version).toEqualTypeOf<1>()
    expectTypeOf(wf.connections).toEqualTypeOf<ReadonlyArray<Connection.Connection>>()
    expectTypeOf(wf.settings.timeout).toEqualTypeOf<number | undefined>()
    // @ts-expect-error readonly
    wf.settings.mode = "sequential"
  })

  it("the Schema describes the same type as the interface", () => {
    expectTypeOf<typeof Workflow.WorkflowSchema.Type>().toEqualTypeOf<Workflow.Workflow>()
    expectTypeOf<typeof Workflow.SettingsSchema.Type>().toEqualTypeOf<Workflow.Settings>()
  })

  it("analysis and Path return plain values", () => {
    const wf = builder.build()
    expectTypeOf(Workflow.topologicalOrder(wf)).toEqualTypeOf<Array<string>>()
    expectTypeOf(Workflow.findCycle(wf)).toEqualTypeOf<Array<string> | undefined>()
    expectTypeOf(Workflow.getNode(wf, "a")).toEqualTypeOf<Node.Node | undefined>()
    expectTypeOf(Path.get({}, "a")).toEqualTypeOf<Result.Result<Workflow.Json, Path.PathMissing>>()
  })
})
