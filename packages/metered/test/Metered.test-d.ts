import type { Sandbox } from "@weft/sandbox"
import type { Effect } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { Cache, Lock, Meter, type MeteredError, PriceTable } from "../src/index.js"

interface Llm {
  complete(request: { readonly model: string; readonly prompt: string }): Promise<{
    readonly text: string
    readonly usage: { readonly input: number; readonly output: number }
  }>
  readonly region: string
}
declare const llm: Llm
const meter = Meter.makeUnsafe({ prices: PriceTable.example })

describe("@weft/metered types", () => {
  it("method specs see the method's arguments and reply; the wrapper keeps the client's type", () => {
    const metered = meter.client(llm, {
      complete: {
        meter: "llm",
        model: (request) => {
          expectTypeOf(request).toEqualTypeOf<{ readonly model: string; readonly prompt: string }>()
          return request.model
        },
        usage: (reply) => {
          expectTypeOf(reply.usage.input).toEqualTypeOf<number>()
          return reply.usage
        }
      }
    })
    expectTypeOf(metered).toEqualTypeOf<Llm>()
  })

  it("only async methods can be metered", () => {
    // @ts-expect-error region is not a method
    meter.client(llm, { region: { meter: "llm", usage: () => ({}) } })
  })

  it("cache.wrap only takes method names of the client", () => {
    const cache = Cache.makeUnsafe({ store: Cache.memoryStore() })
    expectTypeOf(
      cache.wrap(llm, { name: "llm", methods: ["complete"], ttl: "1 hour" })
    ).toEqualTypeOf<Llm>()
    // @ts-expect-error not a member of the client
    cache.wrap(llm, { name: "llm", methods: ["chat"], ttl: "1 hour" })
  })

  it("withLock adds the lock's typed errors to the effect's", () => {
    const effect = null as unknown as Effect.Effect<number, "Boom">
    expectTypeOf(Lock.withLock(Lock.memoryBackend(), "k", effect)).toEqualTypeOf<
      Effect.Effect<
        number,
        "Boom" | MeteredError.LockLost | MeteredError.LockTimeout | MeteredError.BackendFailed
      >
    >()
  })

  it("execute needs a Sandbox and fails only with InvalidConfig", () => {
    expectTypeOf(meter.execute).returns.toEqualTypeOf<
      Effect.Effect<Meter.MeteredResult, MeteredError.InvalidConfig, Sandbox.Sandbox>
    >()
  })
})
