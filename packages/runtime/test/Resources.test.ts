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
  it.effect(
    "a release that fails is recorded as ResourceFailed; the others are still released",
    () =>
      Effect.gen(function* () {
        const log: Array<string> = []
        const wf = workflow("bad-release", [task("a", { resources: ["first", "throws", "dies"] })])
        const result = yield* Runtime.execute(
          wf,
          {},
          {
            functions: { a: () => "done" },
            resources: {
              first: tracked(log, "first"),
              throws: Resource.make(
                () => ({}),
                () => {
                  throw new Error("socket already closed")
                }
              ),
              dies: Resource.effect(
                Effect.acquireRelease(Effect.succeed({}), () => Effect.die("release bug"))
              )
            }
          }
        )
        assert.deepStrictEqual(log, ["open first", "close first"])
        assert.strictEqual(result.outputs.a, "done")
        assert.strictEqual(result.status, "failed")
        assert.deepStrictEqual(
          result.errors.map((e) => [e._tag, e._tag === "ResourceFailed" ? e.resource : ""]),
          [
            ["ResourceFailed", "dies"],
            ["ResourceFailed", "throws"]
          ]
        )
        assert.include(result.errors[1]!.message, "socket already closed")
        assert.strictEqual(JSON.parse(JSON.stringify(result)).errors[0]._tag, "ResourceFailed")
      }).pipe(Effect.provide(sandbox))
  )
  it.effect("the node timeout bounds the eager acquisition of its resources", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      let connected: (value: object) => void = () => {}
      const hangs = Resource.make(
        () => {
          log.push("connecting")
          return new Promise<object>((resolve) => {
            connected = resolve
          })
        },
        () => {
          log.push("released")
        }
      )
      let ran = false
      const wf = workflow("hung-db", [task("load", { resources: ["db"], timeout: 500 })])
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          { functions: { load: () => (ran = true) }, resources: { db: hangs } }
        )
      )
      yield* TestClock.adjust(500)
      const result = yield* Fiber.join(fiber)
      assert.isFalse(ran)
      assert.strictEqual(result.status, "failed")
      assert.strictEqual(result.nodes.load!.status, "timed-out")
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "NodeTimedOut")
      assert.include(error.message, "acquiring its resources")
      assert.strictEqual(result.duration, 500)
      assert.deepStrictEqual(log, ["connecting"])
      // the connection arrives after all: it is released at once, not leaked
      connected({})
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      assert.deepStrictEqual(log, ["connecting", "released"])
    }).pipe(Effect.provide(sandbox))
  )
  it.effect("a workflow timeout is not blocked by a resource whose connect hangs", () =>
    Effect.gen(function* () {
      const hangs = Resource.make(
        () => new Promise<object>(() => {}),
        () => {}
      )
      const wf = workflow("hung-connect", [task("load")], [], { timeout: 1000 })
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          {
            resources: { db: hangs },
            functions: {
              load: (_: unknown, context: Runtime.TaskContext) => context.resource("db")
            }
          }
        )
      )
      yield* TestClock.adjust(1000)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "timed-out")
      assert.strictEqual(result.nodes.load!.status, "timed-out")
      assert.strictEqual(result.duration, 1000)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a node that times out waiting for a shared acquisition does not fail the others", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const slow = Resource.effect(
        Effect.acquireRelease(Effect.as(Effect.sleep(500), { query: () => "rows" }), () =>
          Effect.sync(() => log.push("released"))
        )
      )
      const use = (_: unknown, context: Runtime.TaskContext) =>
        Effect.flatMap(context.resource("db"), (db) =>
          Effect.sync(() => (db as { query: () => string }).query())
        )
      const wf = workflow(
        "shared-acquisition",
        [task("impatient", { fn: "use", timeout: 100 }), task("patient", { fn: "use" })],
        [],
        { failureMode: "continue" }
      )
      const fiber = yield* Effect.forkChild(
        Runtime.execute(wf, {}, { resources: { db: slow }, functions: { use } })
      )
      yield* TestClock.adjust(1_000)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.nodes.impatient!.status, "timed-out")
      assert.strictEqual(result.nodes.patient!.status, "succeeded")
      assert.strictEqual(result.outputs.patient, "rows")
      assert.deepStrictEqual(log, ["released"])
    }).pipe(Effect.provide(sandbox))
  )
})
