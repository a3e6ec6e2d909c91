import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, type Layer } from "effect"
import { Sandbox } from "../src/index.js"

// Contexts are prepared ahead and QuickJS instances reused: these pin down that no state of one
// run reaches another, on both drivers.
const drivers: ReadonlyArray<{
  readonly name: string
  readonly layer: () => Layer.Layer<Sandbox.Sandbox>
}> = [
  { name: "in-thread driver", layer: () => Sandbox.layerQuickJsInThread },
  { name: "worker-pool driver", layer: () => Sandbox.layerQuickJs({ workers: 1 }) }
]

for (const driver of drivers) {
  describe(`isolation between runs: ${driver.name}`, () => {
    it.live("a global set by one run is not visible to the next runs", () =>
      Effect.gen(function* () {
        yield* Sandbox.run({ source: "globalThis.leak = 'secret'; Object.prototype.polluted = 1" })
        for (let i = 0; i < 5; i++) {
          const result = yield* Sandbox.run({
            source: "return [typeof globalThis.leak, typeof ({}).polluted]"
          })
          assert.deepStrictEqual(result.output, ["undefined", "undefined"])
        }
      }).pipe(Effect.provide(driver.layer()))
    )

    it.live("work a run left pending (a host call it did not await) never runs later", () =>
      Effect.gen(function* () {
        let calls = 0
        const first = yield* Sandbox.run({
          source:
            "void ping().then(() => { globalThis.late = true; console.log('late') })\nreturn 1",
          host: { ping: () => Effect.sync(() => void calls++) }
        })
        assert.strictEqual(first.output, 1)
        assert.deepStrictEqual(first.logs, [])
        for (let i = 0; i < 5; i++) {
          const later = yield* Sandbox.run({
            source: "await sleep(1)\nreturn typeof globalThis.late",
            host: { ping: () => Effect.sync(() => void calls++) }
          })
          assert.strictEqual(later.output, "undefined")
          assert.deepStrictEqual(later.logs, [])
        }
        assert.strictEqual(calls, 0)
      }).pipe(Effect.provide(driver.layer()))
    )

    it.live("runs suspended side by side each keep their own memory limit", () =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const entered = [yield* Deferred.make<void>(), yield* Deferred.make<void>()]
        // Each holds 30 MB under a 40 MiB limit (16 MiB base + 40 MiB per instance) while
        // suspended: one shared memory could not hold both.
        const fibers = []
        for (const signal of entered) {
          fibers.push(
            yield* Effect.forkChild(
              Sandbox.run({
                source:
                  "const big = 'x'.repeat(30e6)\nawait suspend()\nreturn big.length + 'y'.repeat(1e6).length",
                host: {
                  suspend: () =>
                    Effect.andThen(
                      Deferred.succeed(signal, undefined),
                      Effect.as(Deferred.await(gate), null)
                    )
                },
                limits: { memoryBytes: 40 * 1024 * 1024 }
              })
            )
          )
          yield* Deferred.await(signal)
        }
        yield* Deferred.succeed(gate, undefined)
        for (const fiber of fibers) assert.strictEqual((yield* Fiber.join(fiber)).output, 31e6)
      }).pipe(Effect.provide(driver.layer()))
    )
  })
}
