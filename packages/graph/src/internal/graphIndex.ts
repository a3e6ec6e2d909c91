import type { Workflow } from "../Workflow.js"

/**
 * Adjacency in compressed sparse row form: the targets of node `v` are
 * `target[start[v] .. start[v + 1])`, and `via` holds the connection index of each slot.
 */
export interface Adjacency {
  readonly start: Int32Array
  readonly target: Int32Array
  readonly via: Int32Array
}

/**
 * Everything analysis needs, computed once per workflow value in O(nodes + edges).
 * The DAG holds every connection with known endpoints that is not a feedback connection
 * and not a self-connection.
 */
export interface GraphIndex {
  readonly size: number
  readonly ids: ReadonlyArray<string>
  /** id → position of its first declaration. */
  readonly position: ReadonlyMap<string, number>
  /** Loop index of each node (first loop listing it), or -1. */
  readonly loopOf: Int32Array
  /** Position of each node inside its loop body, or -1. */
  readonly bodyPosition: Int32Array
  /** Per connection: 1 when it is a feedback connection. */
  readonly feedback: Uint8Array
  /** Per connection: 1 when both ends name declared nodes. */
  readonly resolved: Uint8Array
  /** Per connection: position of the source node, or -1 when unknown. */
  readonly sourceOf: Int32Array
  /** Per connection: position of the target node, or -1 when unknown. */
  readonly targetOf: Int32Array
  readonly out: Adjacency
  readonly in: Adjacency
  /** Kahn order over the DAG; shorter than `size` when the DAG has a cycle. */
  readonly order: Int32Array
}

export const buildAdjacency = (
  size: number,
  edgeCount: number,
  from: Int32Array,
  to: Int32Array,
  via: Int32Array
): Adjacency => {
  const start = new Int32Array(size + 1)
  for (let e = 0; e < edgeCount; e++) start[from[e]! + 1]!++
  for (let v = 0; v < size; v++) start[v + 1]! += start[v]!
  const fill = start.slice(0, size)
  const target = new Int32Array(edgeCount)
  const slotVia = new Int32Array(edgeCount)
  for (let e = 0; e < edgeCount; e++) {
    const slot = fill[from[e]!]!++
    target[slot] = to[e]!
    slotVia[slot] = via[e]!
  }
  return { start, target, via: slotVia }
}

/**
 * Kahn's algorithm with a min-heap of ready nodes, so among the nodes that are ready the one
 * declared first comes first (the order a reader expects). O((V + E) log V).
 */
export const kahn = (size: number, out: Adjacency, incoming: Adjacency): Int32Array => {
  const indegree = new Int32Array(size)
  const heap = new Int32Array(size)
  let heapSize = 0
  const push = (v: number) => {
    let i = heapSize++
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (heap[parent]! <= v) break
      heap[i] = heap[parent]!
      i = parent
    }
    heap[i] = v
  }
  const pop = (): number => {
    const top = heap[0]!
    const last = heap[--heapSize]!
    let i = 0
    for (;;) {
      let child = 2 * i + 1
      if (child >= heapSize) break
      if (child + 1 < heapSize && heap[child + 1]! < heap[child]!) child++
      if (heap[child]! >= last) break
      heap[i] = heap[child]!
      i = child
    }
    heap[i] = last
    return top
  }
  for (let v = 0; v < size; v++) {
    indegree[v] = incoming.start[v + 1]! - incoming.start[v]!
    if (indegree[v] === 0) push(v)
  }
  const order = new Int32Array(size)
  let count = 0
  while (heapSize > 0) {
    const v = pop()
    order[count++] = v
    for (let slot = out.start[v]!, end = out.start[v + 1]!; slot < end; slot++) {
      const w = out.target[slot]!
      if (--indegree[w]! === 0) push(w)
    }
  }
  return count === size ? order : order.slice(0, count)
}

const cache = new WeakMap<Workflow, GraphIndex>()

export const indexOf = (workflow: Workflow): GraphIndex => {
  let index = cache.get(workflow)
  if (index === undefined) {
    index = buildIndex(workflow)
    cache.set(workflow, index)
  }
  return index
}

type Loose = { readonly [key: string]: unknown } | null | undefined

