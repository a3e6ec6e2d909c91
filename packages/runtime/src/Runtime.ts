/**
 * The workflow runtime.
 *
 * @since 0.1.0
 */
import type { Workflow } from "@weft/graph"
import { Effect } from "effect"

/**
 * The result of running a workflow.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExecutionResult {
  readonly workflowId: string
  readonly status: "succeeded"
}

/**
 * Runs a workflow.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * import { Runtime } from "@weft/runtime"
 * import { Effect } from "effect"
 * Effect.runPromise(Runtime.execute(Workflow.make("empty")))
 * ```
 * @since 0.1.0
 * @category execution
 */
export const execute = (workflow: Workflow.Workflow): Effect.Effect<ExecutionResult> =>
  Effect.succeed({ workflowId: workflow.id, status: "succeeded" })
