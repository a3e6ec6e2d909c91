// The runtime's behaviours on both engines: each scenario runs in memory (`Runtime.execute`) and
// durably (SQLite, PostgreSQL), and the results must agree (status, outputs, every node's status
// and attempts, error tags). Scenarios follow the runtime's behavioural tests
// (packages/runtime/test). Runtime tests that do not apply here, and why:
// - tests driven by TestClock (virtual time): a durable engine stores wall-clock timestamps and
//   waits on the real clock — the behaviours they pin (retry delays, timeouts) run here on the
//   real clock with wide margins instead;
// - Execution.send / nextEvent (code-node guest waits): not durable by design (see README); the
//   durable mailbox (Durable.send → event nodes) is covered by the crash and Mailbox tests;
// - cancellation through Runtime.start / AbortSignal: the durable path is Durable.cancel,
//   covered in Store.test.ts;
// - resource lifetime tests (acquire/release order per run): resources come from the runner's
//   Runtime and behave as in memory; they are not part of what the journal records;
// - observability / spans / Properties (fast-check over random graphs at thousands of runs):
//   too slow through a store; the per-node records they rely on are exercised by the crash tests.
import { assert, describe, it } from "@effect/vitest"
import { Runtime } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import { Effect, type Layer } from "effect"
import { Durable } from "../src/index.js"
import {
  code,
  connect,
  postgresUrl,
  schemaName,
  task,
  storeLocations,
  workflow
} from "./helpers.js"

const dirs = storeLocations()

type Wf = Runtime.Workflow
type Connection = Wf["connections"][number]
const onFailure = (from: string, output: string, to: string, input: string): Connection =>
  ({ from, output, to, input, on: "failure" }) as Connection

interface Scenario {
  readonly name: string
  readonly workflow: Wf
  readonly params?: Runtime.Params
  readonly functions: () => { readonly [name: string]: Runtime.RegisteredFunction }
}

const pause = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))
const fail = (name: string, message: string) => Object.assign(new Error(message), { name })

const scenarios: ReadonlyArray<Scenario> = [
  {
    name: "a failing node's downstream never runs; upstream outputs are kept (fail-fast)",
    workflow: workflow(
      "ff",
      [task("a"), task("b"), task("c")],
      [connect("a", "", "b", "x"), connect("b", "", "c", "x")]
    ),
    functions: () => ({
      a: () => ({ ok: 1 }),
      b: () => {
        throw fail("Boom", "b broke")
      },
      c: () => ({ never: true })
    })
  },
  {
    name: "continue mode runs independent branches and skips only descendants",
    workflow: workflow(
      "cont",
      [task("bad"), task("after"), task("other")],
      [connect("bad", "", "after", "x")],
      { failureMode: "continue" }
    ),
    functions: () => ({
      bad: () => {
        throw fail("Boom", "bad")
      },
      after: () => ({}),
      other: () => ({ other: true })
    })
  },
  {
    name: "a node timeout fails the node with NodeTimedOut (status timed-out)",
    workflow: workflow("nto", [task("slow", { timeout: 100 })]),
    functions: () => ({ slow: () => pause(5_000) })
  },
  {
    name: "a workflow timeout stops running nodes: status timed-out, WorkflowTimedOut",
    workflow: workflow("wto", [task("fast"), task("slow")], [connect("fast", "", "slow", "x")], {
      timeout: 300
    }),
    functions: () => ({
      fast: () => ({ ok: true }),
      // a task that honours its abort signal: the timeout must reach it on both engines
      slow: (_: unknown, ctx: Runtime.TaskContext) =>
        new Promise((resolve) => {
          const timer = setTimeout(resolve, 30_000)
          ctx.signal.addEventListener("abort", () => {
            clearTimeout(timer)
            resolve(null)
          })
        })
    })
  },
  {
    name: "retries a failing node per its policy, then succeeds (attempts counted)",
    workflow: workflow("retry", [
      task("flaky", {
        retry: { maxAttempts: 4, backoff: { kind: "fixed", delay: 20 }, jitter: "none" }
      })
    ]),
    functions: () => {
      let calls = 0
      return {
        flaky: (_: unknown, ctx: Runtime.TaskContext) => {
          calls++
          if (ctx.attempt < 3) throw fail("Busy", `busy ${calls}`)
          return { attempt: ctx.attempt }
        }
      }
    }
  },
  {
    name: "retries exhausted fail with RetriesExhausted",
    workflow: workflow("exhaust", [
      task("never", {
        retry: { maxAttempts: 3, backoff: { kind: "fixed", delay: 10 }, jitter: "full" }
      })
    ]),
    functions: () => ({
      never: () => {
        throw fail("Down", "still down")
      }
    })
  },
  {
    name: "a task calling an unregistered function fails with FunctionNotFound",
    workflow: workflow("missing", [task("x", { fn: "nope" })]),
    functions: () => ({})
  },
  {
    name: "a failure connection hands the error (as JSON) to a fallback node",
    workflow: workflow(
      "fallback",
      [task("primary"), task("rescue")],
      [onFailure("primary", "", "rescue", "error")]
    ),
    functions: () => ({
      primary: () => {
        throw fail("Unavailable", "primary is down")
      },
      rescue: ({ error }: { readonly error: { readonly _tag: string } }) => ({
        rescued: error._tag
      })
    })
  },
  {
    name: "a loop iterates until its value converges",
    workflow: {
      ...workflow(
        "smooth",
        [task("step"), task("report")],
        [connect("step", "value", "step", "x"), connect("step", "value", "report", "final")]
      ),
      loops: [
        {
          id: "smoothing",
          nodes: ["step"],
          maxIterations: 50,
          until: { kind: "converged", node: "step", output: "value", tolerance: 0.01 },
          onMaxIterations: "fail"
        }
      ]
    } as Wf,
    params: { step: { x: 0 } },
    functions: () => ({
      step: ({ x }: { readonly x: number }) => ({ value: (x + 10) / 2 }),
      report: ({ final }: { readonly final: number }) => ({ final })
    })
  },
  {
    name: "code nodes see params and upstream outputs, and the global idempotencyKey",
    workflow: workflow(
      "code",
      [task("a"), code("b", "return { sum: n + base, key: idempotencyKey }")],
      [connect("a", "n", "b", "n")]
    ),
    params: { base: 10 },
    functions: () => ({ a: () => ({ n: 5 }) })
  },
  {
    name: "a delay node passes its inputs through after the delay",
    workflow: workflow(
      "delay",
      [
        task("a"),
        { kind: "delay", id: "wait", duration: 50 } as unknown as Wf["nodes"][number],
        task("b")
      ],
      [connect("a", "", "wait", "order"), connect("wait", "order", "b", "order")]
    ),
    functions: () => ({
      a: () => ({ id: 7 }),
      b: ({ order }: { readonly order: unknown }) => ({ got: order })
    })
  }
]

