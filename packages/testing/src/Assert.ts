/**
 * Assertions on execution results.
 *
 * @since 0.1.0
 */
import type { Runtime } from "@weft/runtime"

/**
 * Throws unless the workflow succeeded.
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * Assert.workflowSuccess({ workflowId: "w", status: "succeeded" })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const workflowSuccess = (result: Runtime.ExecutionResult): void => {
  if (result.status !== "succeeded") {
    throw new Error(`workflow ${result.workflowId} did not succeed: ${result.status}`)
  }
}