/** Defensive: validation indexes unchecked values too, so anything malformed is skipped. */
const buildIndex = (workflow: Workflow): GraphIndex => {
  const nodes: ReadonlyArray<unknown> = Array.isArray(workflow.nodes) ? workflow.nodes : []
  const size = nodes.length
  const ids = new Array<string>(size)
  const position = new Map<string, number>()
  for (let v = 0; v < size; v++) {
    const id = (nodes[v] as Loose)?.id
    if (typeof id === "string") {
      ids[v] = id
      if (!position.has(id)) position.set(id, v)
    } else ids[v] = `nodes[${v}]`
  }
  const loopOf = new Int32Array(size).fill(-1)
  const bodyPosition = new Int32Array(size).fill(-1)
  const loops: ReadonlyArray<unknown> = Array.isArray(workflow.loops) ? workflow.loops : []
  for (let l = 0; l < loops.length; l++) {
    const body = (loops[l] as Loose)?.nodes
    if (!Array.isArray(body)) continue
    for (let p = 0; p < body.length; p++) {
      const member: unknown = body[p]
      const v = typeof member === "string" ? position.get(member) : undefined
      if (v !== undefined && loopOf[v] === -1) {
        loopOf[v] = l
        bodyPosition[v] = p
      }
    }
  }
  const connections: ReadonlyArray<unknown> = Array.isArray(workflow.connections)
    ? workflow.connections
    : []
  const count = connections.length
  const feedback = new Uint8Array(count)
  const resolved = new Uint8Array(count)
  const sourceOf = new Int32Array(count)
  const targetOf = new Int32Array(count)
  const from = new Int32Array(count)
  const to = new Int32Array(count)
  const via = new Int32Array(count)
  let edges = 0
  for (let c = 0; c < count; c++) {
    const connection = connections[c] as Loose
    const source = connection?.from
    const target = connection?.to
    const u = typeof source === "string" ? position.get(source) : undefined
    const v = typeof target === "string" ? position.get(target) : undefined
    sourceOf[c] = u ?? -1
    targetOf[c] = v ?? -1
    if (u === undefined || v === undefined) continue
    resolved[c] = 1
    const loop = loopOf[u]!
    if (loop !== -1 && loop === loopOf[v] && bodyPosition[u]! >= bodyPosition[v]!) {
      feedback[c] = 1
      continue
    }
    if (u === v) continue
    from[edges] = u
    to[edges] = v
    via[edges] = c
    edges++
  }
  const out = buildAdjacency(size, edges, from, to, via)
  const incoming = buildAdjacency(size, edges, to, from, via)
  return {
    size,
    ids,
    position,
    loopOf,
    bodyPosition,
    feedback,
    resolved,
    sourceOf,
    targetOf,
    out,
    in: incoming,
    order: kahn(size, out, incoming)
  }
}

/**
 * Strongly connected components (iterative Tarjan). Returns the component of each node and,
 * for every component with more than one node, its members.
 */
export const cyclicComponents = (
  size: number,
  out: Adjacency
): { readonly component: Int32Array; readonly groups: Array<Array<number>> } => {
  const indexOfNode = new Int32Array(size).fill(-1)
  const low = new Int32Array(size)
  const component = new Int32Array(size).fill(-1)
  const onStack = new Uint8Array(size)
  const stack = new Int32Array(size)
  let stackTop = 0
  const callNode = new Int32Array(size)
  const callSlot = new Int32Array(size)
  let counter = 0
  let components = 0
  const groups: Array<Array<number>> = []
  for (let root = 0; root < size; root++) {
    if (indexOfNode[root] !== -1) continue
    let depth = 0
    callNode[0] = root
    callSlot[0] = out.start[root]!
    indexOfNode[root] = low[root] = counter++
    stack[stackTop++] = root
    onStack[root] = 1
    while (depth >= 0) {
      const v = callNode[depth]!
      const slot = callSlot[depth]!
      if (slot < out.start[v + 1]!) {
        callSlot[depth] = slot + 1
        const w = out.target[slot]!
        if (indexOfNode[w] === -1) {
          indexOfNode[w] = low[w] = counter++
          stack[stackTop++] = w
          onStack[w] = 1
          depth++
          callNode[depth] = w
          callSlot[depth] = out.start[w]!
        } else if (onStack[w] === 1 && indexOfNode[w]! < low[v]!) {
          low[v] = indexOfNode[w]!
        }
        continue
      }
      if (low[v] === indexOfNode[v]) {
        const members: Array<number> = []
        let w: number
        do {
          w = stack[--stackTop]!
          onStack[w] = 0
          component[w] = components
          members.push(w)
        } while (w !== v)
        if (members.length > 1) groups.push(members.sort((a, b) => a - b))
        components++
      }
      depth--
      if (depth >= 0) {
        const parent = callNode[depth]!
        if (low[v]! < low[parent]!) low[parent] = low[v]!
      }
    }
  }
  return { component, groups }
}

/**
 * The shortest cycle through `start` that stays inside its component (BFS). Returns the nodes
 * (first = last = `start`) and the connection index of each step.
 */
export const cycleThrough = (
  start: number,
  out: Adjacency,
  component: Int32Array
): { readonly nodes: Array<number>; readonly via: Array<number> } => {
  const group = component[start]!
  const parent = new Map<number, readonly [number, number]>()
  const queue: Array<number> = [start]
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!
    for (let slot = out.start[v]!, end = out.start[v + 1]!; slot < end; slot++) {
      const w = out.target[slot]!
      if (component[w] !== group) continue
      if (w === start) {
        const nodes = [start]
        const via = [out.via[slot]!]
        let current = v
        while (current !== start) {
          nodes.push(current)
          const step = parent.get(current)!
          via.push(step[1])
          current = step[0]
        }
        nodes.push(start)
        nodes.reverse()
        via.reverse()
        return { nodes, via }
      }
      if (!parent.has(w)) {
        parent.set(w, [v, out.via[slot]!])
        queue.push(w)
      }
    }
  }
  return { nodes: [start, start], via: [] }
}
