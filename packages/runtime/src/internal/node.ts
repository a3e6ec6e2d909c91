// Running one node execution: its inputs, its function, eager resources, its attempts (see
// retries.ts), and recording the outcome in the execution state; `true` when it succeeded.
import { Cause, Effect, Result } from "effect"
import {
  type ExecutionError,
  FunctionNotFound,
  InputPathNotFound,
  NodeFailed,
  NodeTimedOut,
  WorkflowNotExecutable
} from "../ExecutionError.js"
import { toJson } from "./errors.js"
import { toNodeError } from "./nodeErrors.js"
import { NodeRun, runAttempt } from "./attempt.js"
import { traceNode } from "./spans.js"
import { runWaitNode } from "./waits.js"
import { resolveKey } from "./keyed.js"
import type { Json } from "./model.js"
import { attempts, type NodeOutcome, policyFor, settle } from "./retries.js"
import { type ExecutionState, type RegisteredFunction, RUNNING, SUCCEEDED } from "./state.js"

const recordSuccess = (
  state: ExecutionState,
  index: number,
  iteration: number,
  attempt: number,
  started: number,
  output: Json,
  at: number
): boolean => {
  state.status[index] = SUCCEEDED
  state.outputs[index] = output
  state.finishedAt[index] = at
  state.emit({
    type: "node-succeeded",
    at,
    executionId: state.executionId,
    nodeId: state.plan.nodes[index]!.id,
    iteration,
    attempt,
    duration: at - started
  })
  if (state.resultWaiters.size > 0) state.wakeResultWaiters(index)
  return true
}

