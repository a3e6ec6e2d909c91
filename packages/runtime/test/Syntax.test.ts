import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Runtime } from "../src/index.js"
import { code, connect, sandbox, task, workflow } from "./helpers.js"

describe("code that does not parse never starts", () => {
  it.effect(
    "one WorkflowNotExecutable lists every code node and loop condition that does not parse",
    () =>
      Effect.gen(function* () {
        let ran = 0
        const wf = workflow(
          "typos",
          [
            task("first"),
            code("parse", "const a = 1\nconst b = ;\nresult = a"),
            code("fine", "result = 1"),
            code("refine", "result = {"),
            code("step", "result = 2")
          ],
          [connect("first", "", "parse", "x")],
          {},
          [
            {
              id: "loop",
              nodes: ["step"],
              maxIterations: 3,
              until: { kind: "condition", source: "outputs.step ===" },
              onMaxIterations: "succeed"
            }
          ]
        )
        const result = yield* Runtime.execute(wf, {}, { functions: { first: () => ran++ } })
        assert.strictEqual(ran, 0)
        assert.strictEqual(result.status, "failed")
        assert.strictEqual(result.errors.length, 1)
        const error = result.errors[0]!
        assert.strictEqual(error._tag, "WorkflowNotExecutable")
        if (error._tag === "WorkflowNotExecutable") {
          const issues = error.issues ?? []
          assert.deepStrictEqual(
            issues.map((issue) => [issue.code, issue.path, issue.line]),
            [
              ["SyntaxError", "nodes[1].source", 2],
              ["SyntaxError", "nodes[3].source", 1],
              ["SyntaxError", "loops[0].until.source", 1]
            ]
          )
          assert.include(error.message, "code node parse does not parse at line 2, column")
          assert.include(error.message, "the condition of loop loop")
        }
        assert.isTrue(Object.values(result.nodes).every((node) => node.status === "skipped"))
      }).pipe(Effect.provide(sandbox))
  )
})
