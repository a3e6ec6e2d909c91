import type { Connection } from "../Connection.js"
import type { Convergence, Loop } from "../Loop.js"
import type { Node, RetrySpec } from "../Node.js"
import type { Settings, Workflow } from "../Workflow.js"
import { notJson } from "./json.js"

/**
 * A fast path for `fromJSON`: reads input that matches the JSON form exactly (no unknown
 * fields, every type right) without going through Schema, which costs several µs per node.
 * Returns `undefined` for anything else, and the Schema decoder then produces the errors,
 * so the Schema stays the one authority on what the format accepts.
 */

type Record = { readonly [key: string]: unknown }

const isRecord = (value: unknown): value is Record => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Every own key of `value` is one of `allowed`, and none holds `undefined` (not JSON). */
const onlyKeys = (value: Record, allowed: ReadonlySet<string>): boolean => {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key) || value[key] === undefined) return false
  }
  return Object.getOwnPropertySymbols(value).length === 0
}

const isString = (value: unknown): value is string => typeof value === "string"
const isNumber = (value: unknown): value is number => typeof value === "number"
const optional = (value: unknown, guard: (value: unknown) => boolean) =>
  value === undefined || guard(value)

const stringArray = (value: unknown): value is ReadonlyArray<string> => {
  if (!Array.isArray(value)) return false
  for (let i = 0; i < value.length; i++) if (!isString(value[i])) return false
  return true
}

const jsonObject = (value: unknown): value is RetrySpec =>
  isRecord(value) && notJson(value, "") === undefined

const workflowKeys = new Set([
  "version",
  "id",
  "name",
  "description",
  "metadata",
  "nodes",
  "connections",
  "loops",
  "settings"
])
const settingsKeys = new Set([
  "mode",
  "concurrency",
  "timeout",
  "nodeTimeout",
  "deadlockTimeout",
  "failureMode"
])
const optionKeys = ["description", "timeout", "retry", "resources", "concurrency"]
const codeKeys = new Set(["kind", "id", "source", ...optionKeys])
const taskKeys = new Set(["kind", "id", "function", ...optionKeys])
const delayKeys = new Set(["kind", "id", "duration", "until", ...optionKeys])
const eventKeys = new Set(["kind", "id", "event", ...optionKeys])
const concurrencyKeys = new Set(["key", "limit"])
const connectionKeys = new Set(["from", "output", "to", "input", "on"])
const loopKeys = new Set(["id", "nodes", "maxIterations", "until", "onMaxIterations"])
const convergedKeys = new Set(["kind", "node", "output", "tolerance"])
const conditionKeys = new Set(["kind", "source"])

const node = (value: unknown): Node | undefined => {
  if (!isRecord(value) || !isString(value.id)) return undefined
  let out: { [key: string]: unknown }
  if (value.kind === "code") {
    if (!onlyKeys(value, codeKeys) || !isString(value.source)) return undefined
    out = { kind: "code", id: value.id, source: value.source }
  } else if (value.kind === "task") {
    if (!onlyKeys(value, taskKeys) || !isString(value.function)) return undefined
    out = { kind: "task", id: value.id, function: value.function }
  } else if (value.kind === "delay") {
    const { duration, until } = value
    if (!onlyKeys(value, delayKeys) || !optional(duration, isNumber) || !optional(until, isString))
      return undefined
    out = { kind: "delay", id: value.id }
    if (duration !== undefined) out.duration = duration
    if (until !== undefined) out.until = until
  } else if (value.kind === "event") {
    if (!onlyKeys(value, eventKeys) || !isString(value.event)) return undefined
    out = { kind: "event", id: value.id, event: value.event }
  } else return undefined
  const { description, timeout, retry, resources, concurrency } = value
  if (!optional(description, isString) || !optional(timeout, isNumber)) return undefined
  if (!optional(retry, jsonObject) || !optional(resources, stringArray)) return undefined
  if (description !== undefined) out.description = description
  if (timeout !== undefined) out.timeout = timeout
  if (retry !== undefined) out.retry = structuredClone(retry)
  if (resources !== undefined) out.resources = [...(resources as ReadonlyArray<string>)]
  if (concurrency !== undefined) {
    if (!isRecord(concurrency) || !onlyKeys(concurrency, concurrencyKeys)) return undefined
    const { key, limit } = concurrency
    if (!isString(key) || !isNumber(limit)) return undefined
    out.concurrency = { key, limit }
  }
  return out as unknown as Node
}

