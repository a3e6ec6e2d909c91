// An `ExecutionResult` read back from the store: JSON, with its errors turned back into the
// runtime's error classes (by `_tag`), so `result(key)` gives what `Runtime.execute` gives.
import { ExecutionError, type Runtime } from "@weft/runtime"
import { Schema } from "effect"

const ErrorSchema = Schema.Union([
  ExecutionError.NodeFailed,
  ExecutionError.NodeTimedOut,
  ExecutionError.WorkflowTimedOut,
  ExecutionError.Deadlock,
  ExecutionError.ResourceNotFound,
  ExecutionError.ResourceFailed,
  ExecutionError.InputPathNotFound,
  ExecutionError.FunctionNotFound,
  ExecutionError.LoopDidNotConverge,
  ExecutionError.ExecutionCancelled,
  ExecutionError.WorkflowNotExecutable,
  ExecutionError.RetriesExhausted
])
const decodeError = Schema.decodeUnknownSync(ErrorSchema)

const toError = (json: unknown): ExecutionError.ExecutionError => {
  try {
    return decodeError(json) as ExecutionError.ExecutionError
  } catch {
    // An error of a newer runtime: keep its JSON (it still carries `_tag` and `message`).
    return json as ExecutionError.ExecutionError
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

export const decodeResult = (json: unknown): Runtime.ExecutionResult => {
  const result = json as Mutable<Runtime.ExecutionResult>
  const nodes: Record<string, Runtime.ExecutionResult["nodes"][string]> = {}
  for (const [id, node] of Object.entries(result.nodes)) {
    nodes[id] = node.error === undefined ? node : { ...node, error: toError(node.error) }
  }
  return { ...result, nodes, errors: result.errors.map(toError) }
}
