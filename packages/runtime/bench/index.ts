// Engine overhead per node, against hand-written Effect (the physical limit) and LangGraph.js
// running the same graphs, all in one run; plus throughput of concurrent executions and memory
// growth over sequential executions. Writes bench-results/summary.json.
import { mkdirSync, writeFileSync } from "node:fs"
import { runInNewContext } from "node:vm"
import { setFlagsFromString } from "node:v8"
import { Annotation, END, START, StateGraph } from "@langchain/langgraph"
import { Sandbox } from "@weft/sandbox"
import { Effect, Layer } from "effect"
import type * as RuntimeModule from "../src/index.js"

// measure the built package (what users run); types come from the sources so typecheck needs no build
const runtimePackage: string = "@weft/runtime"
const { Runtime } = (await import(runtimePackage)) as typeof RuntimeModule

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

type Workflow = RuntimeModule.Runtime.Workflow
type Node = Workflow["nodes"][number]
type Connection = Workflow["connections"][number]

interface Graph {
  readonly name: string
  readonly ids: ReadonlyArray<string>
  readonly edges: ReadonlyArray<readonly [string, string]>
}

const chain = (n: number): Graph => {
  const ids = Array.from({ length: n }, (_, i) => `n${i}`)
  return { name: `chain ${n}`, ids, edges: ids.slice(1).map((id, i) => [ids[i]!, id] as const) }
}

const fan = (n: number): Graph => {
  const middle = Array.from({ length: n - 2 }, (_, i) => `m${i}`)
  return {
    name: `fan-out/fan-in ${n}`,
    ids: ["source", ...middle, "sink"],
    edges: [
      ...middle.map((id) => ["source", id] as const),
      ...middle.map((id) => [id, "sink"] as const)
    ]
  }
}

const lattice = (size: number): Graph => {
  const id = (i: number, j: number) => `l${i}_${j}`
  const ids: Array<string> = []
  const edges: Array<readonly [string, string]> = []
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      ids.push(id(i, j))
      if (i > 0) edges.push([id(i - 1, j), id(i, j)])
      if (j > 0) edges.push([id(i, j - 1), id(i, j)])
    }
  }
  return { name: `lattice ${size}x${size}`, ids, edges }
}

const toWorkflow = (graph: Graph): Workflow => ({
  id: graph.name,
  nodes: graph.ids.map((id): Node => ({ kind: "task", id, function: "noop" })),
  connections: graph.edges.map(
    ([from, to], k): Connection => ({ from, output: "", to, input: `in${k}` })
  ),
  loops: [],
  settings: { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast" }
})

const noop = () => null

// hand-written Effect: the same dependency structure, one Effect.sync per node
const handWritten = (graph: Graph): Effect.Effect<unknown> => {
  const work = () => Effect.sync(noop)
  if (graph.name.startsWith("chain")) {
    return Effect.forEach(graph.ids, work, { concurrency: 1, discard: true })
  }
  if (graph.name.startsWith("fan")) {
    const middle = graph.ids.slice(1, -1)
    return work().pipe(
      Effect.andThen(Effect.forEach(middle, work, { concurrency: "unbounded", discard: true })),
      Effect.andThen(work())
    )
  }
  // lattice: anti-diagonals are independent
  const size = Math.round(Math.sqrt(graph.ids.length))
  const diagonals = Array.from({ length: 2 * size - 1 }, (_, d) =>
    Array.from({ length: size }, (_, i) => [i, d - i] as const).filter(
      ([, j]) => j >= 0 && j < size
    )
  )
  return Effect.forEach(
    diagonals,
    (diagonal) => Effect.forEach(diagonal, work, { concurrency: "unbounded", discard: true }),
    { discard: true }
  )
}

const langGraph = (graph: Graph) => {
  const State = Annotation.Root({
    n: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 })
  })
  // biome-ignore lint/suspicious/noExplicitAny: LangGraph's builder types grow with every node name
  let builder: any = new StateGraph(State)
  for (const id of graph.ids) builder = builder.addNode(id, () => ({}))
  const parents = new Map<string, Array<string>>()
  for (const [from, to] of graph.edges) parents.set(to, [...(parents.get(to) ?? []), from])
  for (const id of graph.ids) {
    const ps = parents.get(id)
    if (ps === undefined) builder = builder.addEdge(START, id)
    else builder = builder.addEdge(ps.length === 1 ? ps[0] : ps, id)
  }
  const children = new Set(graph.edges.map(([from]) => from))
  for (const id of graph.ids) if (!children.has(id)) builder = builder.addEdge(id, END)
  const compiled = builder.compile() as { invoke: (s: unknown, c: unknown) => Promise<unknown> }
  return () => compiled.invoke({ n: 0 }, { recursionLimit: 100_000 })
}

const median = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Median and fastest of `runs` timed runs (ms). The machine is shared: the fastest run is the
 * least disturbed one, so ratios use it; medians are shown too. */
const time = async (runs: number, once: () => Promise<unknown>, warmup = 3) => {
  for (let i = 0; i < warmup; i++) await once()
  const samples: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await once()
    samples.push(performance.now() - start)
  }
  return { median: median(samples), min: Math.min(...samples) }
}

const layer = Sandbox.layerQuickJsInThread
const runtime = Runtime.make({ functions: { noop } })
let traced = 0
const runWeft = (workflow: Workflow) => () =>
  Effect.runPromise(
    runtime.execute(workflow, {}, { onEvent: () => void traced++ }).pipe(Effect.provide(layer))
  ).then((result) => {
    if (result.status !== "succeeded") throw new Error(`${workflow.id}: ${result.status}`)
    return result
  })

