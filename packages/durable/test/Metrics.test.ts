import { assert, describe, it } from "@effect/vitest"
import { Runtime } from "@weft/runtime"
import { Context, Deferred, Effect, Exit, Metric } from "effect"
import { Durable } from "../src/index.js"
import * as DurableMetrics from "../src/internal/metrics.js"
import { connect, postgresUrl, schemaName, task, storeLocations, workflow } from "./helpers.js"

const dirs = storeLocations()

// one store location per call; the layers it returns all open that same store
const stores = {
  sqlite: (name: string) => {
    const filename = dirs.file(`${name}.db`)
    return (options: Durable.StoreOptions) => Durable.layerSqlite({ filename, ...options })
  },
  postgres: (name: string) => {
    const schema = schemaName(name)
    return (options: Durable.StoreOptions) =>
      Durable.layerPostgres({ url: postgresUrl, schema, ...options })
  }
}

// `first` runs, then `second` hangs (until its attempt is interrupted) on the first runner
const wf = workflow(
  "two-steps",
  [task("first"), task("second")],
  [connect("first", "n", "second", "n")]
)

for (const [kind, store] of Object.entries(stores)) {
  describe(`durable metrics (${kind})`, () => {
    it.live(
      "a runner that reopens the store counts one resume and one replayed attempt, by store kind",
      () => {
        const registry: Metric.MetricRegistry = new Map()
        const open = store(`metrics-${kind}`)
        return Effect.gen(function* () {
          const context = Context.make(Metric.MetricRegistry, registry)
          const labels = { "weft.durable.store": kind }
          const count = (metric: Metric.Counter<number>) =>
            Metric.withAttributes(metric, labels).valueUnsafe(context).count
          const calls = { first: 0, second: 0 }
          const hanging = yield* Deferred.make<void>()
          const down = Runtime.make({
            functions: {
              first: () => {
                calls.first++
                return { n: 1 }
              },
              second: (_: unknown, context: Runtime.TaskContext) =>
                new Promise((resolve) => {
                  calls.second++
                  Deferred.doneUnsafe(hanging, Exit.void)
                  context.signal.addEventListener("abort", () => resolve(null))
                })
            }
          })
          const up = Runtime.make({
            functions: {
              first: () => {
                calls.first++
                return { n: 1 }
              },
              second: ({ n }: { readonly n: number }) => {
                calls.second++
                return { n: n + 1 }
              }
            }
          })
          // 1. a fresh execution: nothing resumed, nothing replayed; closed while `second` hangs
          yield* Effect.gen(function* () {
            yield* Durable.start(wf, {}, { key: "resumed" })
            yield* Deferred.await(hanging)
            assert.strictEqual(count(DurableMetrics.resumes), 0)
            assert.strictEqual(count(DurableMetrics.replays), 0)
          }).pipe(Effect.provide(open({ runtime: down, shutdownTimeout: 100 })))
          // 2. the next runner resumes it: `first` is answered from the store, `second` runs again
          const result = yield* Durable.result("resumed").pipe(
            Effect.provide(open({ runtime: up }))
          )
          assert.strictEqual(result.status, "succeeded")
          assert.deepStrictEqual(result.outputs.second, { n: 2 })
          assert.deepStrictEqual(calls, { first: 1, second: 2 })
          assert.strictEqual(count(DurableMetrics.resumes), 1)
          assert.strictEqual(count(DurableMetrics.replays), 1)
        }).pipe(Effect.provideService(Metric.MetricRegistry, registry))
      }
    )
  })
}
