import { Effect, type Layer } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { Sandbox, type SandboxError } from "../src/index.js"

describe("Sandbox types", () => {
  it("run needs the Sandbox service and fails with SandboxError", () => {
    const program = Sandbox.run({ source: "return 1" })
    expectTypeOf(program).toEqualTypeOf<
      Effect.Effect<Sandbox.RunResult, SandboxError.SandboxError, Sandbox.Sandbox>
    >()
  })

  it("layers provide the Sandbox service with no further requirements", () => {
    expectTypeOf(Sandbox.layerQuickJs()).toEqualTypeOf<Layer.Layer<Sandbox.Sandbox>>()
    expectTypeOf(Sandbox.layerQuickJsInThread).toEqualTypeOf<Layer.Layer<Sandbox.Sandbox>>()
    expectTypeOf(Sandbox.Sandbox.layerQuickJsInThread).toEqualTypeOf<Layer.Layer<Sandbox.Sandbox>>()
  })

  it("host functions take JSON and return an Effect of JSON", () => {
    expectTypeOf<ReturnType<Sandbox.HostFunction>>().toEqualTypeOf<
      Effect.Effect<Sandbox.Json | undefined, unknown>
    >()
    const host: Sandbox.HostFunction = (value) => Effect.succeed(value ?? null)
    void host
    // @ts-expect-error a host function must return an Effect, not a Promise
    const wrong: Sandbox.HostFunction = async () => 1
    void wrong
  })

  it("syntaxMessage fits @weft/graph's checkSyntax option", () => {
    expectTypeOf(Sandbox.syntaxMessage).toEqualTypeOf<(source: string) => string | undefined>()
  })
})