interface Summary {
  readonly status: string
  readonly outputs: unknown
  readonly nodes: Record<string, { readonly status: string; readonly attempts: number }>
  readonly errors: ReadonlyArray<string>
}
const summarize = (result: Runtime.ExecutionResult): Summary => ({
  status: result.status,
  outputs: result.outputs,
  nodes: Object.fromEntries(
    Object.entries(result.nodes).map(([id, node]) => [
      id,
      { status: node.status, attempts: node.attempts }
    ])
  ),
  errors: result.errors.map((error) => error._tag)
})

const inMemory = (scenario: Scenario, key: string) =>
  Runtime.make({ functions: scenario.functions() })
    .execute(scenario.workflow, scenario.params ?? {}, { executionId: key })
    .pipe(Effect.provide(Sandbox.layerQuickJs()))

const durable = (
  scenario: Scenario,
  key: string,
  layer: (runtime: Runtime.Runtime) => Layer.Layer<Durable.Durable, unknown>
) =>
  Effect.flatMap(
    Durable.start(scenario.workflow, scenario.params ?? {}, { key }),
    (execution) => execution.result
  ).pipe(Effect.provide(layer(Runtime.make({ functions: scenario.functions() }))))

const engines = {
  sqlite: (name: string) => (runtime: Runtime.Runtime) =>
    Durable.layerSqlite({ filename: dirs.file(`${name}.db`), runtime }),
  postgres: (name: string) => (runtime: Runtime.Runtime) =>
    Durable.layerPostgres({ url: postgresUrl, schema: schemaName(name), runtime })
}

describe("the runtime's behaviours, in memory and durable", () => {
  scenarios.forEach((scenario, index) => {
    it.live(
      scenario.name,
      () =>
        Effect.gen(function* () {
          const key = `parity-${index}`
          const expected = summarize(yield* inMemory(scenario, key))
          for (const [engine, layer] of Object.entries(engines)) {
            const actual = summarize(yield* durable(scenario, key, layer(`parity_${index}`)))
            assert.deepStrictEqual(
              actual,
              expected,
              `${engine} disagrees with the in-memory runtime`
            )
          }
        }),
      25_000
    )
  })
})
