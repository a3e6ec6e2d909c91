import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Resource, Runtime } from "../src/index.js"
import { connect, sandbox, task, workflow } from "./helpers.js"

const tracked = (log: Array<string>, name: string) =>
  Resource.effect(
    Effect.acquireRelease(
      Effect.sync(() => {
        log.push(`open ${name}`)
        return { name, ping: () => `pong ${name}` }
      }),
      () => Effect.sync(() => log.push(`close ${name}`))
    )
  )

const useResources =
  (...names: Array<string>) =>
  (_: unknown, context: Runtime.TaskContext) =>
    Effect.forEach(names, (name) => context.resource(name), { discard: true }).pipe(
      Effect.as("used")
    )

describe("resources", () => {
  it.effect("are acquired lazily and released in reverse order when the run succeeds", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const wf = workflow(
        "ok",
        [task("first"), task("second")],
        [connect("first", "", "second", "x")]
      )
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          functions: {
            first: useResources("db"),
            second: useResources("cache", "unused-not-acquired-db")
          },
          resources: {
            db: tracked(log, "db"),
            cache: tracked(log, "cache"),
            "unused-not-acquired-db": tracked(log, "queue"),
            never: tracked(log, "never")
          }
        }
      )
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(log, [
        "open db",
        "open cache",
        "open queue",
        "close queue",
        "close cache",
        "close db"
      ])
      assert.deepStrictEqual(
        result.trace
          .filter((e) => e.type === "resource-released")
          .map((e) => (e.type === "resource-released" ? e.resource : "")),
        ["unused-not-acquired-db", "cache", "db"]
      )
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("are released in reverse order when a node fails", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const wf = workflow("fails", [task("a", { resources: ["db", "cache"] })])
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          functions: { a: () => Effect.fail("boom") },
          resources: { db: tracked(log, "db"), cache: tracked(log, "cache") }
        }
      )
      assert.strictEqual(result.status, "failed")
      assert.deepStrictEqual(log, ["open db", "open cache", "close cache", "close db"])
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("are released in reverse order when the execution is interrupted", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const wf = workflow("interrupted", [task("a", { resources: ["db", "cache"] })])
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          {
            functions: { a: () => Effect.never },
            resources: { db: tracked(log, "db"), cache: tracked(log, "cache") }
          }
        )
      )
      yield* TestClock.adjust(10)
      assert.deepStrictEqual(log, ["open db", "open cache"])
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(log, ["open db", "open cache", "close cache", "close db"])
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("are released when the workflow times out", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const wf = workflow("times-out", [task("a", { resources: ["db"] })], [], { timeout: 100 })
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          { functions: { a: () => Effect.never }, resources: { db: tracked(log, "db") } }
        )
      )
      yield* TestClock.adjust(100)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "timed-out")
      assert.deepStrictEqual(log, ["open db", "close db"])
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a factory resource (Resource.make) is created once per run and released with it", () =>
    Effect.gen(function* () {
      let created = 0
      let released = 0
      const pool = Resource.make(
        async () => {
          created++
          return { query: async () => [1] }
        },
        async () => {
          released++
        }
      )
      const wf = workflow("factory", [task("a", { fn: "use" }), task("b", { fn: "use" })])
      const result = yield* Runtime.execute(
        wf,
        {},
        { functions: { use: useResources("pool") }, resources: { pool } }
      )
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(created, 1)
      assert.strictEqual(released, 1)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("1,000 concurrent executions share one resource with correct counts", () =>
    Effect.gen(function* () {
      let calls = 0
      let acquired = 0
      let released = 0
      const shared = { increment: () => ++calls }
      const perRun = Resource.make(
        () => {
          acquired++
          return shared
        },
        () => {
          released++
        }
      )
      const runtime = Runtime.make({
        resources: { counter: perRun },
        functions: {
          work: (_: unknown, context: Runtime.TaskContext) =>
            Effect.flatMap(context.resource("counter"), (counter) =>
              Effect.as(Effect.sleep(10), (counter as typeof shared).increment())
            )
        }
      })
      const wf = workflow("shared", [task("a", { fn: "work" }), task("b", { fn: "work" })])
      const fiber = yield* Effect.forkChild(
        Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          () => runtime.execute(wf),
          {
            concurrency: "unbounded"
          }
        )
      )
      yield* TestClock.adjust(10)
      const results = yield* Fiber.join(fiber)
      assert.isTrue(results.every((r) => r.status === "succeeded"))
      assert.strictEqual(new Set(results.map((r) => r.id)).size, 1000)
      assert.strictEqual(calls, 2000)
      assert.strictEqual(acquired, 1000)
      assert.strictEqual(released, 1000)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a resource can be a service built by an Effect Layer, released with the run", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      class Cache extends Context.Service<Cache, { readonly get: (key: string) => string }>()(
        "test/Cache"
      ) {}
      const layer = Layer.effect(
        Cache,
        Effect.acquireRelease(
          Effect.sync(() => {
            log.push("build cache")
            return Cache.of({ get: (key) => `cached ${key}` })
          }),
          () => Effect.sync(() => log.push("release cache"))
        )
      )
      const wf = workflow("layered", [task("read")])
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          resources: { cache: Resource.layer(layer, Cache) },
          functions: {
            read: (_: unknown, context: Runtime.TaskContext) =>
              Effect.map(context.resource("cache"), (cache) => (cache as Cache["Service"]).get("k"))
          }
        }
      )
      assert.strictEqual(result.outputs.read, "cached k")
      assert.deepStrictEqual(log, ["build cache", "release cache"])
    }).pipe(Effect.provide(sandbox))
  )
})
