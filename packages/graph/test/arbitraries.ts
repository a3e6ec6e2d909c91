import fc from "fast-check"
import type { Workflow } from "../src/index.js"

type JsonObject = { [key: string]: Workflow.Json }

const json = fc
  .jsonValue({ maxDepth: 2 })
  .map((value) => JSON.parse(JSON.stringify(value)) as Workflow.Json)
const jsonObject = fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 3 })
const chars = (set: string) => fc.constantFrom(...set.split(""))
const lower = "abcdefghijklmnopqrstuvwxyz"
const id = fc
  .tuple(chars(`${lower}_`), fc.string({ unit: chars(`${lower}0123456789_-`), maxLength: 6 }))
  .map(([first, rest]) => first + rest)
const segment = fc.string({ unit: chars(`${lower}0123456789`), minLength: 1, maxLength: 4 })
const path = fc.array(segment, { maxLength: 3 }).map((segments) => segments.join("."))

const nodeArbitrary = (nodeId: string) =>
  fc
    .record(
      {
        kind: fc.constantFrom("code", "task"),
        description: fc.string({ maxLength: 10 }),
        timeout: fc.integer({ min: 1, max: 1000 }),
        retry: jsonObject,
        resources: fc.uniqueArray(fc.string({ unit: chars(lower), minLength: 1, maxLength: 5 }), {
          maxLength: 3
        }),
        body: fc.string({ maxLength: 20 })
      },
      { requiredKeys: ["kind", "body"] }
    )
    .map(({ kind, body, ...options }) => {
      const base: JsonObject =
        kind === "code"
          ? { kind, id: nodeId, source: body }
          : { kind, id: nodeId, function: body.trim() || nodeId }
      return { ...base, ...options } as JsonObject
    })

/** A valid workflow in its JSON form: forward connections, contiguous loops with feedback. */
export const validWorkflowJson: fc.Arbitrary<JsonObject> = fc
  .uniqueArray(id, { minLength: 1, maxLength: 20 })
  .chain((ids) =>
    fc.record({
      id,
      name: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
      metadata: fc.option(jsonObject, { nil: undefined }),
      nodes: fc.tuple(...ids.map(nodeArbitrary)),
      edges: fc.array(
        fc.record({ from: fc.nat(ids.length - 1), to: fc.nat(ids.length - 1), output: path }),
        { maxLength: 40 }
      ),
      loop: fc.option(
        fc.record({
          start: fc.nat(ids.length - 1),
          length: fc.integer({ min: 1, max: 4 }),
          maxIterations: fc.integer({ min: 1, max: 50 }),
          converged: fc.boolean(),
          tolerance: fc.double({ min: 0, max: 1, noNaN: true }),
          onMaxIterations: fc.constantFrom("fail", "succeed")
        }),
        { nil: undefined }
      ),
      settings: fc.record(
        {
          mode: fc.constantFrom("parallel", "sequential"),
          concurrency: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constant("unbounded")),
          timeout: fc.integer({ min: 1001, max: 100_000 }),
          nodeTimeout: fc.integer({ min: 1, max: 1000 }),
          deadlockTimeout: fc.integer({ min: 1, max: 1000 }),
          failureMode: fc.constantFrom("fail-fast", "continue")
        },
        { requiredKeys: ["mode", "concurrency", "failureMode"] }
      )
    })
  )
  .map(({ id: workflowId, name, metadata, nodes, edges, loop, settings }) => {
    const ids = nodes.map((node) => node.id as string)
    const inputs = new Map<string, number>()
    const nextInput = (to: string) => {
      const n = inputs.get(to) ?? 0
      inputs.set(to, n + 1)
      return `in${n}`
    }
    const connections: Array<JsonObject> = []
    for (const edge of edges) {
      const [from, to] = edge.from < edge.to ? [edge.from, edge.to] : [edge.to, edge.from]
      if (from === to) continue
      connections.push({
        from: ids[from]!,
        output: edge.output,
        to: ids[to]!,
        input: nextInput(ids[to]!)
      })
    }
    const loops: Array<JsonObject> = []
    if (loop !== undefined) {
      const body = ids.slice(loop.start, loop.start + loop.length)
      const last = body[body.length - 1]!
      connections.push({ from: last, output: "", to: body[0]!, input: nextInput(body[0]!) })
      loops.push({
        id: "loop",
        nodes: body,
        maxIterations: loop.maxIterations,
        until: loop.converged
          ? { kind: "converged", node: last, output: "", tolerance: loop.tolerance }
          : { kind: "condition", source: "iteration >= 2" },
        onMaxIterations: loop.onMaxIterations
      })
    }
    const out: JsonObject = {
      version: 2,
      id: workflowId,
      nodes,
      connections,
      loops,
      settings: settings as JsonObject
    }
    if (name !== undefined) out.name = name
    if (metadata !== undefined) out.metadata = metadata
    return out
  })

/** Every path to a value inside a JSON tree (the root excluded). */
export const pathsOf = (value: Workflow.Json): Array<Array<string | number>> => {
  const out: Array<Array<string | number>> = []
  const stack: Array<[Workflow.Json, Array<string | number>]> = [[value, []]]
  while (stack.length > 0) {
    const [current, path] = stack.pop()!
    if (current === null || typeof current !== "object") continue
    const entries: Array<[string | number, Workflow.Json]> = Array.isArray(current)
      ? current.map((child, i) => [i, child] as [number, Workflow.Json])
      : Object.entries(current)
    for (const [key, child] of entries) {
      out.push([...path, key])
      stack.push([child, [...path, key]])
    }
  }
  return out
}

export type Edit =
  | { readonly op: "set"; readonly target: number; readonly value: Workflow.Json }
  | { readonly op: "delete"; readonly target: number }
  | {
      readonly op: "add"
      readonly target: number
      readonly key: string
      readonly value: Workflow.Json
    }

export const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    op: fc.constant("set" as const),
    target: fc.nat(),
    value: fc.oneof(
      json,
      fc.constantFrom<Workflow.Json>(-1, 0, "", "a b", "n0", [], {}, 1e308, "x..y")
    )
  }),
  fc.record({ op: fc.constant("delete" as const), target: fc.nat() }),
  fc.record({
    op: fc.constant("add" as const),
    target: fc.nat(),
    key: fc.string({ maxLength: 6 }),
    value: json
  })
)

/** Applies an edit to a deep copy of `value`. */
export const applyEdit = (value: Workflow.Json, change: Edit): Workflow.Json => {
  const copy = structuredClone(value) as Workflow.Json
  const paths = pathsOf(copy)
  if (paths.length === 0) return copy
  const path = paths[change.target % paths.length]!
  let parent = copy as { [key: string | number]: Workflow.Json }
  for (const key of path.slice(0, -1))
    parent = parent[key] as { [key: string | number]: Workflow.Json }
  const key = path[path.length - 1]!
  if (change.op === "set") parent[key] = change.value
  else if (change.op === "delete") {
    if (Array.isArray(parent)) parent.splice(key as number, 1)
    else delete parent[key]
  } else {
    const target = parent[key]
    if (target !== null && typeof target === "object" && !Array.isArray(target)) {
      ;(target as { [key: string]: Workflow.Json })[change.key] = change.value
    } else parent[key] = change.value
  }
  return copy
}
