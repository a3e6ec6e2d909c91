// Who is calling: the node an operation is attributed to. Three sources, in order: an explicit
// task context, the AsyncLocalStorage set by `Meter.functions` (survives `await` inside a task),
// and the `CurrentNode` reference the metered scheduler provides to each attempt (read from the
// running fiber, which is how code-node host calls and resource-bridge calls are attributed).
import { AsyncLocalStorage } from "node:async_hooks"
import { Attempt } from "@weft/runtime"
import { Context, Fiber, type Schema } from "effect"

export interface NodeRef {
  readonly executionId: string
  readonly workflowId: string
  readonly nodeId: string
  readonly iteration: number
  readonly attempt: number
}

export interface Caller {
  readonly node: NodeRef
  /** Live trace emission (task nodes, and code nodes through `Attempt.CurrentAttempt`); without it notes join the result's trace. */
  readonly emit: ((event: Schema.Json) => void) | undefined
}

export interface TaskContextLike extends NodeRef {
  readonly emit: (event: Schema.Json) => void
}

export const CurrentNode = Context.Reference<NodeRef | undefined>("@weft/metered/CurrentNode", {
  defaultValue: () => undefined
})

export const storage = new AsyncLocalStorage<Caller>()

export const isTaskContext = (u: unknown): u is TaskContextLike =>
  typeof u === "object" &&
  u !== null &&
  typeof (u as { executionId?: unknown }).executionId === "string" &&
  typeof (u as { nodeId?: unknown }).nodeId === "string" &&
  typeof (u as { emit?: unknown }).emit === "function"

export const fromContext = (context: TaskContextLike): Caller => ({
  node: {
    executionId: context.executionId,
    workflowId: context.workflowId,
    nodeId: context.nodeId,
    iteration: context.iteration,
    attempt: context.attempt
  },
  emit: (event) => context.emit(event)
})

export const currentCaller = (context?: TaskContextLike): Caller | undefined => {
  if (context !== undefined) return fromContext(context)
  const stored = storage.getStore()
  if (stored !== undefined) return stored
  const fiber = Fiber.getCurrent()
  if (fiber === undefined) return undefined
  // a code node's host function or resource-bridge call: the runtime's attempt, live emission
  const attempt = Context.get(fiber.context, Attempt.CurrentAttempt)
  if (attempt !== undefined) {
    return {
      node: {
        executionId: attempt.executionId,
        workflowId: attempt.workflowId,
        nodeId: attempt.nodeId,
        iteration: attempt.iteration,
        attempt: attempt.attempt
      },
      emit: attempt.emit
    }
  }
  const node = Context.get(fiber.context, CurrentNode)
  return node === undefined ? undefined : { node, emit: undefined }
}
