import type { Runtime } from "@weft/runtime"

/** Renders the demo's summary lines. */
export const describeDemo = (input: {
  readonly result: Runtime.ExecutionResult
  readonly delays: ReadonlyArray<number>
  readonly identifier: boolean
}): string =>
  [
    `@weft/graph + @weft/runtime: workflow "${input.result.workflowId}" ${input.result.status}`,
    `@weft/retry: backoff delays ${input.delays.join(", ")} ms`,
    `@weft/sandbox: "cart" is ${input.identifier ? "a valid" : "an invalid"} input name`
  ].join("\n")
