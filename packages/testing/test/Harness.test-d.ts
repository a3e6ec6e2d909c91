import { TestCache } from "@weft/fixtures"
import type { Effect } from "effect"
import { describe, expect, expectTypeOf, test } from "vitest"
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