/** Runs one node (all its attempts) and records the outcome; `true` when it succeeded. */
export const runNode = (
  state: ExecutionState,
  index: number,
  iteration: number
): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const node = state.plan.nodes[index]!
    const nodeId = node.id
    let started = state.now()
    state.status[index] = RUNNING
    const first = Number.isNaN(state.startedAt[index]!)
    if (first) state.startedAt[index] = started
    state.iterations[index] = iteration
    let attempt = 0
    let failedWith: ExecutionError | undefined
    const fail = (error: ExecutionError, at?: number): Effect.Effect<boolean> => {
      failedWith = error
      state.recordError(index, error, iteration, attempt, at)
      return Effect.succeed(false)
    }
    const inputs = state.inputsFor(node, iteration)
    if (inputs instanceof InputPathNotFound) return fail(inputs)
    const spec = node.node
    let fn: RegisteredFunction | undefined
    if (spec.kind === "task") {
      fn = state.config.functions.get(spec.function)
      if (fn === undefined) {
        const names = state.hostNames()
        return fail(
          new FunctionNotFound({
            nodeId,
            function: spec.function,
            available: [...names],
            message: `task node ${nodeId} calls function "${spec.function}", which is not registered; registered: ${names.length === 0 ? "(none)" : names.join(", ")}`
          })
        )
      }
    } else if (spec.kind === "delay" || spec.kind === "event") {
      const waited = Effect.matchEffect(runWaitNode(state, node, iteration, inputs), {
        onSuccess: (output) =>
          Effect.succeed(recordSuccess(state, index, iteration, 1, started, output, state.now())),
        onFailure: (error) => {
          attempt = 1
          return fail(error)
        }
      })
      return state.spans
        ? traceNode(
            waited,
            {
              "weft.execution.id": state.executionId,
              "weft.workflow.id": state.workflowId,
              "weft.node.id": nodeId,
              "weft.node.kind": spec.kind,
              "weft.iteration": iteration
            },
            () => ({ attempts: 1, error: failedWith })
          )
        : waited
    } else if (spec.kind !== "code") {
      return fail(
        new WorkflowNotExecutable({
          workflowId: state.workflowId,
          message: `node ${nodeId} has unsupported kind ${(spec as { readonly kind: string }).kind}`
        })
      )
    }
    const policy = policyFor(state, node)
    if (policy !== undefined && "_tag" in policy) return fail(policy)
    let concurrency: { readonly key: string; readonly limit: number } | undefined
    const limit = spec.concurrency
    if (limit !== undefined) {
      const key = resolveKey(limit.key, inputs)
      if (typeof key !== "string") {
        return fail(
          new NodeFailed({
            nodeId,
            attempt: 0,
            errorTag: "ConcurrencyKeyUnresolved",
            message: `node ${nodeId} has concurrency key "${limit.key}", but its input has no string or number at "${key.placeholder}"`,
            cause: null
          })
        )
      }
      concurrency = { key, limit: Math.max(1, Math.floor(limit.limit)) }
    }
    const nodeRun = new NodeRun(
      state,
      node,
      fn,
      inputs,
      iteration,
      policy?.attemptTimeout,
      concurrency
    )
    const timeout = node.timeout
    const eager = node.resources
    let whole: Effect.Effect<void, unknown> | undefined
    if (eager.length > 0) {
      const registry = state.resources
      let acquire: Effect.Effect<void, unknown> = Effect.forEach(
        eager,
        (name) => registry.acquire(name, nodeId),
        { discard: true }
      )
      // a hung connection must not outlive the node's timeout
      if (timeout !== undefined) {
        acquire = Effect.timeoutOrElse(acquire, {
          duration: timeout,
          orElse: () =>
            Effect.fail(
              new NodeTimedOut({
                nodeId,
                attempt: 0,
                timeout,
                message: `node ${nodeId} timed out after ${timeout}ms acquiring its resources (${eager.join(", ")})`
              })
            )
        })
      }
      whole = acquire
    }
    // Through a journal, the node ran from its first attempt's start to its last attempt's end
    // (recorded, maybe by an earlier process: the replay's clock is not the node's); live, the
    // times are read as it runs (`live`).
    const finished = (live: number): number => {
      if (state.liveJournal) return live
      const ended = nodeRun.lastEndedAt
      if (Number.isNaN(ended)) return live
      if (nodeRun.firstStartedAt < started) {
        started = nodeRun.firstStartedAt
        if (first) state.startedAt[index] = started
      }
      return ended
    }
    const onOutcome = (outcome: NodeOutcome): Effect.Effect<boolean> => {
      if (!("_tag" in outcome) && outcome.outcome._tag === "Success") {
        attempt = 1
        const output = outcome.outcome.output
        const at = finished(outcome.endedAt)
        return Effect.succeed(recordSuccess(state, index, iteration, 1, started, output, at))
      }
      const settled = settle(nodeId, outcome)
      attempt = settled.attempts
      if (settled._tag === "Success") {
        const at = finished(state.now())
        return Effect.succeed(
          recordSuccess(state, index, iteration, attempt, started, settled.output, at)
        )
      }
      return Effect.andThen(
        Effect.logWarning(settled.error.message).pipe(
          Effect.annotateLogs({ executionId: state.executionId, nodeId })
        ),
        Effect.suspend(() => fail(settled.error, finished(state.now())))
      )
    }
    // only resource acquisition fails here: an attempt's failure is its record
    const recorded: Effect.Effect<boolean> =
      whole === undefined
        ? policy === undefined && state.liveJournal
          ? // the common case: one attempt, run live, continued straight into the recording
            runAttempt(nodeRun, 1, onOutcome, started, (output, endedAt) => {
              attempt = 1
              return Effect.succeed(
                recordSuccess(state, index, iteration, 1, started, output, endedAt)
              )
            })
          : Effect.flatMap(attempts(nodeRun, policy), onOutcome)
        : Effect.matchCauseEffect(Effect.andThen(whole, attempts(nodeRun, policy)), {
            onSuccess: onOutcome,
            onFailure: (cause) => {
              const found = Cause.findError(cause)
              const error: ExecutionError = Result.isSuccess(found)
                ? toNodeError(nodeId, attempt, found.success)
                : new NodeFailed({
                    nodeId,
                    attempt,
                    errorTag: Cause.hasInterruptsOnly(cause) ? "Interrupted" : "Defect",
                    message: `node ${nodeId} failed: ${Cause.pretty(cause)}`,
                    cause: toJson(Cause.squash(cause))
                  })
              return Effect.andThen(
                Effect.logWarning(error.message).pipe(
                  Effect.annotateLogs({ executionId: state.executionId, nodeId })
                ),
                fail(error)
              )
            }
          })
    return state.spans
      ? traceNode(
          recorded,
          {
            "weft.execution.id": state.executionId,
            "weft.workflow.id": state.workflowId,
            "weft.node.id": nodeId,
            "weft.node.kind": spec.kind,
            "weft.iteration": iteration
          },
          () => ({ attempts: attempt, error: failedWith })
        )
      : recorded
  })
