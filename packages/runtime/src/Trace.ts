/**
 * Trace events: what happened during an execution, in order, with Clock timestamps. Every event
 * is plain JSON (`type`, `at` in Clock milliseconds, `executionId`, and node / attempt fields).
 *
 * @since 0.1.0
 */
import type { Schema } from "effect"

type Json = Schema.Json

/**
 * Final status of a node.
 *
 * @example
 * ```ts
 * import type { Trace } from "@weft/runtime"
 * const done: Trace.NodeStatus = "succeeded"
 * ```
 * @since 0.1.0
 * @category models
 */
export type NodeStatus = "succeeded" | "failed" | "skipped" | "cancelled" | "timed-out"

/**
 * Final status of an execution.
 *
 * @example
 * ```ts
 * import type { Trace } from "@weft/runtime"
 * const status: Trace.ExecutionStatus = "timed-out"
 * ```
 * @since 0.1.0
 * @category models
 */
export type ExecutionStatus = "succeeded" | "failed" | "timed-out" | "cancelled"

interface Base {
  /** Clock time in milliseconds (virtual under `TestClock`). */
  readonly at: number
  readonly executionId: string
}

/**
 * One trace event. Discriminated by `type`.
 *
 * @example
 * ```ts
 * import type { Trace } from "@weft/runtime"
 * const line = (event: Trace.TraceEvent) =>
 *   event.type === "node-succeeded" ? `${event.at}ms ${event.nodeId} ok` : `${event.at}ms ${event.type}`
 * ```
 * @since 0.1.0
 * @category models
 */
export type TraceEvent =
  | (Base & { readonly type: "execution-started"; readonly workflowId: string })
  | (Base & {
      readonly type: "execution-finished"
      readonly workflowId: string
      readonly status: ExecutionStatus
      readonly duration: number
    })
  | (Base & { readonly type: "node-scheduled"; readonly nodeId: string })
  | (Base & {
      readonly type: "node-started"
      readonly nodeId: string
      readonly iteration: number
      readonly attempt: number
      /** How long this attempt waited for a runtime permit or a sandbox worker (absent when 0). */
      readonly queuedMillis?: number
    })
  | (Base & {
      readonly type: "node-retrying"
      readonly nodeId: string
      readonly iteration: number
      readonly attempt: number
      readonly maxAttempts: number
      readonly delay: number
      readonly error: string
      readonly message: string
    })
  | (Base & {
      readonly type: "node-succeeded"
      readonly nodeId: string
      readonly iteration: number
      readonly attempt: number
      readonly duration: number
    })
  | (Base & {
      readonly type: "node-failed"
      readonly nodeId: string
      readonly iteration: number
      readonly attempt: number
      readonly status: "failed" | "timed-out"
      readonly error: string
      readonly message: string
    })
  | (Base & { readonly type: "node-skipped"; readonly nodeId: string; readonly reason: string })
  | (Base & {
      readonly type: "node-cancelled"
      readonly nodeId: string
      readonly status: "cancelled" | "timed-out"
      readonly reason: string
    })
  | (Base & { readonly type: "node-emitted"; readonly nodeId: string; readonly event: Json })
  | (Base & { readonly type: "node-waiting"; readonly nodeId: string; readonly waitingFor: string })
  /** The wait is over and the node holds its slot (and runtime permit) again: it executes. */
  | (Base & { readonly type: "node-resumed"; readonly nodeId: string; readonly waited: number })
  | (Base & {
      readonly type: "resource-acquired"
      readonly resource: string
      readonly nodeId: string
    })
  | (Base & { readonly type: "resource-released"; readonly resource: string })
  | (Base & {
      readonly type: "resource-called"
      readonly resource: string
      readonly method: string
      readonly nodeId: string
    })
  | (Base & {
      readonly type: "event-received"
      /** The event's name (absent for an unnamed event). */
      readonly name?: string
      readonly event: Json
    })
  | (Base & {
      readonly type: "loop-iteration"
      readonly loopId: string
      readonly iteration: number
    })
  | (Base & {
      readonly type: "loop-finished"
      readonly loopId: string
      readonly iterations: number
      readonly converged: boolean
    })

