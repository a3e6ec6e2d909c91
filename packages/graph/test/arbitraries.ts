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

const inputName = fc
  .tuple(chars(`${lower}_$`), fc.string({ unit: chars(`${lower}0123456789_$`), maxLength: 5 }))
  .map(([first, rest]) => `x${first}${rest}`)
const keyText = fc.string({ unit: chars(`${lower}:/-|`), maxLength: 4 })
const concurrencyKey = fc
  .array(fc.tuple(keyText, fc.option(fc.tuple(inputName, path), { nil: undefined })), {
    minLength: 1,
    maxLength: 3
  })
  .map((pieces) =>
    pieces
      .map(([text, placeholder]) =>
        placeholder === undefined
          ? text
          : `${text}{${placeholder[1] === "" ? placeholder[0] : `${placeholder[0]}.${placeholder[1]}`}}`
      )
      .join("")
  )
  .filter((key) => key !== "")

const workOptions = {
  description: fc.string({ maxLength: 10 }),
  timeout: fc.integer({ min: 1, max: 1000 }),
  retry: jsonObject,
  resources: fc.uniqueArray(fc.string({ unit: chars(lower), minLength: 1, maxLength: 5 }), {
    maxLength: 3
  }),
  concurrency: fc.record({ key: concurrencyKey, limit: fc.integer({ min: 1, max: 8 }) })
}

/** Code and task nodes take every option; delay and event nodes only the ones that apply. */
const nodeArbitrary = (nodeId: string, features: boolean) =>
  fc.oneof(
    fc
      .record(
        {
          kind: fc.constantFrom("code", "task"),
          ...workOptions,
          body: fc.string({ maxLength: 20 })
        },
        { requiredKeys: ["kind", "body"] }
      )
      .map(({ kind, body, concurrency, ...options }) => {
        const base: JsonObject =
          kind === "code"
            ? { kind, id: nodeId, source: body }
            : { kind, id: nodeId, function: body.trim() || nodeId }
        const node: JsonObject = { ...base, ...options }
        if (features && concurrency !== undefined) node.concurrency = concurrency
        return node
      }),
    ...(features
      ? [
          fc
            .record(
              {
                wait: fc.oneof(
                  fc.record({ duration: fc.integer({ min: 0, max: 1000 }) }),
                  fc.record({ until: inputName })
                ),
                description: fc.string({ maxLength: 10 })
              },
              { requiredKeys: ["wait"] }
            )
            .map(
              ({ wait, ...options }): JsonObject => ({
                kind: "delay",
                id: nodeId,
                ...wait,
                ...options
              })
            ),
          fc
            .record(
              {
                event: fc.string({ unit: chars(`${lower}.`), minLength: 1, maxLength: 8 }),
                timeout: fc.integer({ min: 1, max: 1000 }),
                description: fc.string({ maxLength: 10 })
              },
              { requiredKeys: ["event"] }
            )
            .map((fields): JsonObject => ({ kind: "event", id: nodeId, ...fields }))
        ]
      : [])
  )

/**
 * A valid workflow in its JSON form: forward connections, contiguous loops with feedback.
 * With `features` (version 2): delay and event nodes, the concurrency option, failure
 * connections, explicit `on: "success"` and inputs fed by several connections; without
 * (version 1): none of those.
 */
const workflowJson = (features: boolean): fc.Arbitrary<JsonObject> =>
  fc
    .uniqueArray(id, { minLength: 1, maxLength: 20 })
    .chain((ids) =>
      fc.record({
        id,
        name: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
        metadata: fc.option(jsonObject, { nil: undefined }),
        nodes: fc.tuple(...ids.map((nodeId) => nodeArbitrary(nodeId, features))),
        edges: fc.array(
          fc.record({
            from: fc.nat(ids.length - 1),
            to: fc.nat(ids.length - 1),
            output: path,
            on: features
              ? fc.constantFrom(undefined, undefined, "success", "failure")
              : fc.constant(undefined),
            shareInput: features ? fc.boolean() : fc.constant(false)
          }),
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
      const seen = new Set<string>()
      for (const edge of edges) {
        const [from, to] = edge.from < edge.to ? [edge.from, edge.to] : [edge.to, edge.from]
        if (from === to) continue
        const source = nodes[from]!
        // a delay with a fixed duration cannot fail, so it takes no failure connection
        const on =
          edge.on === "failure" && source.kind === "delay" && source.until === undefined
            ? undefined
            : edge.on
        const used = inputs.get(ids[to]!) ?? 0
        const input = edge.shareInput && used > 0 ? `in${used - 1}` : nextInput(ids[to]!)
        const key = JSON.stringify([from, edge.output, to, input, on ?? "success"])
        if (seen.has(key)) continue
        seen.add(key)
        const connection: JsonObject = {
          from: ids[from]!,
          output: edge.output,
          to: ids[to]!,
          input
        }
        if (on !== undefined) connection.on = on
        connections.push(connection)
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
        version: features ? 2 : 1,
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

/** A valid version-2 workflow in its JSON form, using every version-2 feature. */
export const validWorkflowJson: fc.Arbitrary<JsonObject> = workflowJson(true)

/** A valid version-1 workflow in its JSON form (no version-2 feature). */
export const validWorkflowJsonV1: fc.Arbitrary<JsonObject> = workflowJson(false)

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
      fc.constantFrom<Workflow.Json>(
        -1,
        0,
        1,
        2,
        "",
        "a b",
        "n0",
        [],
        {},
        1e308,
        "x..y",
        "failure",
        "success",
        "delay",
        "event",
        "{x}",
        "{}",
        { key: "{in0}", limit: 1 },
        { key: "a{", limit: 0 }
      )
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
