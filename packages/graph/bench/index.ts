/**
 * Benchmarks of @weft/graph: build + validate + topologically sort three 10,000-node shapes,
 * against a plain-array Kahn's algorithm over the same edges, run in the same process.
 * Also measures effect/Graph doing the same job, to justify not using it underneath.
 * Times are medians of process CPU time. Writes bench-results/summary.json.
 */
import fs from "node:fs"
import path from "node:path"
import { Graph, Schema } from "effect"
import { Workflow } from "../src/index.js"

interface Shape {
  readonly name: string
  readonly ids: ReadonlyArray<string>
  readonly edges: ReadonlyArray<readonly [number, number]>
  /** Version-2 features: node kinds cycle task (with a concurrency key) → delay → event → code, and every event's failure is routed two nodes on. */
  readonly mixed?: boolean
}

const chain = (size: number): Shape => ({
  name: `chain ${size}`,
  ids: Array.from({ length: size }, (_, i) => `n${i}`),
  edges: Array.from({ length: size - 1 }, (_, i) => [i, i + 1] as const)
})

const fanOut = (size: number): Shape => ({
  name: `fan-out ${size}`,
  ids: Array.from({ length: size }, (_, i) => `n${i}`),
  edges: Array.from({ length: size - 1 }, (_, i) => [0, i + 1] as const)
})

const lattice = (side: number): Shape => {
  const edges: Array<readonly [number, number]> = []
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const v = r * side + c
      if (c + 1 < side) edges.push([v, v + 1])
      if (r + 1 < side) edges.push([v, v + side])
    }
  }
  return {
    name: `lattice ${side}x${side}`,
    ids: Array.from({ length: side * side }, (_, i) => `n${i}`),
    edges
  }
}

/** A chain of every node kind, plus a failure connection from each event to the node two steps on. */
const mixedChain = (size: number): Shape => {
  const edges: Array<readonly [number, number]> = Array.from(
    { length: size - 1 },
    (_, i) => [i, i + 1] as const
  )
  for (let i = 2; i + 2 < size; i += 4) edges.push([i, i + 2])
  return {
    name: `mixed kinds ${size}`,
    ids: Array.from({ length: size }, (_, i) => `n${i}`),
    edges,
    mixed: true
  }
}

/** Input names per edge: unique per target. */
const inputNames = (shape: Shape): Array<string> => {
  const seen = new Map<number, number>()
  return shape.edges.map(([, to]) => {
    const n = seen.get(to) ?? 0
    seen.set(to, n + 1)
    return `in${n}`
  })
}

const buildWithBuilder = (shape: Shape, inputs: ReadonlyArray<string>): Workflow.Workflow => {
  let builder = Workflow.make("bench")
  shape.ids.forEach((id, i) => {
    if (shape.mixed !== true) builder = builder.task(id)
    else if (i % 4 === 0)
      builder = builder.task(id, { concurrency: { key: "customer:{in0.customerId}", limit: 2 } })
    else if (i % 4 === 1) builder = builder.delay(id, 1_000)
    else if (i % 4 === 2) builder = builder.event(id, "approved", { timeout: 60_000 })
    else builder = builder.code(id, "return in0")
  })
  shape.edges.forEach(([from, to], e) => {
    const fromId = shape.ids[from]!
    builder =
      shape.mixed === true && to === from + 2
        ? builder.onFailure(fromId, "", shape.ids[to]!, inputs[e]!)
        : builder.connect(fromId, "", shape.ids[to]!, inputs[e]!)
  })
  return builder.build()
}

/** The baseline: Kahn's algorithm over the same data with plain arrays and a Map, nothing else. */
const plainKahn = (workflow: Workflow.Workflow): Array<string> => {
  const nodes = workflow.nodes
  const position = new Map<string, number>()
  for (let i = 0; i < nodes.length; i++) position.set(nodes[i]!.id, i)
  const out: Array<Array<number>> = nodes.map(() => [])
  const indegree = new Array<number>(nodes.length).fill(0)
  for (const c of workflow.connections) {
    const from = position.get(c.from)!
    const to = position.get(c.to)!
    out[from]!.push(to)
    indegree[to]!++
  }
  const queue: Array<number> = []
  for (let i = 0; i < nodes.length; i++) if (indegree[i] === 0) queue.push(i)
  for (let head = 0; head < queue.length; head++) {
    for (const w of out[queue[head]!]!) if (--indegree[w]! === 0) queue.push(w)
  }
  return queue.map((i) => nodes[i]!.id)
}

