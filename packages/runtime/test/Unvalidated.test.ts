import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { Runtime } from "../src/index.js"
import { connect, sandbox, task, workflow } from "./helpers.js"

const settings = { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast" }

// Raw values a caller could pass without running Workflow.validate / fromJSON first.
const cases: ReadonlyArray<readonly [string, unknown, string, string]> = [
  ["null", null, "", "must be an object"],
  ["no settings", { id: "w", nodes: [], connections: [], loops: [] }, "settings", "settings"],
  [
    "no connections or loops",
    { id: "w", nodes: [{ kind: "task", id: "a", function: "a" }], settings },
    "connections",
    "connections must be an array"
  ],
  ["a null node", { id: "w", nodes: [null], connections: [], loops: [], settings }, "nodes[0]", ""],
  ["duplicate node ids", workflow("w", [task("a"), task("a")]), "nodes[1].id", "already used"],
  [
    "a cycle",
    workflow("w", [task("a"), task("b")], [connect("a", "", "b", "x"), connect("b", "", "a", "y")]),
    "connections[1]",
    "a → b → a"
  ],
  [
    "a node connected to itself outside a loop",
    workflow("w", [task("a")], [connect("a", "", "a", "x")]),
    "connections[0]",
    "itself"
  ],
  [
    "a connection to an unknown node",
    workflow("w", [task("a")], [connect("a", "", "zz", "x")]),
    "connections[0].to",
    "zz"
  ],
  [
    "a loop that may not iterate",
    workflow("w", [task("a")], [], {}, [
      {
        id: "l",
        nodes: ["a"],
        maxIterations: 0,
        until: { kind: "converged", node: "a", output: "", tolerance: 0 },
        onMaxIterations: "succeed"
      }
    ]),
    "loops[0].maxIterations",
    "at least 1"
  ],
  [
    "a concurrency that is not a number",
    workflow("w", [task("a")], [], { concurrency: "lots" as unknown as number }),
    "settings.concurrency",
    "lots"
  ],
  [
    "a node id that is not a string",
    {
      id: "w",
      nodes: [{ kind: "task", id: 5, function: "a" }],
      connections: [],
      loops: [],
      settings
    },
    "nodes[0].id",
    "must be a string"
  ],
  [
    "a function name that is not a string",
    {
      id: "w",
      nodes: [{ kind: "task", id: "a", function: 7 }],
      connections: [],
      loops: [],
      settings
    },
    "nodes[0].function",
    ""
  ],
  [
    "an input name that is not a string",
    workflow("w", [task("a"), task("b")], [connect("a", "", "b", 3 as unknown as string)]),
    "connections[0].input",
    "must be a string"
  ],
  [
    "a path that is not a string",
    workflow("w", [task("a"), task("b")], [connect("a", 5 as unknown as string, "b", "x")]),
    "connections[0].output",
    "dot path"
  ]
]

describe("unvalidated workflows", () => {
  for (const [name, value, path, text] of cases) {
    it.effect(
      `${name}: a failed result with WorkflowNotExecutable listing the issue, no node runs`,
      () =>
        Effect.gen(function* () {
          let ran = 0
          const functions = { a: () => ++ran, b: () => ++ran }
          const exit = yield* Effect.exit(
            Runtime.execute(value as Runtime.Workflow, {}, { functions })
          )
          assert.isTrue(Exit.isSuccess(exit), "never a defect")
          if (!Exit.isSuccess(exit)) return
          const result = exit.value
          assert.strictEqual(result.status, "failed")
          assert.strictEqual(ran, 0)
          const error = result.errors[0]!
          assert.strictEqual(error._tag, "WorkflowNotExecutable")
          if (error._tag !== "WorkflowNotExecutable") return
          assert.isTrue(
            (error.issues ?? []).some(
              (issue) => issue.path === path && issue.message.includes(text)
            ),
            JSON.stringify(error.issues)
          )
          assert.include(error.message, path)
          assert.isTrue(Object.values(result.nodes).every((node) => node.status === "skipped"))
          const back = JSON.parse(JSON.stringify(result))
          assert.strictEqual(back.errors[0].issues[0].path, error.issues?.[0]?.path)
        }).pipe(Effect.provide(sandbox))
    )
  }

  it.effect("names that are strings but not well formed are left to the runtime", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "w",
        [task("load step", { fn: "load.v2" }), task("use")],
        [connect("load step", "", "use", "x-data")]
      )
      const result = yield* Runtime.execute(
        wf,
        {},
        { functions: { "load.v2": () => 1, use: (inputs: unknown) => inputs } }
      )
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.use, { "x-data": 1 })
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a workflow without `version` (the runtime's own type) runs", () =>
    Effect.gen(function* () {
      const result = yield* Runtime.execute(
        workflow("w", [task("a")]),
        {},
        { functions: { a: () => 1 } }
      )
      assert.strictEqual(result.status, "succeeded")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("the Promise facade resolves with the same typed error", () =>
    Effect.promise(async () => {
      const result = await Runtime.run({ id: "w" } as unknown as Runtime.Workflow)
      assert.strictEqual(result.status, "failed")
      assert.strictEqual(result.errors[0]!._tag, "WorkflowNotExecutable")
    })
  )
})
