import { afterAll, assert, describe, it } from "@effect/vitest"
import { Runtime } from "@weft/runtime"
import { Effect } from "effect"
import { Durable } from "../src/index.js"
import { connect, task, tempDir, workflow } from "./helpers.js"

const dirs = tempDir()
afterAll(() => dirs.cleanup())

describe("Durable on SQLite", () => {
  it.live("runs a workflow to its result and records its status", () =>
    Effect.gen(function* () {
      const wf = workflow("sum", [task("a"), task("b")], [connect("a", "n", "b", "n")])
      const execution = yield* Durable.start(wf, { base: 1 }, { key: "sum-1" })
      const result = yield* execution.result
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.b, { n: 2 })
      const info = yield* Durable.status("sum-1")
      assert.strictEqual(info.status, "succeeded")
      assert.strictEqual(info.workflowId, "sum")
    }).pipe(
      Effect.provide(
        Durable.layerSqlite({
          filename: dirs.file("basic.db"),
          runtime: Runtime.make({
            functions: {
              a: ({ base }: { base: number }) => ({ n: base }),
              b: ({ n }: { n: number }) => ({ n: n + 1 })
            }
          })
        })
      )
    )
  )
})
