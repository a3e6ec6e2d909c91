/**
 * Questions about a workflow's shape: order, levels, neighbours, the critical path, cycles
 * and a Mermaid rendering. Everything here follows the DAG of non-feedback connections
 * (see `Loop` for the feedback rule) and is also exported from `Workflow`. Failure
 * connections are edges of that DAG like any other: their target waits for the source to
 * finish, so they count for order, levels, neighbours, the critical path and cycles.
 *
 * Each function works from an index built once per workflow value (O(nodes + connections))
 * and cached, so repeated questions about the same workflow are cheap.
 *
 * @since 0.1.0
 */
import type { Connection } from "./Connection.js"
import { cycleThrough, cyclicComponents, type GraphIndex, indexOf } from "./internal/graphIndex.js"
import type { Loop } from "./Loop.js"
import type { Node, NodeId } from "./Node.js"
import type { Workflow } from "./Workflow.js"

const idsOf = (index: GraphIndex, positions: ArrayLike<number>): Array<NodeId> => {
  const out = new Array<NodeId>(positions.length)
  for (let i = 0; i < positions.length; i++) out[i] = index.ids[positions[i]!]!
  return out
}

/**
 * Node ids in an order where every node comes after the nodes it depends on (Kahn's
 * algorithm; among ready nodes the one declared first goes first). Feedback connections are ignored. Nodes on a cycle
 * of ordinary connections (an invalid workflow) are left out; `findCycle` names them.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("b").task("a").connect("a", "", "b", "x").build()
 * Workflow.topologicalOrder(wf) // ["a", "b"]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const topologicalOrder = (workflow: Workflow): Array<NodeId> => {
  const index = indexOf(workflow)
  return idsOf(index, index.order)
}

const levelNumbers = (index: GraphIndex): Int32Array => {
  const level = new Int32Array(index.size).fill(-1)
  const { order, out } = index
  for (let i = 0; i < order.length; i++) {
    const v = order[i]!
    if (level[v] === -1) level[v] = 0
    const next = level[v]! + 1
    for (let slot = out.start[v]!, end = out.start[v + 1]!; slot < end; slot++) {
      const w = out.target[slot]!
      if (level[w]! < next) level[w] = next
    }
  }
  return level
}

/**
 * Nodes grouped by dependency depth: level 0 are the roots, level k nodes depend on at least
 * one node of level k-1. Nodes of one level can run in parallel. Declaration order within a level.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").task("b").task("c")
 *   .connect("a", "", "c", "x").connect("b", "", "c", "y").build()
 * Workflow.levels(wf) // [["a", "b"], ["c"]]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const levels = (workflow: Workflow): Array<Array<NodeId>> => {
  const index = indexOf(workflow)
  const level = levelNumbers(index)
  const out: Array<Array<NodeId>> = []
  for (let v = 0; v < index.size; v++) {
    const l = level[v]!
    if (l === -1) continue
    while (out.length <= l) out.push([])
    out[l]!.push(index.ids[v]!)
  }
  return out
}

const neighbours = (workflow: Workflow, id: NodeId, direction: "in" | "out"): Array<NodeId> => {
  const index = indexOf(workflow)
  const v = index.position.get(id)
  if (v === undefined) return []
  const adjacency = direction === "in" ? index.in : index.out
  const seen = new Set<number>()
  const out: Array<NodeId> = []
  for (let slot = adjacency.start[v]!, end = adjacency.start[v + 1]!; slot < end; slot++) {
    const w = adjacency.target[slot]!
    if (!seen.has(w)) {
      seen.add(w)
      out.push(index.ids[w]!)
    }
  }
  return out
}

/**
 * The nodes `id` directly depends on (sources of its non-feedback connections), once each.
 * Unknown ids give `[]`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").task("b").connect("a", "", "b", "x").build()
 * Workflow.predecessors(wf, "b") // ["a"]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const predecessors = (workflow: Workflow, id: NodeId): Array<NodeId> =>
  neighbours(workflow, id, "in")

/**
 * The nodes that directly depend on `id`, once each. Unknown ids give `[]`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").task("b").connect("a", "", "b", "x").build()
 * Workflow.successors(wf, "a") // ["b"]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const successors = (workflow: Workflow, id: NodeId): Array<NodeId> =>
  neighbours(workflow, id, "out")

const reachable = (workflow: Workflow, id: NodeId, direction: "in" | "out"): Array<NodeId> => {
  const index = indexOf(workflow)
  const start = index.position.get(id)
  if (start === undefined) return []
  const adjacency = direction === "in" ? index.in : index.out
  const seen = new Uint8Array(index.size)
  const stack = [start]
  seen[start] = 1
  while (stack.length > 0) {
    const v = stack.pop()!
    for (let slot = adjacency.start[v]!, end = adjacency.start[v + 1]!; slot < end; slot++) {
      const w = adjacency.target[slot]!
      if (seen[w] === 0) {
        seen[w] = 1
        stack.push(w)
      }
    }
  }
  seen[start] = 0
  const out: Array<NodeId> = []
  for (let i = 0; i < index.order.length; i++) {
    const v = index.order[i]!
    if (seen[v] === 1) out.push(index.ids[v]!)
  }
  return out
}

/**
 * Every node that depends on `id`, directly or not, in topological order, without `id`
 * itself. Nodes reached through failure connections are included (they wait for `id` too).
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").task("b").task("c")
 *   .connect("a", "", "b", "x").connect("b", "", "c", "x").build()
 * Workflow.descendants(wf, "a") // ["b", "c"]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const descendants = (workflow: Workflow, id: NodeId): Array<NodeId> =>
  reachable(workflow, id, "out")

/**
 * Every node `id` depends on, directly or not, in topological order, without `id` itself.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").task("b").task("c")
 *   .connect("a", "", "b", "x").connect("b", "", "c", "x").build()
 * Workflow.ancestors(wf, "c") // ["a", "b"]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const ancestors = (workflow: Workflow, id: NodeId): Array<NodeId> =>
  reachable(workflow, id, "in")

/**
 * Nodes without incoming (non-feedback) connections, in declaration order.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").task("b").connect("a", "", "b", "x").build()
 * Workflow.roots(wf) // ["a"]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const roots = (workflow: Workflow): Array<NodeId> => {
  const index = indexOf(workflow)
  const out: Array<NodeId> = []
  for (let v = 0; v < index.size; v++) {
    if (index.in.start[v] === index.in.start[v + 1]) out.push(index.ids[v]!)
  }
  return out
}

/**
 * Nodes without outgoing (non-feedback) connections, in declaration order.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").task("b").connect("a", "", "b", "x").build()
 * Workflow.leaves(wf) // ["b"]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const leaves = (workflow: Workflow): Array<NodeId> => {
  const index = indexOf(workflow)
  const out: Array<NodeId> = []
  for (let v = 0; v < index.size; v++) {
    if (index.out.start[v] === index.out.start[v + 1]) out.push(index.ids[v]!)
  }
  return out
}

/**
 * The longest chain of dependent nodes, weighted by declared timeouts.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const path = Workflow.criticalPath(Workflow.make("w").task("a", { timeout: 100 }).build())
 * path.nodes // ["a"]
 * ```
 * @since 0.1.0
 * @category models
 */