interface Row {
  readonly benchmark: string
  readonly figure: string
  readonly baseline: string
  readonly ratio: string
}
const rows: Array<Row> = []
const us = (ms: number, nodes: number) => (ms * 1000) / nodes

for (const graph of [chain(1000), fan(1000), lattice(30)]) {
  const workflow = toWorkflow(graph)
  const nodes = graph.ids.length
  const weft = await time(25, runWeft(workflow), 10)
  const effect = await time(25, () => Effect.runPromise(handWritten(graph)), 10)
  const lg = langGraph(graph)
  const lang = await time(2, lg, 0) // ~1-4 s per run
  const weftUs = us(weft.min, nodes)
  const effectUs = us(effect.min, nodes)
  const langUs = us(lang.min, nodes)
  rows.push({
    benchmark: `${graph.name}: Weft µs/node (tracing on)`,
    figure: `${weftUs.toFixed(2)} µs/node, median ${us(weft.median, nodes).toFixed(2)} (overhead ${(weftUs - effectUs).toFixed(2)})`,
    baseline: `hand-written Effect ${effectUs.toFixed(2)} µs/node`,
    ratio: `${(weftUs / effectUs).toFixed(1)}x`
  })
  rows.push({
    benchmark: `${graph.name}: Weft vs LangGraph.js`,
    figure: `${weftUs.toFixed(2)} µs/node`,
    baseline: `LangGraph.js ${langUs.toFixed(1)} µs/node`,
    ratio: `${(langUs / weftUs).toFixed(0)}x faster`
  })
}

// 10,000 concurrent small executions
{
  const small = toWorkflow(fan(5))
  const count = 10_000
  const once = () =>
    Effect.runPromise(
      Effect.forEach(Array.from({ length: count }), () => runtime.execute(small), {
        concurrency: "unbounded",
        discard: true
      }).pipe(Effect.provide(layer))
    )
  const ms = (await time(3, once, 1)).min
  const perSecond = count / (ms / 1000)
  const { min: sequentialMs } = await time(
    2,
    () =>
      Effect.runPromise(
        Effect.forEach(Array.from({ length: count }), () => runtime.execute(small), {
          discard: true
        }).pipe(Effect.provide(layer))
      ),
    1
  )
  rows.push({
    benchmark: "10,000 concurrent 5-node executions",
    figure: `${Math.round(perSecond).toLocaleString("en")} executions/s (${ms.toFixed(0)} ms)`,
    baseline: `one at a time ${Math.round(count / (sequentialMs / 1000)).toLocaleString("en")}/s`,
    ratio: `${(sequentialMs / ms).toFixed(2)}x`
  })
}

// memory over 10,000 sequential executions
{
  const small = toWorkflow(fan(5))
  const program = (n: number) =>
    Effect.forEach(Array.from({ length: n }), () => runtime.execute(small), { discard: true }).pipe(
      Effect.provide(Layer.fresh(layer))
    )
  await Effect.runPromise(program(1000))
  gc()
  const before = process.memoryUsage().heapUsed
  await Effect.runPromise(program(10_000))
  gc()
  const after = process.memoryUsage().heapUsed
  const growth = after - before
  rows.push({
    benchmark: "heap growth over 10,000 sequential executions",
    figure: `${(growth / 1024).toFixed(0)} KiB (${(growth / 10_000).toFixed(1)} B/execution)`,
    baseline: `heap after warm-up ${(before / 1024 / 1024).toFixed(1)} MiB`,
    ratio: `${((after / before) * 100 - 100).toFixed(1)}%`
  })
}

// Runtime.run (Promise facade, process-wide shared sandbox) against execute on a layer the caller
// keeps (a run with one code node): the facade must not build a worker pool per call
{
  const withCode: Workflow = {
    id: "one-code-node",
    nodes: [
      { kind: "task", id: "a", function: "noop" },
      { kind: "code", id: "b", source: "result = 1 + 1" }
    ],
    connections: [{ from: "a", output: "", to: "b", input: "x" }],
    loops: [],
    settings: { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast" }
  }
  const check = (result: RuntimeModule.ExecutionResult.ExecutionResult) => {
    if (result.status !== "succeeded") throw new Error(`one-code-node: ${result.status}`)
  }
  // the shared sandbox outlives the scope that built it (closeShared stops it)
  const sharedLayer = await Effect.runPromise(Layer.build(Sandbox.layerShared).pipe(Effect.scoped))
  const onLayer = await time(
    30,
    () => Effect.runPromise(Effect.provide(runtime.execute(withCode), sharedLayer)).then(check),
    5
  )
  const facade = await time(30, () => runtime.run(withCode).then(check), 5)
  rows.push({
    benchmark: "Runtime.run (shared sandbox), one code node",
    figure: `${facade.min.toFixed(2)} ms/run, median ${facade.median.toFixed(2)}`,
    baseline: `execute on a shared layer ${onLayer.min.toFixed(2)} ms/run`,
    ratio: `${(facade.min / onLayer.min).toFixed(2)}x`
  })
  await Sandbox.closeShared()
}

console.table(rows)
console.log(`(trace events delivered live: ${traced.toLocaleString("en")})`)
mkdirSync(new URL("../bench-results/", import.meta.url), { recursive: true })
writeFileSync(
  new URL("../bench-results/summary.json", import.meta.url),
  `${JSON.stringify(rows, null, 2)}\n`
)
