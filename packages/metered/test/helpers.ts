// Workflow data builders for tests (the shape @weft/graph's builder produces).
import type { Runtime } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"

type Workflow = Runtime.Workflow
type Node = Workflow["nodes"][number]
type Connection = Workflow["connections"][number]

export const task = (
  id: string,
  options: { readonly fn?: string; readonly retry?: Node["retry"] } = {}
): Node => ({
  kind: "task",
  id,
  function: options.fn ?? id,
  ...(options.retry === undefined ? {} : { retry: options.retry })
})

export const code = (id: string, source: string): Node => ({ kind: "code", id, source })

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
  settings: Partial<Workflow["settings"]> = {}
): Workflow => ({
  id,
  nodes,
  connections,
  loops: [],
  settings: { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast", ...settings }
})

export const sandbox = Sandbox.layerQuickJsInThread
