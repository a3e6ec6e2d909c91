/**
 * The typed errors an execution can record. Every one is a `Schema.TaggedError` whose fields are
 * JSON, so a result survives `JSON.stringify` / a database row / a worker boundary with its tags.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const Json = Schema.Json

/**
 * A node failed: its code threw, its function rejected or its Effect failed. `errorTag` is the
 * underlying error's tag (`_tag`, or a guest error's `name`, or a host error's tag when a code
 * node's host call failed) and `cause` is that error as JSON.
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * const error = new ExecutionError.NodeFailed({
 *   nodeId: "charge", attempt: 1, errorTag: "ConnectionError", message: "node charge failed: ConnectionError: reset",
 *   cause: { _tag: "ConnectionError", message: "reset" }
 * })
 * error._tag // "NodeFailed"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class NodeFailed extends Schema.TaggedError<NodeFailed>()("NodeFailed", {
  nodeId: Schema.String,
  attempt: Schema.Number,
  errorTag: Schema.String,
  message: Schema.String,
  cause: Json
}) {}

/**
 * An attempt of a node ran longer than its timeout (`timeout` on the node, or the workflow's
 * `nodeTimeout`). The running code was interrupted.
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * new ExecutionError.NodeTimedOut({ nodeId: "fetch", attempt: 1, timeout: 1000, message: "node fetch timed out after 1000ms" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class NodeTimedOut extends Schema.TaggedError<NodeTimedOut>()("NodeTimedOut", {
  nodeId: Schema.String,
  attempt: Schema.Number,
  timeout: Schema.Number,
  message: Schema.String
}) {}

/**
 * An event node's `timeout` passed before an event of its name arrived. Its status is
 * `timed-out`; a failure connection from it routes the escalation (the run can still succeed).
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * new ExecutionError.EventTimedOut({ nodeId: "approval", event: "approved", timeout: 86_400_000, message: "event node approval got no \"approved\" event within 86400000ms" })
 * ```
 * @since 0.2.0
 * @category errors
 */
export class EventTimedOut extends Schema.TaggedError<EventTimedOut>()("EventTimedOut", {
  nodeId: Schema.String,
  event: Schema.String,
  timeout: Schema.Number,
  message: Schema.String
}) {}

/**
 * The whole workflow ran longer than its `timeout`; every running node was interrupted.
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * new ExecutionError.WorkflowTimedOut({ workflowId: "etl", timeout: 5000, message: "workflow etl timed out after 5000ms" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class WorkflowTimedOut extends Schema.TaggedError<WorkflowTimedOut>()("WorkflowTimedOut", {
  workflowId: Schema.String,
  timeout: Schema.Number,
  message: Schema.String
}) {}

/**
 * No node could make progress for `deadlockTimeout`: every running node was waiting on something
 * only another waiting node (or an event nobody sent) could provide.
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * const error = new ExecutionError.Deadlock({
 *   workflowId: "queue", timeout: 30000,
 *   waiting: [{ nodeId: "listener", waitingFor: "an event (nextEvent)" }],
 *   message: "deadlock: listener waits for an event (nextEvent)"
 * })
 * error.waiting[0]?.nodeId // "listener"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class Deadlock extends Schema.TaggedError<Deadlock>()("Deadlock", {
  workflowId: Schema.String,
  timeout: Schema.Number,
  waiting: Schema.Array(Schema.Struct({ nodeId: Schema.String, waitingFor: Schema.String })),
  message: Schema.String
}) {}

/**
 * A node asked for a resource that was not provided to the run. `available` lists what was.
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * new ExecutionError.ResourceNotFound({ resource: "db", nodeId: "load", available: ["cache"], message: "resource db not found; available: cache" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class ResourceNotFound extends Schema.TaggedError<ResourceNotFound>()("ResourceNotFound", {
  resource: Schema.String,
  nodeId: Schema.String,
  available: Schema.Array(Schema.String),
  message: Schema.String
}) {}

/**
 * Acquiring a resource failed, or a method was called that the resource does not have.
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * new ExecutionError.ResourceFailed({ resource: "db", message: "acquiring resource db failed: refused", cause: null })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class ResourceFailed extends Schema.TaggedError<ResourceFailed>()("ResourceFailed", {
  resource: Schema.String,
  message: Schema.String,
  cause: Json
}) {}

/**
 * A connection's output path does not exist in the source node's output. Names the node that
 * needed it, the source, the path, the first missing segment and the keys that do exist there.
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * new ExecutionError.InputPathNotFound({
 *   nodeId: "charge", input: "cents", from: "price", path: "result.cents", missing: "cents",
 *   available: ["total"], message: "input cents of node charge: path result.cents not found in output of price (missing cents; available: total)"
 * })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class InputPathNotFound extends Schema.TaggedError<InputPathNotFound>()(
  "InputPathNotFound",
  {
    nodeId: Schema.String,
    input: Schema.String,
    from: Schema.String,
    path: Schema.String,
    missing: Schema.String,
    available: Schema.Array(Schema.String),
    message: Schema.String
  }
) {}

/**
 * A task node (or a code node's host call) refers to a function nobody registered.
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * new ExecutionError.FunctionNotFound({ nodeId: "send", function: "sendEmail", available: [], message: "function sendEmail is not registered" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class FunctionNotFound extends Schema.TaggedError<FunctionNotFound>()("FunctionNotFound", {
  nodeId: Schema.String,
  function: Schema.String,
  available: Schema.Array(Schema.String),
  message: Schema.String
}) {}

/**
 * A loop reached `maxIterations` without converging (and its `onMaxIterations` is `"fail"`).
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * new ExecutionError.LoopDidNotConverge({ loopId: "smooth", iterations: 10, message: "loop smooth did not converge in 10 iterations" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class LoopDidNotConverge extends Schema.TaggedError<LoopDidNotConverge>()(
  "LoopDidNotConverge",
  {
    loopId: Schema.String,
    iterations: Schema.Number,
    message: Schema.String
  }
) {}

/**
 * The execution was cancelled (its fiber interrupted, `execution.cancel`, or an aborted
 * `AbortSignal`).
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * new ExecutionError.ExecutionCancelled({ executionId: "x-1", message: "execution x-1 was cancelled" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class ExecutionCancelled extends Schema.TaggedError<ExecutionCancelled>()(
  "ExecutionCancelled",
  {
    executionId: Schema.String,
    message: Schema.String
  }
) {}

/**
 * The workflow cannot be executed as given: an unvalidated value with structural problems (unknown
 * or duplicate nodes, a cycle, a malformed shape — listed in `issues`, as `@weft/graph` reports
 * them), a node outside a loop that sits between two nodes of that loop, or an invalid retry policy.
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * new ExecutionError.WorkflowNotExecutable({ workflowId: "w", message: "node x sits between nodes of loop l" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class WorkflowNotExecutable extends Schema.TaggedError<WorkflowNotExecutable>()(
  "WorkflowNotExecutable",
  {
    workflowId: Schema.String,
    message: Schema.String,
    /** When the workflow value is invalid: the `@weft/graph` validation issues, each with its location. */
    issues: Schema.optional(
      Schema.Array(
        Schema.Struct({
          code: Schema.String,
          path: Schema.String,
          message: Schema.String,
          /** For a `SyntaxError`: line and column in the user's own source (1-based). */
          line: Schema.optionalKey(Schema.Number),
          column: Schema.optionalKey(Schema.Number)
        })
      )
    )
  }
) {}