/** The same job on effect/Graph: build the graph from the workflow, then topo-sort it. */
const effectGraphTopo = (workflow: Workflow.Workflow): Array<string> => {
  const graph = Graph.directed<string, number>((mutable) => {
    const position = new Map<string, number>()
    for (const node of workflow.nodes) position.set(node.id, Graph.addNode(mutable, node.id))
    workflow.connections.forEach((c, e) => {
      Graph.addEdge(mutable, position.get(c.from)!, position.get(c.to)!, e)
    })
  })
  return Array.from(Graph.values(Graph.topo(graph)))
}

const decodeWithSchema = Schema.decodeUnknownSync(Workflow.WorkflowSchema)

const median = (values: Array<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

// CPU time of this process (ms): on a shared, loaded machine it is far steadier than wall time.
const cpu = (): number => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

/** Median CPU time (ms) of `runs` runs after `warmup` unmeasured ones. */
const time = (fn: () => unknown, runs = 21, warmup = 3): number => {
  for (let i = 0; i < warmup; i++) fn()
  const samples: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const start = cpu()
    fn()
    samples.push(cpu() - start)
  }
  return median(samples)
}

// Analysis results are cached per workflow value; a shallow copy forces a fresh index.
const fresh = (workflow: Workflow.Workflow): Workflow.Workflow => ({ ...workflow })

interface Row {
  readonly benchmark: string
  readonly figure: string
  readonly baseline: string
  readonly ratio: string
}
const rows: Array<Row> = []
const ms = (value: number) => `${value.toFixed(2)} ms`
const perNode = (value: number, size: number) => `${((value * 1000) / size).toFixed(3)} µs/node`

let worstValidate = 0
for (const shape of [chain(10_000), fanOut(10_000), lattice(100), mixedChain(10_000)]) {
  const size = shape.ids.length
  const inputs = inputNames(shape)
  const workflow = buildWithBuilder(shape, inputs)
  const json = JSON.parse(JSON.stringify(Workflow.toJSON(workflow)))
  if (plainKahn(workflow).join() !== Workflow.topologicalOrder(workflow).join()) {
    // Both are valid orders; they only need to agree on the node set.
    const a = new Set(plainKahn(workflow))
    if (a.size !== size || Workflow.topologicalOrder(workflow).some((id) => !a.has(id))) {
      throw new Error(`${shape.name}: orders disagree`)
    }
  }
  const baseline = time(() => plainKahn(workflow))
  const validate = time(() => Workflow.issues(fresh(workflow)))
  const topo = time(() => Workflow.topologicalOrder(fresh(workflow)))
  const builder = time(() => buildWithBuilder(shape, inputs), 7, 1)
  const decode = time(() => Workflow.fromJSONSync(json), 7, 1)
  const schemaDecode = time(() => decodeWithSchema(json), 5, 1)
  const effectGraph = time(() => effectGraphTopo(workflow), 7, 1)
  worstValidate = Math.max(worstValidate, validate)
  const add = (what: string, value: number) =>
    rows.push({
      benchmark: `${shape.name} (${shape.edges.length} edges): ${what}`,
      figure: `${ms(value)} (${perNode(value, size)})`,
      baseline: `plain-array Kahn ${ms(baseline)}`,
      ratio: `${(value / baseline).toFixed(1)}x`
    })
  add("validate", validate)
  add("topologicalOrder", topo)
  add("builder + build (validates)", builder)
  add("fromJSON (decode + validate)", decode)
  add("effect Schema decode alone (the path fromJSON avoids)", schemaDecode)
  add("effect/Graph build + topo", effectGraph)
}

const header = ["benchmark", "figure", "baseline", "ratio"] as const
const width = header.map((key) => Math.max(key.length, ...rows.map((row) => row[key].length)))
const line = (values: ReadonlyArray<string>) => values.map((v, i) => v.padEnd(width[i]!)).join("  ")
console.log(line(header))
console.log(line(width.map((w) => "-".repeat(w))))
for (const row of rows) console.log(line(header.map((key) => row[key])))
console.log(
  `\nTarget: validating a 10,000-node workflow < 20 ms — worst shape ${ms(worstValidate)}: ${worstValidate < 20 ? "met" : "NOT met"}`
)

const dir = path.join(import.meta.dirname, "..", "bench-results")
fs.mkdirSync(dir, { recursive: true })
fs.writeFileSync(path.join(dir, "summary.json"), `${JSON.stringify(rows, null, 2)}\n`)
console.log(`wrote ${path.relative(process.cwd(), path.join(dir, "summary.json"))}`)
