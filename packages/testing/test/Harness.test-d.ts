import { TestCache } from "@weft/fixtures"
import type { Effect } from "effect"
import { describe, expect, expectTypeOf, test } from "vitest"
import type { Runtime } from "@weft/runtime"
import type { Harness, VirtualTime } from "../src/index.js"

describe("types", () => {
  test("resource() returns the type of what its source produces", () => {
    const harness = {} as Harness.Harness
    expectTypeOf(harness.resource("a", { n: 1 })).toEqualTypeOf<Promise<{ n: number }>>()
    expectTypeOf(harness.resource("b", async () => ({ n: 1 }))).toEqualTypeOf<
      Promise<{ n: number }>
    >()
    expectTypeOf(harness.resource("c", TestCache.scoped())).toEqualTypeOf<
      Promise<TestCache.TestCache>
    >()
  })

  test("execute results carry virtual and real timing", () => {
    const result = {} as Harness.TestResult
    expectTypeOf(result.timing).toEqualTypeOf<VirtualTime.Timing>()
    expectTypeOf(result.status).toEqualTypeOf<"succeeded" | "failed" | "timed-out" | "cancelled">()
  })

  test("the Effect API fails only with driver errors", () => {
    const harness = {} as Harness.Harness
    type Run = ReturnType<typeof harness.effect.execute>
    expectTypeOf<Effect.Error<Run>>().toEqualTypeOf<VirtualTime.VirtualTimeError>()
  })

  test("matchers are typed on expect()", () => {
    const result = {} as Harness.TestResult
    expectTypeOf(expect(result).toSucceed).toBeFunction()
    expectTypeOf(expect(result).toHaveNodeOutput).parameter(0).toEqualTypeOf<string>()
  })
})

describe("task functions infer their context", () => {
  test("registerFunction('f', (_inputs, ctx) => ctx.nodeId) compiles, ctx is a TaskContext", () => {
    const harness = {} as Harness.Harness
    harness.registerFunction("f", (_inputs, ctx) => {
      expectTypeOf(ctx).toEqualTypeOf<Runtime.TaskContext>()
      return ctx.nodeId
    })
    harness.registerFunction("g", async (inputs, ctx) => {
      expectTypeOf(inputs).toEqualTypeOf<Runtime.Params>()
      return (await ctx.getResource("db")) as string
    })
  })

  test("annotated inputs and host functions with other signatures still register", () => {
    const harness = {} as Harness.Harness
    harness.registerFunction("double", (inputs: { readonly n: number }) => ({ n: inputs.n * 2 }))
    harness.registerFunction("add", (a: number, b: number) => a + b)
    // @ts-expect-error a task context has no `nope`
    harness.registerFunction("bad", (_inputs, ctx) => ctx.nope)
  })
})
