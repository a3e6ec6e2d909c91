/**
 * Custom vitest matchers for execution results: `expect(result).toSucceed()`,
 * `toFailWith(...)`, `toHaveNodeOutput(...)`, `toHaveNodeStatus(...)`,
 * `toHaveExecutionCount(...)`, `toHaveRetried(...)`. Failure messages are the same as the
 * harness assertions' (node statuses, first error with its cause, trace lines).
 *
 * Importing `@weft/testing`'s `WorkflowTest` installs them; call `Matchers.install()` to install
 * them in a test file that does not.
 *
 * @since 0.1.0
 */
import { expect } from "vitest"
import * as Assert from "./Assert.js"
import type { NodeStatus } from "./internal/result.js"

/**
 * The matchers added to vitest's `expect`.
 *
 * @example
 * ```ts
 * import { Matchers } from "@weft/testing"
 * import { expect } from "vitest"
 * Matchers.install()
 * declare const result: Parameters<typeof expect>[0]
 * expect(result).toSucceed()
 * expect(result).toHaveNodeOutput("fetch_data", [1, 2, 3], "data")
 * ```
 * @since 0.1.0
 * @category models
 */
export interface WorkflowMatchers<R = unknown> {
  /** The workflow succeeded. */
  toSucceed(): R
  /** The workflow did not succeed (and an error matches `expected`, if given). */
  toFailWith(expected?: Assert.ExpectedFailure): R
  /** A node's output (or the value at `path` in it) equals `expected`. */
  toHaveNodeOutput(nodeId: string, expected: unknown, path?: string): R
  /** A node ended with `status`. */
  toHaveNodeStatus(nodeId: string, status: NodeStatus): R
  /** A node ran `times` times (attempts, over all loop iterations). */
  toHaveExecutionCount(nodeId: string, times: number): R
  /** A node was retried `times` times. */
  toHaveRetried(nodeId: string, times: number): R
}

// Only `R` is used: a member mentioning `T` (the received type) would be an own property of
// vitest's `Matchers`, and vitest maps every key of it through `Parameters<…>`, which fails
// (TS2344) in users' type checks with `skipLibCheck: false`.
declare module "vitest" {
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown>
    extends WorkflowMatchers<R> {}
}

const check = <Args extends Array<unknown>>(
  name: string,
  run: (result: Assert.Result, ...args: Args) => unknown
) =>
  function (this: { readonly isNot: boolean }, received: unknown, ...args: Args) {
    try {
      run(received as Assert.Result, ...args)
    } catch (error) {
      if (error instanceof Assert.AssertionFailed)
        return { pass: false, message: () => error.message }
      throw error
    }
    return {
      pass: true,
      message: () =>
        `expected the result not to satisfy ${name}, but it did\n${Assert.describe(received as Assert.Result)}`
    }
  }

let installed = false

/**
 * Adds the workflow matchers to vitest's `expect` (idempotent).
 *
 * @example
 * ```ts
 * import { Matchers } from "@weft/testing"
 * Matchers.install()
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const install = (): void => {
  if (installed) return
  installed = true
  expect.extend({
    toSucceed: check("toSucceed", (result) => Assert.workflowSuccess(result)),
    toFailWith: check("toFailWith", (result, expected?: Assert.ExpectedFailure) =>
      Assert.workflowFailure(result, expected)
    ),
    toHaveNodeOutput: check(
      "toHaveNodeOutput",
      (result, nodeId: string, expected: unknown, path?: string) =>
        Assert.nodeOutput(result, nodeId, expected, path)
    ),
    toHaveNodeStatus: check("toHaveNodeStatus", (result, nodeId: string, status: NodeStatus) =>
      Assert.nodeStatus(result, nodeId, status)
    ),
    toHaveExecutionCount: check("toHaveExecutionCount", (result, nodeId: string, times: number) =>
      Assert.executionCount(result, nodeId, times)
    ),
    toHaveRetried: check("toHaveRetried", (result, nodeId: string, times: number) =>
      Assert.retried(result, nodeId, times)
    )
  })
}
