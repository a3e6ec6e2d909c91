// Normalising what a node attempt failed with into a recorded, JSON-safe ExecutionError.
import { Retry } from "@weft/retry"
import {
  Deadlock,
  EventTimedOut,
  ExecutionCancelled,
  type ExecutionError,
  FunctionNotFound,
  InputPathNotFound,
  isExecutionError,
  LoopDidNotConverge,
  NodeFailed,
  NodeTimedOut,
  ResourceFailed,
  ResourceNotFound,
  RetriesExhausted,
  WorkflowNotExecutable,
  WorkflowTimedOut
} from "../ExecutionError.js"
import { errorMessage, errorTag, toJson } from "./errors.js"
import type { Json } from "./model.js"

export const isTimeout = (error: ExecutionError): boolean =>
  error._tag === "NodeTimedOut" ||
  error._tag === "EventTimedOut" ||
  (error._tag === "RetriesExhausted" &&
    typeof error.lastError === "object" &&
    error.lastError !== null &&
    !Array.isArray(error.lastError) &&
    (error.lastError as { readonly _tag?: Json })._tag === "NodeTimedOut")

/** Normalises whatever a node attempt failed with into a recorded, JSON-safe error. */
export const toNodeError = (nodeId: string, attempt: number, error: unknown): ExecutionError => {
  if (error instanceof RetriesExhausted) return error
  if (Retry.isRetriesExhausted(error)) {
    const last = toNodeError(nodeId, error.attempts, error.lastError)
    const lastTag = last._tag === "NodeFailed" ? last.errorTag : last._tag
    return new RetriesExhausted({
      nodeId,
      attempts: error.attempts,
      elapsed: error.elapsed,
      lastError: toJson(last),
      message: `node ${nodeId} failed after ${error.attempts} attempts in ${error.elapsed}ms; last error: ${lastTag}: ${last.message}`
    })
  }
  if (isExecutionError(error) && error instanceof Error) return error
  if (Retry.isAttemptTimedOut(error)) {
    return new NodeTimedOut({
      nodeId,
      attempt: error.attempt,
      timeout: error.timeout,
      message: `node ${nodeId} attempt ${error.attempt} timed out after ${error.timeout}ms (retry policy attemptTimeout)`
    })
  }
  const tag = errorTag(error)
  return new NodeFailed({
    nodeId,
    attempt,
    errorTag: tag,
    message: `node ${nodeId} failed: ${tag}: ${errorMessage(error)}`,
    cause: toJson(error)
  })
}

type ErrorClass = new (fields: never) => ExecutionError
const classes: { readonly [tag: string]: ErrorClass } = {
  NodeFailed,
  NodeTimedOut,
  RetriesExhausted,
  Deadlock,
  EventTimedOut,
  ExecutionCancelled,
  FunctionNotFound,
  InputPathNotFound,
  LoopDidNotConverge,
  ResourceFailed,
  ResourceNotFound,
  WorkflowNotExecutable,
  WorkflowTimedOut
}

/** A recorded error (JSON, from a replayed attempt record) as the value the engine reasons on. */
export const fromRecord = (error: Json): unknown => {
  if (!isExecutionError(error)) return error
  const Class = classes[error._tag]
  if (Class === undefined) return error
  const { _tag, name, stack, ...fields } = error as unknown as Record<string, unknown>
  try {
    return new Class(fields as never)
  } catch {
    return error
  }
}
