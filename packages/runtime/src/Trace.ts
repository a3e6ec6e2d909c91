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
 * Options of `format`.
 *
 * @example
 * ```ts
 * import type { Trace } from "@weft/runtime"
 * declare const result: { readonly startedAt: number }
 * const options: Trace.FormatOptions = { startedAt: result.startedAt }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface FormatOptions {
  /**
   * The execution's start (`ExecutionResult.startedAt`, or the `at` of its
   * `execution-started` event): lines begin with the time since then, `[250ms]`. Without it a
   * line has no time prefix.
   */
  readonly startedAt?: number
}

/**
 * A one-line human description of an event (for logs and progress output), its time relative to
 * the execution's start when `startedAt` is given. For a whole trace use `lines`; for a live
 * stream (`onEvent`) use `formatter`, which remembers each execution's start.
 *
 * @example
 * ```ts
 * import { Trace } from "@weft/runtime"
 * Trace.format(
 *   { type: "node-started", at: 1796401238335, executionId: "e", nodeId: "a", iteration: 1, attempt: 1 },
 *   { startedAt: 1796401238335 }
 * )
 * // "[0ms] node a started (attempt 1)"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const format = (event: TraceEvent, options: FormatOptions = {}): string => {
  const prefix = options.startedAt === undefined ? "" : `[${event.at - options.startedAt}ms] `
  return prefix + describe(event)
}

/**
 * A whole trace as lines, times relative to its execution's start (its `execution-started`
 * event; the first event when there is none).
 *
 * @example
 * ```ts
 * import { Trace } from "@weft/runtime"
 * declare const result: { readonly trace: ReadonlyArray<Trace.TraceEvent> }
 * console.log(Trace.lines(result.trace).join("\n"))
 * // [0ms] execution 1f0c… of checkout started
 * // [0ms] node price scheduled
 * // …
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const lines = (trace: ReadonlyArray<TraceEvent>): Array<string> => {
  const next = formatter()
  return trace.map(next)
}

/**
 * A `format` for live streams (`onEvent`, `execution.events`): it remembers when each execution
 * started (from its `execution-started` event, else its first event seen) and prints times
 * relative to that.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * import { Runtime, Trace } from "@weft/runtime"
 * const wf = Workflow.make("hello").code("greet", "return 'hi'").build()
 * const line = Trace.formatter()
 * await Runtime.run(wf, {}, { onEvent: (event) => console.log(line(event)) })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const formatter = (): ((event: TraceEvent) => string) => {
  const starts = new Map<string, number>()
  return (event) => {
    let startedAt = starts.get(event.executionId)
    if (startedAt === undefined || event.type === "execution-started") {
      startedAt = event.at
      starts.set(event.executionId, startedAt)
    }
    // an execution's last line: forget it, so a long-lived formatter does not grow
    if (event.type === "execution-finished") starts.delete(event.executionId)
    return format(event, { startedAt })
  }
}

const describe = (event: TraceEvent): string => {
  switch (event.type) {
    case "execution-started":
      return `execution ${event.executionId} of ${event.workflowId} started`
    case "execution-finished":
      return `execution ${event.executionId} ${event.status} in ${event.duration}ms`
    case "node-scheduled":
      return `node ${event.nodeId} scheduled`
    case "node-started":
      return `node ${event.nodeId} started (attempt ${event.attempt}${event.iteration > 1 ? `, iteration ${event.iteration}` : ""}${event.queuedMillis === undefined ? "" : `, queued ${event.queuedMillis}ms`})`
    case "node-retrying":
      return `node ${event.nodeId} attempt ${event.attempt}/${event.maxAttempts} failed: ${event.error}; retrying in ${event.delay}ms`
    case "node-succeeded":
      return `node ${event.nodeId} succeeded in ${event.duration}ms`
    case "node-failed":
      return `node ${event.nodeId} ${event.status}: ${event.error}: ${event.message}`
    case "node-skipped":
      return `node ${event.nodeId} skipped (${event.reason})`
    case "node-cancelled":
      return `node ${event.nodeId} ${event.status} (${event.reason})`
    case "node-emitted":
      return `node ${event.nodeId} emitted ${JSON.stringify(event.event)}`
    case "node-waiting":
      return `node ${event.nodeId} waiting for ${event.waitingFor}`
    case "node-resumed":
      return `node ${event.nodeId} resumed after ${event.waited}ms`
    case "resource-acquired":
      return `resource ${event.resource} acquired (by ${event.nodeId})`
    case "resource-released":
      return `resource ${event.resource} released`
    case "resource-called":
      return `resource ${event.resource}.${event.method} called by ${event.nodeId}`
    case "event-received":
      return `event ${event.name === undefined ? "" : `${event.name} `}received ${JSON.stringify(event.event)}`
    case "loop-iteration":
      return `loop ${event.loopId} iteration ${event.iteration}`
    case "loop-finished":
      return `loop ${event.loopId} finished after ${event.iterations} iterations${event.converged ? " (converged)" : ""}`
  }
}
