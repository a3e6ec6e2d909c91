/**
 * The result of an execution: plain JSON data (status, outputs, per-node results, errors, the
 * trace, Clock timings and per-node execution counts) plus small accessors.
 *
 * @since 0.1.0
 */
import { Path } from "@weft/graph"
import { Result, type Schema } from "effect"
import type { ExecutionError } from "./ExecutionError.js"
import type { ExecutionStatus, NodeStatus, TraceEvent } from "./Trace.js"

type Json = Schema.Json

/**
 * What happened to one node.
 *
 * @example
 * ```ts
 * import type { ExecutionResult } from "@weft/runtime"
 * const summary = (node: ExecutionResult.NodeResult) => `${node.nodeId}: ${node.status} after ${node.attempts} attempt(s)`
 * ```
 * @since 0.1.0
 * @category models
 */
export interface NodeResult {
  readonly nodeId: string
  readonly status: NodeStatus
  /** Present when the node succeeded (for a loop node: its last iteration's output). */
  readonly output?: Json
  /** Attempts made, over all loop iterations (0 if it never started). */
  readonly attempts: number
  /** Loop iterations the node ran in (1 outside loops, 0 if it never started). */
  readonly iterations: number
  /** Clock time (ms) its first attempt started. */
  readonly startedAt?: number
  /** Clock time (ms) it finished (or was cancelled). */
  readonly finishedAt?: number
  readonly duration?: number
  /**
   * Time its attempts spent queued for a runtime permit or a sandbox worker (ms, summed over
   * attempts; present once it started). Node timeouts do not count it: see it to spot contention.
   */
  readonly queuedMillis?: number
  readonly error?: ExecutionError
  /** `console.log` lines captured from a code node. */
  readonly logs?: ReadonlyArray<string>
}

/**
 * The result of `Runtime.execute` / `Runtime.run`.
 *
 * @example
 * ```ts
 * import type { ExecutionResult } from "@weft/runtime"
 * const report = (result: ExecutionResult.ExecutionResult) =>
 *   `${result.workflowId} ${result.status} in ${result.duration}ms, ${result.errors.length} error(s)`
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ExecutionResult {
  readonly id: string
  readonly workflowId: string
  readonly status: ExecutionStatus
  /** Outputs of the nodes that succeeded. */
  readonly outputs: { readonly [nodeId: string]: Json }
  readonly nodes: { readonly [nodeId: string]: NodeResult }
  /** Every error, in the order they happened (node errors and workflow-level ones). */
  readonly errors: ReadonlyArray<ExecutionError>
  /**
   * Failures routed by a failure connection (`on: "failure"`): the node stays `failed`, the run
   * goes on (no fail-fast) and can succeed; they are listed here, not in `errors`.
   */
  readonly handled: ReadonlyArray<ExecutionError>
  readonly trace: ReadonlyArray<TraceEvent>
  readonly startedAt: number
  readonly finishedAt: number
  readonly duration: number
  /** Executions (attempts, over all iterations) per node; 0 for a node that never ran. */
  readonly counts: { readonly [nodeId: string]: number }
}

/**
 * A value inside a node's output by dot path (`"items.0.id"`; `""` or omitted = whole output);
 * `undefined` when the node has no output or the path does not exist.
 *
 * @example
 * ```ts
 * import { ExecutionResult } from "@weft/runtime"
 * declare const result: ExecutionResult.ExecutionResult
 * const chargeId = ExecutionResult.getOutput(result, "charge", "body.id")
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const getOutput = (
  result: ExecutionResult,
  nodeId: string,
  path: string = ""
): Json | undefined => {
  if (!Object.hasOwn(result.outputs, nodeId)) return undefined
  // the same path semantics as connections (`@weft/graph`'s Path.get)
  const found = Path.get(result.outputs[nodeId], path)
  return Result.isSuccess(found) ? found.success : undefined
}

/**
 * Whether the execution succeeded.
 *
 * @example
 * ```ts
 * import { ExecutionResult } from "@weft/runtime"
 * declare const result: ExecutionResult.ExecutionResult
 * if (!ExecutionResult.isSuccess(result)) console.error(result.errors[0]?.message)
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isSuccess = (result: ExecutionResult): boolean => result.status === "succeeded"

/**
 * The first error of the execution, if any.
 *
 * @example
 * ```ts
 * import { ExecutionResult } from "@weft/runtime"
 * declare const result: ExecutionResult.ExecutionResult
 * ExecutionResult.firstError(result)?._tag
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const firstError = (result: ExecutionResult): ExecutionError | undefined => result.errors[0]

/**
 * How many times a node ran (attempts over all iterations; 0 if it never ran).
 *
 * @example
 * ```ts
 * import { ExecutionResult } from "@weft/runtime"
 * declare const result: ExecutionResult.ExecutionResult
 * ExecutionResult.executionCount(result, "recovery") // 0 when its upstream failed
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const executionCount = (result: ExecutionResult, nodeId: string): number =>
  result.counts[nodeId] ?? 0
