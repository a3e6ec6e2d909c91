// The crash-test workflow: 23 nodes — task and code nodes whose side effects go to an external
// database keyed by idempotency key, a flaky node retried with backoff, a parallel pair, a
// 300 ms delay node and an event node (its event is sent by another process).
import type { Runtime } from "@weft/runtime"
import { code, connect, task, workflow } from "../helpers.js"

type Node = Runtime.Workflow["nodes"][number]

/** Nodes with side effects, in chain order; `p1`/`p2` run in parallel between `n09` and `n10`. */
export const chain = [
  "n01",
  "n02",
  "n03",
  "n04",
  "flaky",
  "n06",
  "n07",
  "n08",
  "n09",
  "n10",
  "n11",
  "n12",
  "n13",
  "n14",
  "n15",
  "n16",
  "n17",
  "n18"
] as const

/** Nodes with a side effect (the chain, the parallel pair and the node after the event). */
export const effectful = [...chain, "p1", "p2", "n19"] as const

export const delayMillis = 300
export const eventName = "approved"

const codeNode = (id: string): Node =>
  code(
    id,
    `await record(idempotencyKey, ${JSON.stringify(id)}); return { v: (v * 3 + ${id.length}) % 1000003 }`
  )

export const crashWorkflow = (): Runtime.Workflow => {
  const nodes: Array<Node> = []
  const connections: Array<Runtime.Workflow["connections"][number]> = []
  chain.forEach((id, index) => {
    if (id === "flaky") {
      nodes.push(
        task(id, {
          fn: "flaky",
          retry: {
            maxAttempts: 4,
            backoff: { kind: "exponential", base: 40, factor: 2 },
            jitter: "full"
          }
        })
      )
    } else {
      nodes.push(index % 2 === 0 ? task(id, { fn: "step" }) : codeNode(id))
    }
    const previous = chain[index - 1]
    if (previous === undefined || id === "n10") return
    // n12 → wait (a delay) → n13
    if (id === "n13")
      connections.push(connect("n12", "v", "wait", "v"), connect("wait", "v", "n13", "v"))
    else connections.push(connect(previous, "v", id, "v"))
  })
  nodes.push(task("p1", { fn: "step" }), codeNode("p2"))
  connections.push(connect("n09", "v", "p1", "v"), connect("n09", "v", "p2", "v"))
  connections.push(connect("p1", "v", "n10", "v"), connect("p2", "v", "n10", "w"))
  nodes.push({ kind: "delay", id: "wait", duration: delayMillis } as unknown as Node)
  // n18 → approval (waits for the event; its output is the event's payload) → n19
  nodes.push(
    { kind: "event", id: "approval", event: eventName } as unknown as Node,
    task("n19", { fn: "step" })
  )
  connections.push(
    connect("n18", "v", "approval", "after"),
    connect("approval", "v", "n19", "w"),
    connect("n18", "v", "n19", "v")
  )
  return workflow("crash", nodes, connections)
}