export interface CriticalPath {
  /** The chain, first to last. */
  readonly nodes: ReadonlyArray<NodeId>
  /** Sum of the declared timeouts along the chain (ms); a loop node counts `maxIterations` times. */
  readonly duration: number
  /** Nodes on the chain with no declared bound (they count as 0): no timeout and no `settings.nodeTimeout`; an event without `timeout`; a delay `until` an input. */
  readonly untimed: ReadonlyArray<NodeId>
}

/**
 * The chain of dependent nodes with the largest sum of declared timeouts (node timeout, else
 * `settings.nodeTimeout`; loop nodes times `maxIterations`): the worst case the workflow
 * timeout must cover. A delay counts its `duration` (a delay `until` an input is untimed); an
 * event counts its own `timeout` only (`settings.nodeTimeout` is for work, not waits). A
 * chain may pass through a failure connection (the source's worst case is to fail, then the
 * fallback runs). Ties go to the chain with more nodes, so without any timeouts this is the
 * longest chain.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w")
 *   .task("fetch", { timeout: "2 seconds" }).task("fast", { timeout: 100 }).task("save", { timeout: 500 })
 *   .connect("fetch", "", "save", "a").connect("fast", "", "save", "b").build()
 * Workflow.criticalPath(wf) // { nodes: ["fetch", "save"], duration: 2500, untimed: [] }
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const criticalPath = (workflow: Workflow): CriticalPath => {
  const index = indexOf(workflow)
  const { size, order, in: incoming } = index
  const fallback = workflow.settings.nodeTimeout
  const weight = new Float64Array(size)
  const timed = new Uint8Array(size)
  for (let v = 0; v < size; v++) {
    const node = workflow.nodes[v]!
    const declared =
      node.kind === "delay"
        ? node.duration
        : node.kind === "event"
          ? node.timeout
          : (node.timeout ?? fallback)
    const loop = index.loopOf[v]! === -1 ? undefined : workflow.loops[index.loopOf[v]!]
    if (declared !== undefined) {
      timed[v] = 1
      weight[v] = declared * (loop === undefined ? 1 : loop.maxIterations)
    }
  }
  const total = new Float64Array(size)
  const count = new Int32Array(size)
  const parent = new Int32Array(size).fill(-1)
  let best = -1
  for (let i = 0; i < order.length; i++) {
    const v = order[i]!
    let bestTotal = 0
    let bestCount = 0
    for (let slot = incoming.start[v]!, end = incoming.start[v + 1]!; slot < end; slot++) {
      const u = incoming.target[slot]!
      if (total[u]! > bestTotal || (total[u] === bestTotal && count[u]! > bestCount)) {
        bestTotal = total[u]!
        bestCount = count[u]!
        parent[v] = u
      }
    }
    total[v] = bestTotal + weight[v]!
    count[v] = bestCount + 1
    if (
      best === -1 ||
      total[v]! > total[best]! ||
      (total[v] === total[best] && count[v]! > count[best]!)
    ) {
      best = v
    }
  }
  const nodes: Array<NodeId> = []
  const untimed: Array<NodeId> = []
  for (let v = best; v !== -1; v = parent[v]!) {
    nodes.push(index.ids[v]!)
    if (timed[v] === 0) untimed.push(index.ids[v]!)
  }
  nodes.reverse()
  untimed.reverse()
  return { nodes, duration: best === -1 ? 0 : total[best]!, untimed }
}

/**
 * A cycle of ordinary (non-feedback) connections as a path whose first and last ids are the
 * same (`["a", "b", "c", "a"]`; a self-connection outside a loop gives `["a", "a"]`), or
 * `undefined` when there is none. A valid workflow has none.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").task("b").build()
 * Workflow.findCycle(wf) // undefined
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const findCycle = (workflow: Workflow): Array<NodeId> | undefined => {
  const index = indexOf(workflow)
  if (index.order.length < index.size) {
    const { component, groups } = cyclicComponents(index.size, index.out)
    const first = groups[0]
    if (first !== undefined)
      return idsOf(index, cycleThrough(first[0]!, index.out, component).nodes)
  }
  const connections = workflow.connections
  for (let c = 0; c < connections.length; c++) {
    const connection = connections[c]!
    if (connection.from === connection.to && index.resolved[c] === 1 && index.feedback[c] === 0) {
      return [connection.from, connection.from]
    }
  }
  return undefined
}

/**
 * The node with this id, or `undefined`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").code("a", "return 1").build()
 * Workflow.getNode(wf, "a")?.kind // "code"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const getNode = (workflow: Workflow, id: NodeId): Node | undefined => {
  const v = indexOf(workflow).position.get(id)
  return v === undefined ? undefined : workflow.nodes[v]
}

/**
 * The loop whose body contains node `id`, or `undefined`.
 *
 * @example
 * ```ts
 * import { Loop, Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a")
 *   .loop("again", ["a"], { maxIterations: 3, until: Loop.condition("iteration >= 3") }).build()
 * Workflow.loopOf(wf, "a")?.id // "again"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const loopOf = (workflow: Workflow, id: NodeId): Loop | undefined => {
  const index = indexOf(workflow)
  const v = index.position.get(id)
  if (v === undefined || index.loopOf[v] === -1) return undefined
  return workflow.loops[index.loopOf[v]!]
}

/**
 * Whether the connection at `connectionIndex` (its position in `workflow.connections`) is a
 * feedback connection: it delivers the previous iteration's value inside a loop.
 *
 * @example
 * ```ts
 * import { Loop, Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("guess").task("check")
 *   .connect("guess", "", "check", "value").connect("check", "next", "guess", "previous")
 *   .loop("refine", ["guess", "check"], { maxIterations: 5, until: Loop.condition("outputs.check.ok") })
 *   .build()
 * Workflow.isFeedback(wf, 1) // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isFeedback = (workflow: Workflow, connectionIndex: number): boolean =>
  indexOf(workflow).feedback[connectionIndex] === 1

/**
 * The connections that feed inputs of node `id` (feedback ones included; check them with
 * `isFeedback`), as `[connectionIndex, connection]` pairs in declaration order.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").task("b").connect("a", "rows", "b", "rows").build()
 * Workflow.incoming(wf, "b") // [[0, { from: "a", output: "rows", to: "b", input: "rows" }]]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const incoming = (
  workflow: Workflow,
  id: NodeId
): Array<readonly [connectionIndex: number, connection: Connection]> =>
  connectionsBy(workflow, "to").get(id) ?? []

/**
 * The connections leaving node `id` (feedback ones included), as `[connectionIndex,
 * connection]` pairs in declaration order.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").task("b").connect("a", "rows", "b", "rows").build()
 * Workflow.outgoing(wf, "a").length // 1
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const outgoing = (
  workflow: Workflow,
  id: NodeId
): Array<readonly [connectionIndex: number, connection: Connection]> =>
  connectionsBy(workflow, "from").get(id) ?? []

type ByNode = Map<NodeId, Array<readonly [number, Connection]>>
const byNodeCache = { from: new WeakMap<Workflow, ByNode>(), to: new WeakMap<Workflow, ByNode>() }

const connectionsBy = (workflow: Workflow, end: "from" | "to"): ByNode => {
  const cache = byNodeCache[end]
  let map = cache.get(workflow)
  if (map === undefined) {
    map = new Map()
    const connections = workflow.connections
    for (let c = 0; c < connections.length; c++) {
      const connection = connections[c]!
      const key = connection[end]
      let list = map.get(key)
      if (list === undefined) {
        list = []
        map.set(key, list)
      }
      list.push([c, connection])
    }
    cache.set(workflow, map)
  }
  return map
}

const label = (text: string): string =>
  `"${text.replace(/&/g, "#amp;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;")}"`

/**
 * A Mermaid flowchart of the workflow: code nodes as boxes, task nodes as subroutines, delay
 * nodes as hexagons (`wait 5000 ms` / `wait until <input>`), event nodes as flags
 * (`event <name>`), loops as subgraphs, connections labelled `output → input`, feedback
 * connections dashed, failure connections dashed, red and labelled `on failure: …`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").code("b", "return x").connect("a", "", "b", "x").build()
 * Workflow.toMermaid(wf)
 * // flowchart TD
 * //   n0[["a"]]
 * //   n1["b"]
 * //   n0 -->|"→ x"| n1
 * const escalate = Workflow.make("escalate")
 *   .event("approval", "approved", { timeout: "1 day" }).task("remind")
 *   .onFailure("approval", "_tag", "remind", "reason").build()
 * Workflow.toMermaid(escalate)
 * // flowchart TD
 * //   n0>"approval (event approved)"]
 * //   n1[["remind"]]
 * //   n0 -.->|"on failure: _tag → reason"| n1
 * //   linkStyle 0 stroke:#d9534f,color:#d9534f
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const toMermaid = (workflow: Workflow): string => {
  const index = indexOf(workflow)
  const lines = ["flowchart TD"]
  const shape = (v: number, indent: string) => {
    const node = workflow.nodes[v]!
    switch (node.kind) {
      case "task":
        lines.push(`${indent}n${v}[[${label(node.id)}]]`)
        return
      case "delay": {
        const wait =
          node.until !== undefined ? `wait until ${node.until}` : `wait ${node.duration} ms`
        lines.push(`${indent}n${v}{{${label(`${node.id} (${wait})`)}}}`)
        return
      }
      case "event":
        lines.push(`${indent}n${v}>${label(`${node.id} (event ${node.event})`)}]`)
        return
      default:
        lines.push(`${indent}n${v}[${label(node.id)}]`)
    }
  }
  for (let v = 0; v < index.size; v++) if (index.loopOf[v] === -1) shape(v, "  ")
  workflow.loops.forEach((loop, l) => {
    lines.push(`  subgraph loop${l}[${label(`loop ${loop.id} (max ${loop.maxIterations})`)}]`)
    for (const member of loop.nodes) {
      const v = index.position.get(member)
      if (v !== undefined && index.loopOf[v] === l) shape(v, "    ")
    }
    lines.push("  end")
  })
  const failureLinks: Array<number> = []
  let links = 0
  workflow.connections.forEach((connection, c) => {
    if (index.resolved[c] !== 1) return
    const from = index.position.get(connection.from)!
    const to = index.position.get(connection.to)!
    const failure = connection.on === "failure"
    const text = label(
      `${failure ? "on failure: " : ""}${connection.output === "" ? "" : `${connection.output} `}→ ${connection.input}`
    )
    const arrow = failure || index.feedback[c] === 1 ? "-.->" : "-->"
    if (failure) failureLinks.push(links)
    links++
    lines.push(`  n${from} ${arrow}|${text}| n${to}`)
  })
  if (failureLinks.length > 0) {
    lines.push(`  linkStyle ${failureLinks.join(",")} stroke:#d9534f,color:#d9534f`)
  }
  return lines.join("\n")
}
