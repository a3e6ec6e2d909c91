// Span attributes of node runs and attempts (only built when a tracer is installed: state.spans).
// A node span ends in error when the node failed, so tracing backends show it as an error.
import { Cause, Effect, type Exit, Result } from "effect"
import { Retry } from "@weft/retry"
import type { ExecutionError } from "../ExecutionError.js"
import { errorTag } from "./errors.js"
import { isTimeout } from "./nodeErrors.js"
import type { NodeRun } from "./attempt.js"

/** The tag users know an error by: a NodeFailed's wrapped tag, else the error's own. */
export const tagOf = (error: ExecutionError): string =>
  error._tag === "NodeFailed" ? error.errorTag : error._tag

const attemptStatus = (exit: Exit.Exit<unknown, unknown>): Record<string, string> => {
  if (exit._tag === "Success") return { "weft.status": "succeeded" }
  if (Cause.hasInterruptsOnly(exit.cause)) return { "weft.status": "cancelled" }
  const found = Cause.findError(exit.cause)
  const error: unknown = Result.isSuccess(found) ? found.success : Cause.squash(exit.cause)
  const tag = errorTag(error)
  const timedOut = tag === "NodeTimedOut" || Retry.isAttemptTimedOut(error)
  return { "weft.status": timedOut ? "timed-out" : "failed", "weft.error.tag": tag }
}

/** One attempt as a `weft.attempt` span (child of its node's span), ended with its status. */
export const traceAttempt = <A, E>(
  run: NodeRun,
  attempt: number,
  body: Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.withSpan(
    Effect.onExit(body, (exit) => Effect.annotateCurrentSpan(attemptStatus(exit))),
    "weft.attempt",
    {
      attributes: {
        "weft.execution.id": run.state.executionId,
        "weft.node.id": run.node.id,
        "weft.iteration": run.iteration,
        "weft.attempt": attempt
      },
      captureStackTrace: false
    }
  )

/**
 * A node run as a `weft.node <id>` span: ids, kind and iteration up front; status, attempts made
 * and error tag at the end. A failed node fails its span (with the recorded error), then recovers.
 */
export const traceNode = (
  recorded: Effect.Effect<boolean>,
  attributes: Record<string, string | number>,
  outcome: () => { readonly attempts: number; readonly error: ExecutionError | undefined }
): Effect.Effect<boolean> =>
  Effect.withSpan(
    Effect.flatMap(
      Effect.onExit(recorded, (exit) => {
        const { attempts, error } = outcome()
        const status =
          exit._tag === "Failure"
            ? "cancelled"
            : error === undefined
              ? "succeeded"
              : isTimeout(error)
                ? "timed-out"
                : "failed"
        return Effect.annotateCurrentSpan(
          error === undefined
            ? { "weft.status": status, "weft.attempt": attempts }
            : { "weft.status": status, "weft.attempt": attempts, "weft.error.tag": tagOf(error) }
        )
      }),
      (succeeded) => {
        const { error } = outcome()
        return succeeded || error === undefined ? Effect.succeed(succeeded) : Effect.fail(error)
      }
    ),
    `weft.node ${String(attributes["weft.node.id"])}`,
    { attributes, captureStackTrace: false }
  ).pipe(Effect.catch(() => Effect.succeed(false)))
