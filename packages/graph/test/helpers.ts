import { Effect, Exit } from "effect"
import { expect } from "vitest"
import { Workflow } from "../src/index.js"

/** Builds and returns the `WorkflowInvalid` error, failing the test when the build succeeds. */
export const failureOf = (
  builder: Workflow.Builder,
  options?: Workflow.ValidateOptions
): Workflow.WorkflowInvalid => {
  const exit = Effect.runSyncExit(builder.buildEffect(options))
  if (Exit.isSuccess(exit)) throw new Error("expected the build to fail, but it succeeded")
  const error = exit.cause.reasons[0]
  if (error?._tag !== "Fail") throw new Error("expected a typed failure")
  return error.error
}

/** Asserts there is exactly one issue and it has this code, path and message fragment(s). */
export const expectOnlyIssue = (
  error: Workflow.WorkflowInvalid,
  code: Workflow.IssueCode,
  path: string,
  ...fragments: ReadonlyArray<string>
): void => {
  expect(error._tag).toBe("WorkflowInvalid")
  expect(error.issues.map((issue) => [issue.code, issue.path])).toEqual([[code, path]])
  for (const fragment of fragments) expect(error.issues[0]?.message).toContain(fragment)
}

/** Runs `fromJSON` and returns its failure. */
export const jsonFailureOf = (json: unknown): Workflow.WorkflowInvalid => {
  const exit = Effect.runSyncExit(Workflow.fromJSON(json))
  if (Exit.isSuccess(exit)) throw new Error("expected fromJSON to fail, but it succeeded")
  const error = exit.cause.reasons[0]
  if (error?._tag !== "Fail") throw new Error("expected a typed failure")
  return error.error
}
