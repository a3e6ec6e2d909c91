import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Runtime } from "../src/index.js"
import { connect, sandbox, task, workflow } from "./helpers.js"

const echo = (inputs: unknown) => inputs

describe("inputs", () => {
  it.effect("applies workflow params < node-scoped params < connections", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "precedence",
        [task("source"), task("target", { fn: "echo" })],
        [connect("source", "value", "target", "fromConnection")]
      )
      const result = yield* Runtime.execute(
        wf,
        {
          region: "eu",
          fromConnection: "wide",
          scopedWins: "wide",
          target: { scopedWins: "scoped", fromConnection: "scoped" }
        },
        { functions: { source: () => ({ value: "connection" }), echo } }
      )
      assert.deepStrictEqual(result.outputs.target, {
        region: "eu",
        fromConnection: "connection",
        scopedWins: "scoped"
      })
      // the node-scoped object is not bound as a workflow-wide input
      assert.deepStrictEqual(result.outputs.source, { value: "connection" })
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("delivers two connections between the same pair of nodes", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "two-connections",
        [task("producer"), task("processor", { fn: "echo" })],
        [
          connect("producer", "items", "processor", "items"),
          connect("producer", "meta", "processor", "meta")
        ]
      )
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          functions: { producer: () => ({ items: [1, 2, 3], meta: { count: 3 } }), echo }
        }
      )
      assert.deepStrictEqual(result.outputs.processor, { items: [1, 2, 3], meta: { count: 3 } })
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("follows dotted paths into objects and arrays; an empty path is the whole output", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "dotted",
        [task("fetch"), task("use", { fn: "echo" })],
        [
          connect("fetch", "result.data.rows.1.id", "use", "secondId"),
          connect("fetch", "", "use", "whole")
        ]
      )
      const output = { result: { data: { rows: [{ id: "a" }, { id: "b" }] } } }
      const result = yield* Runtime.execute(wf, {}, { functions: { fetch: () => output, echo } })
      assert.deepStrictEqual(result.outputs.use, { secondId: "b", whole: output })
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("fails with InputPathNotFound naming node, path and the keys that exist", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "missing",
        [task("price"), task("charge", { fn: "echo" })],
        [connect("price", "result.cents", "charge", "cents")]
      )
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          functions: { price: () => ({ result: { total: 10, currency: "EUR" } }), echo }
        }
      )
      assert.strictEqual(result.status, "failed")
      const error = result.nodes.charge!.error!
      assert.strictEqual(error._tag, "InputPathNotFound")
      if (error._tag !== "InputPathNotFound") return
      assert.strictEqual(error.nodeId, "charge")
      assert.strictEqual(error.from, "price")
      assert.strictEqual(error.path, "result.cents")
      assert.strictEqual(error.missing, "cents")
      assert.deepStrictEqual(error.available, ["total", "currency"])
      assert.include(error.message, "available: total, currency")
      assert.strictEqual(result.counts.charge, 0)
      assert.deepStrictEqual(result.outputs.price, { result: { total: 10, currency: "EUR" } })
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("reads a node's output with getOutput", () =>
    Effect.gen(function* () {
      const wf = workflow("get-output", [task("a")])
      const result = yield* Runtime.execute(wf, {}, { functions: { a: () => ({ x: { y: [5] } }) } })
      assert.strictEqual(Runtime.getOutput(result, "a", "x.y.0"), 5)
      assert.isUndefined(Runtime.getOutput(result, "a", "x.z"))
      assert.isUndefined(Runtime.getOutput(result, "nope"))
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("an input named __proto__ is rejected before anything runs, naming it", () =>
    Effect.gen(function* () {
      let ran = 0
      const wf = workflow("proto", [task("a"), task("b")], [connect("a", "", "b", "__proto__")])
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          functions: { a: () => ({ polluted: true }), b: () => ran++ }
        }
      )
      assert.strictEqual(ran, 0)
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "WorkflowNotExecutable")
      assert.include(error.message, "__proto__")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "paths resolve on own properties: a field named constructor works, toString does not",
    () =>
      Effect.gen(function* () {
        const wf = workflow(
          "own",
          [task("api"), task("use"), task("inherited")],
          [
            connect("api", "body.constructor", "use", "kind"),
            connect("api", "body.toString", "inherited", "fn")
          ],
          { failureMode: "continue" }
        )
        const result = yield* Runtime.execute(
          wf,
          {},
          {
            functions: {
              api: () => ({ body: { constructor: "Person" } }),
              use: ({ kind }: { readonly kind: string }) => kind,
              inherited: () => "never"
            }
          }
        )
        assert.strictEqual(result.outputs.use, "Person")
        assert.strictEqual(result.nodes.inherited!.error?._tag, "InputPathNotFound")
        assert.strictEqual(Runtime.getOutput(result, "api", "body.constructor"), "Person")
        assert.isUndefined(Runtime.getOutput(result, "api", "body.toString"))
      }).pipe(Effect.provide(sandbox))
  )
})