const connection = (value: unknown): Connection | undefined => {
  if (!isRecord(value) || !onlyKeys(value, connectionKeys)) return undefined
  const { from, output, to, input, on } = value
  if (!isString(from) || !isString(output) || !isString(to) || !isString(input)) return undefined
  if (on === undefined) return { from, output, to, input }
  if (on !== "success" && on !== "failure") return undefined
  return { from, output, to, input, on }
}

const convergence = (value: unknown): Convergence | undefined => {
  if (!isRecord(value)) return undefined
  if (value.kind === "converged") {
    const { node: target, output, tolerance } = value
    if (
      !onlyKeys(value, convergedKeys) ||
      !isString(target) ||
      !isString(output) ||
      !isNumber(tolerance)
    ) {
      return undefined
    }
    return { kind: "converged", node: target, output, tolerance }
  }
  if (value.kind === "condition") {
    if (!onlyKeys(value, conditionKeys) || !isString(value.source)) return undefined
    return { kind: "condition", source: value.source }
  }
  return undefined
}

const loop = (value: unknown): Loop | undefined => {
  if (!isRecord(value) || !onlyKeys(value, loopKeys)) return undefined
  const { id, nodes, maxIterations, onMaxIterations } = value
  if (!isString(id) || !stringArray(nodes) || !isNumber(maxIterations)) return undefined
  if (onMaxIterations !== "fail" && onMaxIterations !== "succeed") return undefined
  const until = convergence(value.until)
  if (until === undefined) return undefined
  return { id, nodes: [...nodes], maxIterations, until, onMaxIterations }
}

const settings = (value: unknown): Settings | undefined => {
  if (value === undefined)
    return { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast" }
  if (!isRecord(value) || !onlyKeys(value, settingsKeys)) return undefined
  const { mode = "parallel", concurrency = "unbounded", failureMode = "fail-fast" } = value
  if (mode !== "parallel" && mode !== "sequential") return undefined
  if (failureMode !== "fail-fast" && failureMode !== "continue") return undefined
  if (concurrency !== "unbounded" && !isNumber(concurrency)) return undefined
  const out: { -readonly [K in keyof Settings]: Settings[K] } = { mode, concurrency, failureMode }
  for (const key of ["timeout", "nodeTimeout", "deadlockTimeout"] as const) {
    const field = value[key]
    if (field === undefined) continue
    if (!isNumber(field)) return undefined
    out[key] = field
  }
  return out
}

const list = <A>(value: unknown, read: (item: unknown) => A | undefined): Array<A> | undefined => {
  if (value === undefined) return []
  if (!Array.isArray(value)) return undefined
  const out = new Array<A>(value.length)
  for (let i = 0; i < value.length; i++) {
    const item = read(value[i])
    if (item === undefined) return undefined
    out[i] = item
  }
  return out
}

export const fastDecode = (input: unknown): Workflow | undefined => {
  if (!isRecord(input) || !onlyKeys(input, workflowKeys)) return undefined
  const version = input.version
  if ((version !== 1 && version !== 2) || !isString(input.id) || !Array.isArray(input.nodes))
    return undefined
  const { name, description, metadata } = input
  if (
    !optional(name, isString) ||
    !optional(description, isString) ||
    !optional(metadata, jsonObject)
  ) {
    return undefined
  }
  const nodes = list(input.nodes, node)
  const connections = list(input.connections, connection)
  const loops = list(input.loops, loop)
  const parsedSettings = settings(input.settings)
  if (
    nodes === undefined ||
    connections === undefined ||
    loops === undefined ||
    parsedSettings === undefined
  ) {
    return undefined
  }
  const out: { -readonly [K in keyof Workflow]: Workflow[K] } = {
    version,
    id: input.id,
    nodes,
    connections,
    loops,
    settings: parsedSettings
  }
  if (name !== undefined) out.name = name as string
  if (description !== undefined) out.description = description as string
  if (metadata !== undefined) out.metadata = structuredClone(metadata as RetrySpec)
  return out
}
