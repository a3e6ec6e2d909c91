// Code nodes: the node's source run in the sandbox with its inputs, the registered functions and
// the guest-side waits as host functions, and the resource bridge.
import { Deferred, Effect, Exit } from "effect"
import { NodeTimedOut } from "../ExecutionError.js"
import { type AttemptScope, markStarted, withLimits } from "./attempt.js"
import type { HostFunction, Json } from "./model.js"
import type { PlanNode } from "./plan.js"
import type { ExecutionState } from "./state.js"
import { guestNextEvent, guestSleep, guestWaitFor } from "./waits.js"

const hostFor = (
  state: ExecutionState,
  scope: AttemptScope,
  index: number
): { readonly [name: string]: HostFunction } => {
  const nodeId = state.plan.nodes[index]!.id
  return {
    ...state.registeredHost(),
    sleep: guestSleep(state, scope, index),
    emit: (event) =>
      Effect.sync(() => {
        scope.emit({
          type: "node-emitted",
          at: state.now(),
          executionId: state.executionId,
          nodeId,
          event: event ?? null
        })
        return null
      }),
    nextEvent: guestNextEvent(state, scope, index),
    waitForResult: guestWaitFor(state, scope, index)
  }
}

export const runCode = (
  state: ExecutionState,
  scope: AttemptScope,
  node: PlanNode,
  source: string,
  inputs: { readonly [key: string]: Json },
  attempt: number,
  permitQueue: number
): Effect.Effect<Json, unknown> =>
  Effect.suspend(() => {
    const sandbox = state.sandbox!
    const index = node.index
    const nodeId = node.id
    let limit = node.timeout
    let workflowBound = false
    if (state.deadline !== undefined) {
      const remaining = Math.max(1, state.deadline - state.now())
      if (limit === undefined || remaining < limit) {
        limit = remaining
        workflowBound = true
      }
    }
    const registry = state.resources
    let bound = inputs
    if (state.wideNotIdentifiers.length > 0) {
      const copy = { ...inputs }
      for (const key of state.wideNotIdentifiers) {
        if (copy[key] === state.wide[key]) delete copy[key]
      }
      bound = copy
    }
    // a global `idempotencyKey` (an input of that name wins: it is the user's data)
    if (!Object.hasOwn(bound, "idempotencyKey")) {
      bound = { ...bound, idempotencyKey: scope.idempotencyKey }
    }
    // queued for a worker until the guest starts: the deadlock watchdog sees it, the node's
    // limits do not count it (they start in onStart)
    state.beginQueue(index, "a sandbox worker")
    const started = Deferred.makeUnsafe<void>()
    const onStart = (info: { readonly queuedMillis: number }) =>
      Effect.sync(() => {
        state.endQueue(index)
        markStarted(scope, attempt, permitQueue + Math.round(info.queuedMillis))
        Deferred.doneUnsafe(started, Exit.void)
      })
    const guest = sandbox
      .run({
        source,
        onStart,
        fairnessKey: state.executionId,
        inputs: bound,
        host: hostFor(state, scope, index),
        resources: {
          acquire: (name) => Effect.asVoid(registry.acquire(name, nodeId)),
          call: (name, method, args) =>
            registry.call(name, method, args, nodeId, (resource, called) =>
              scope.resourceCalled(resource, called)
            )
        },
        ...(limit === undefined ? {} : { limits: { timeout: limit } }),
        label: nodeId
      })
      .pipe(
        Effect.map((result) => {
          if (result.logs.length > 0) scope.logs = result.logs
          return result.output ?? null
        }),
        Effect.catch((error: unknown): Effect.Effect<Json, unknown> => {
          const tag = (error as { readonly _tag?: unknown } | null)?._tag
          // a host call failed and the guest did not catch it: the host's error is the cause
          if (tag === "SandboxHostCallFailed") {
            return Effect.fail((error as { readonly cause: unknown }).cause)
          }
          if (tag === "SandboxTimeout") {
            if (workflowBound) {
              state.triggerTimeout()
              return Effect.never
            }
            return Effect.fail(
              new NodeTimedOut({
                nodeId,
                attempt,
                timeout: limit ?? 0,
                message: `node ${nodeId} timed out after ${limit}ms (sandbox limit)`
              })
            )
          }
          return Effect.fail(error)
        }),
        Effect.ensuring(
          Effect.sync(() => {
            // ended before it started (a syntax error, a limit): the trace still shows the attempt
            state.endQueue(index)
            if (!scope.startedEmitted) markStarted(scope, attempt, permitQueue)
          })
        )
      )
    const run = scope.run
    if (node.timeout === undefined && run.attemptTimeout === undefined) return guest
    // the wall-clock limits start with the guest
    return Effect.raceFirst(
      guest,
      Effect.andThen(Deferred.await(started), withLimits(run, attempt, Effect.never))
    )
  })