/**
 * `RetriesExhausted` recorded for a node: every attempt of its retry policy failed. `lastError`
 * is the last attempt's error as recorded (JSON). The tag is the one `@weft/retry` uses.
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * const error = new ExecutionError.RetriesExhausted({
 *   nodeId: "charge", attempts: 5, elapsed: 3000, message: "node charge failed after 5 attempts: ConnectionError",
 *   lastError: { _tag: "NodeFailed", errorTag: "ConnectionError" }
 * })
 * error._tag // "RetriesExhausted"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class RetriesExhausted extends Schema.TaggedError<RetriesExhausted>()("RetriesExhausted", {
  nodeId: Schema.String,
  attempts: Schema.Number,
  elapsed: Schema.Number,
  message: Schema.String,
  lastError: Json
}) {}

/**
 * Every error an `ExecutionResult` can carry (in `errors` and on a node). Sandbox errors reach
 * it wrapped in `NodeFailed` (their tag in `errorTag`).
 *
 * @example
 * ```ts
 * import type { ExecutionError } from "@weft/runtime"
 * const describe = (error: ExecutionError.ExecutionError) => `${error._tag}: ${error.message}`
 * ```
 * @since 0.1.0
 * @category models
 */
export type ExecutionError =
  | NodeFailed
  | NodeTimedOut
  | EventTimedOut
  | WorkflowTimedOut
  | Deadlock
  | ResourceNotFound
  | ResourceFailed
  | InputPathNotFound
  | FunctionNotFound
  | LoopDidNotConverge
  | ExecutionCancelled
  | WorkflowNotExecutable
  | RetriesExhausted

const tags: ReadonlySet<string> = new Set([
  "NodeFailed",
  "NodeTimedOut",
  "EventTimedOut",
  "WorkflowTimedOut",
  "Deadlock",
  "ResourceNotFound",
  "ResourceFailed",
  "InputPathNotFound",
  "FunctionNotFound",
  "LoopDidNotConverge",
  "ExecutionCancelled",
  "WorkflowNotExecutable",
  "RetriesExhausted"
])

/**
 * Whether a value is one of the runtime's errors (by `_tag`, so it works across copies and after
 * a JSON round trip).
 *
 * @example
 * ```ts
 * import { ExecutionError } from "@weft/runtime"
 * ExecutionError.isExecutionError({ _tag: "NodeTimedOut" }) // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isExecutionError = (u: unknown): u is ExecutionError =>
  typeof u === "object" &&
  u !== null &&
  typeof (u as { _tag?: unknown })._tag === "string" &&
  tags.has((u as { _tag: string })._tag)
