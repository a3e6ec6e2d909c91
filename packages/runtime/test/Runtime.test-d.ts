import { Workflow } from "@weft/graph"
import type { Sandbox } from "@weft/sandbox"
import type { Effect } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { type ExecutionError, type ExecutionResult, Runtime } from "../src/index.js"

const workflow = Workflow.make("w").task("a").build()

describe("Runtime types", () => {
  it("accepts @weft/graph workflows and never fails by default", () => {
    expectTypeOf(Runtime.execute(workflow)).toEqualTypeOf<
      Effect.Effect<ExecutionResult.ExecutionResult, never, Sandbox.Sandbox>
    >()
  })
  it("fails with ExecutionError when failOnError is true", () => {
    expectTypeOf(Runtime.execute(workflow, {}, { failOnError: true })).toEqualTypeOf<
      Effect.Effect<ExecutionResult.ExecutionResult, ExecutionError.ExecutionError, Sandbox.Sandbox>
    >()
  })
  it("the Promise facade resolves to a result", () => {
    expectTypeOf(Runtime.run(workflow)).toEqualTypeOf<Promise<ExecutionResult.ExecutionResult>>()
  })
  it("registered functions may take typed inputs", () => {
    const runtime = Runtime.make()
    runtime.registerFunction("double", (inputs: { readonly n: number }) => ({ n: inputs.n * 2 }))
    expectTypeOf(runtime.registerFunction).returns.toEqualTypeOf<Runtime.Runtime>()
  })
})
