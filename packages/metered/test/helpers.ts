// Workflow data builders for tests (the shape @weft/graph's builder produces).
import type { Runtime } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import { Effect } from "effect"
import type { BudgetStore } from "../src/Budget.js"

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

/**
 * The same scenario for every budget store: a reservation never settled within its hold is
 * released by the next reservation; settling it late still charges the actual amount once.
 */
export const abandonedReservation = (store: BudgetStore, bucket: string) =>
  Effect.gen(function* () {
    const request = { bucket, amount: 6, limit: 10, retainMillis: 60_000, holdMillis: 1000 }
    const first = yield* store.reserve({ ...request, now: 0 })
    const early = yield* store.reserve({ ...request, now: 999 })
    const late = yield* store.reserve({ ...request, now: 1000 })
    const state = yield* store.state(bucket)
    const settledLate =
      first._tag === "Reserved" ? yield* store.settle(first.reservation, 3, 60_000) : undefined
    return { first: first._tag, early: early._tag, late: late._tag, state, settledLate }
  })

export const abandonedExpected: Effect.Success<ReturnType<typeof abandonedReservation>> = {
  first: "Reserved",
  early: "Refused",
  late: "Reserved",
  state: { spent: 0, reserved: 6 },
  settledLate: { spent: 3, reserved: 6 }
}
