import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Resource, Runtime } from "../src/index.js"
import { code, connect, drive, sandbox, workflow } from "./helpers.js"

describe("code nodes", () => {
  it.effect("run in the sandbox with inputs bound as variables and `result` as output", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "checkout",
        [
          code(
            "price",
            "result = { cents: Math.round(items.reduce((s, i) => s + i.price, 0) * 100) }"
          ),
          code("double", "return { doubled: cents * 2 }")
        ],
        [connect("price", "cents", "double", "cents")]
      )
      const result = yield* Runtime.execute(wf, {
        price: { items: [{ price: 9.99 }, { price: 0.01 }] }
      })
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.price, { cents: 1000 })
      assert.deepStrictEqual(result.outputs.double, { doubled: 2000 })
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("call resources through getResource and registered functions as host functions", () =>
    Effect.gen(function* () {
      const calls: Array<string> = []
      const http = {
        get: async (path: string) => {
          calls.push(path)
          return { status: 200, data: "test" }
        }
      }
      const runtime = Runtime.make({ resources: { http } })
      runtime.registerFunction("flakyOperation", () => ({ success: true }))
      const wf = workflow("api_test", [
        code(
          "fetch_api",
          `const http = await getResource("http")
           const response = await http.get("/api/data")
           const flaky = await flakyOperation()
           result = { api_data: response.data, flaky: flaky.success }`
        )
      ])
      const result = yield* runtime.execute(wf)
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.fetch_api, { api_data: "test", flaky: true })
      assert.deepStrictEqual(calls, ["/api/data"])
      const types = result.trace.map((e) => e.type)
      assert.include(types, "resource-acquired")
      assert.include(types, "resource-called")
      assert.include(types, "resource-released")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("sleep(ms) inside a code node waits on the Clock", () =>
    Effect.gen(function* () {
      const wf = workflow("sleepy", [
        code("a", "await sleep(1000); result = 1"),
        code("b", "await sleep(1000); result = 2")
      ])
      const fiber = yield* Effect.forkChild(Runtime.execute(wf))
      const result = yield* drive(fiber)
      assert.strictEqual(result.status, "succeeded")
      // parallel: ~1 s of virtual time (the driver steps in 10 ms), not 2 s
      assert.isAtLeast(result.duration, 1000)
      assert.isBelow(result.duration, 1500)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("emit(event) from a code node lands in the trace", () =>
    Effect.gen(function* () {
      const wf = workflow("emitter", [code("a", "await emit({ progress: 50 }); result = 1")])
      const seen: Array<string> = []
      const result = yield* Runtime.execute(wf, {}, { onEvent: (e) => seen.push(e.type) })
      const emitted = result.trace.find((e) => e.type === "node-emitted")
      assert.deepStrictEqual(emitted?.type === "node-emitted" ? emitted.event : undefined, {
        progress: 50
      })
      assert.include(seen, "node-emitted")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a guest error fails the node with its name as the error tag", () =>
    Effect.gen(function* () {
      const wf = workflow("guest-error", [
        code(
          "a",
          `class ValueError extends Error { constructor(m) { super(m); this.name = "ValueError" } }
                   throw new ValueError("Simulated async error")`
        )
      ])
      const result = yield* Runtime.execute(wf)
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "NodeFailed")
      if (error._tag === "NodeFailed") assert.strictEqual(error.errorTag, "ValueError")
      assert.include(error.message, "Simulated async error")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a missing resource fails with ResourceNotFound naming the available ones", () =>
    Effect.gen(function* () {
      const wf = workflow("missing-resource", [
        code("load", `const db = await getResource("db"); result = await db.query("x")`)
      ])
      const result = yield* Runtime.execute(wf, {}, { resources: { cache: Resource.value({}) } })
      assert.strictEqual(result.status, "failed")
      const error = result.nodes.load!.error!
      // the host error reaches the result as is (not wrapped in the sandbox's host-call error)
      assert.strictEqual(error._tag, "ResourceNotFound")
      if (error._tag === "ResourceNotFound") {
        assert.strictEqual(error.resource, "db")
        assert.deepStrictEqual(error.available, ["cache"])
      }
      assert.include(error.message, "available: cache")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("workflow-wide params that are not identifiers are not bound in code nodes", () =>
    Effect.gen(function* () {
      const wf = workflow("ids", [code("a", "return { region }")])
      const result = yield* Runtime.execute(wf, { region: "eu", "x-request-id": "r-1" })
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.a, { region: "eu" })
    }).pipe(Effect.provide(sandbox))
  )
})
