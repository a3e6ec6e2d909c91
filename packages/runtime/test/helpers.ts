// Small builders for workflow data in tests (the same shape @weft/graph's builder produces).
import { Sandbox } from "@weft/sandbox"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { Runtime } from "../src/index.js"

type Workflow = Runtime.Workflow
type Node = Workflow["nodes"][number]
type Settings = Workflow["settings"]
type Connection = Workflow["connections"][number]
type Loop = Workflow["loops"][number]

export const task = (
  id: string,
  options: Omit<Extract<Node, { kind: "task" }>, "kind" | "id" | "function"> & {
    readonly fn?: string
  } = {}
): Node => {
  const { fn, ...rest } = options
  return { kind: "task", id, function: fn ?? id, ...rest }
}

export const code = (
  id: string,
  source: string,
  options: Omit<Extract<Node, { kind: "code" }>, "kind" | "id" | "source"> = {}
): Node => ({ kind: "code", id, source, ...options })

export const connect = (from: string, output: string, to: string, input: string): Connection => ({
  from,
  output,
  to,
  input
})

export const workflow = (
  id: string,
  nodes: ReadonlyArray<Node>,
  connections: ReadonlyArray<Connection> = [],
  settings: Partial<Settings> = {},
  loops: ReadonlyArray<Loop> = []
): Workflow => ({
  id,
  nodes,
  connections,
  loops,
  settings: { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast", ...settings }
})

export const sandbox = Sandbox.layerQuickJsInThread

/**
 * Drives the TestClock in `step` ms increments, letting real work (sandbox runs) proceed between
 * steps, until `fiber` is done. For code-node tests, where the guest reaches its `sleep` only
 * after real asynchronous work.
 */
export const drive = <A, E>(fiber: Fiber.Fiber<A, E>, step = 10, maxSteps = 100_000) =>
  Effect.gen(function* () {
    for (let i = 0; i < maxSteps && fiber.pollUnsafe() === undefined; i++) {
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 0)))
      if (fiber.pollUnsafe() !== undefined) break
      yield* TestClock.adjust(step)
    }
    return yield* Fiber.join(fiber)
  })