/**
 * The `type` of every trace event.
 *
 * @example
 * ```ts
 * import type { Trace } from "@weft/runtime"
 * const interesting: ReadonlyArray<Trace.TraceEventType> = ["node-retrying", "node-failed"]
 * ```
 * @since 0.1.0
 * @category models
 */
export type TraceEventType = TraceEvent["type"]

/**
 * The events of one type, narrowed.
 *
 * @example
 * ```ts
 * import { Trace } from "@weft/runtime"
 * declare const trace: ReadonlyArray<Trace.TraceEvent>
 * const retries = Trace.ofType(trace, "node-retrying").map((e) => e.delay)
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const ofType = <T extends TraceEventType>(
  trace: ReadonlyArray<TraceEvent>,
  type: T
): Array<Extract<TraceEvent, { readonly type: T }>> =>
  trace.filter((event): event is Extract<TraceEvent, { readonly type: T }> => event.type === type)

/**
 * The events that concern one node, in order.
 *
 * @example
 * ```ts
 * import { Trace } from "@weft/runtime"
 * declare const trace: ReadonlyArray<Trace.TraceEvent>
 * Trace.forNode(trace, "charge").map((e) => e.type)
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const forNode = (trace: ReadonlyArray<TraceEvent>, nodeId: string): Array<TraceEvent> =>
  trace.filter((event) => "nodeId" in event && event.nodeId === nodeId)

/**
 * A one-line human description of an event (for logs and progress output).
 *
 * @example
 * ```ts
 * import { Trace } from "@weft/runtime"
 * Trace.format({ type: "node-started", at: 0, executionId: "e", nodeId: "a", iteration: 1, attempt: 1 })
 * // "[0ms] node a started (attempt 1)"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const format = (event: TraceEvent): string => {
  const prefix = `[${event.at}ms]`
  switch (event.type) {
    case "execution-started":
      return `${prefix} execution ${event.executionId} of ${event.workflowId} started`
    case "execution-finished":
      return `${prefix} execution ${event.executionId} ${event.status} in ${event.duration}ms`
    case "node-scheduled":
      return `${prefix} node ${event.nodeId} scheduled`
    case "node-started":
      return `${prefix} node ${event.nodeId} started (attempt ${event.attempt}${event.iteration > 1 ? `, iteration ${event.iteration}` : ""})`
    case "node-retrying":
      return `${prefix} node ${event.nodeId} attempt ${event.attempt}/${event.maxAttempts} failed: ${event.error}; retrying in ${event.delay}ms`
    case "node-succeeded":
      return `${prefix} node ${event.nodeId} succeeded in ${event.duration}ms`
    case "node-failed":
      return `${prefix} node ${event.nodeId} ${event.status}: ${event.error}: ${event.message}`
    case "node-skipped":
      return `${prefix} node ${event.nodeId} skipped (${event.reason})`
    case "node-cancelled":
      return `${prefix} node ${event.nodeId} ${event.status} (${event.reason})`
    case "node-emitted":
      return `${prefix} node ${event.nodeId} emitted ${JSON.stringify(event.event)}`
    case "node-waiting":
      return `${prefix} node ${event.nodeId} waiting for ${event.waitingFor}`
    case "node-resumed":
      return `${prefix} node ${event.nodeId} resumed after ${event.waited}ms`
    case "resource-acquired":
      return `${prefix} resource ${event.resource} acquired (by ${event.nodeId})`
    case "resource-released":
      return `${prefix} resource ${event.resource} released`
    case "resource-called":
      return `${prefix} resource ${event.resource}.${event.method} called by ${event.nodeId}`
    case "event-received":
      return `${prefix} event ${event.name === undefined ? "" : `${event.name} `}received ${JSON.stringify(event.event)}`
    case "loop-iteration":
      return `${prefix} loop ${event.loopId} iteration ${event.iteration}`
    case "loop-finished":
      return `${prefix} loop ${event.loopId} finished after ${event.iterations} iterations${event.converged ? " (converged)" : ""}`
  }
}
