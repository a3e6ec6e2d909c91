// Waiting inside a node: the guest-side waits of code nodes (`waitForResult`, `nextEvent`,
// `sleep`). Each is registered with the execution's wait table, which the deadlock watchdog reads.
import { Effect, Option, Queue } from "effect"
import type { AttemptScope } from "./attempt.js"
import type { Json } from "./model.js"
import { type ExecutionState, FAILED, SUCCEEDED, statusNames } from "./state.js"

export const guestWaitFor =
  (state: ExecutionState, scope: AttemptScope, self: number) => (nodeId: Json) =>
    Effect.suspend((): Effect.Effect<Json | undefined, unknown> => {
      const target = typeof nodeId === "string" ? state.plan.nodeIndex.get(nodeId) : undefined
      if (target === undefined) {
        return Effect.fail(new Error(`waitForResult: unknown node ${JSON.stringify(nodeId)}`))
      }
      const check = (): Effect.Effect<Json | undefined, unknown> | undefined => {
        const status = state.status[target]!
        if (status === SUCCEEDED) return Effect.succeed(state.outputs[target] ?? null)
        if (status >= FAILED) {
          return Effect.fail(
            Object.assign(new Error(`node ${nodeId} ${statusNames[status]}`), {
              name: "NodeResultUnavailable"
            })
          )
        }
        return undefined
      }
      const now = check()
      if (now !== undefined) return now
      const wait = Effect.callback<void>((resume) => {
        let list = state.resultWaiters.get(target)
        if (list === undefined) {
          list = []
          state.resultWaiters.set(target, list)
        }
        list.push(() => resume(Effect.void))
      })
      return waiting(state, scope, self, `the result of node ${nodeId}`, false, wait).pipe(
        Effect.flatMap(() => check() ?? Effect.succeed(null))
      )
    })

/**
 * Suspends node `index` in `effect`: while it waits it holds neither its workflow slot nor its
 * runtime permit (others run), and it takes both back — in the order waits ended — before it
 * continues. `bounded` waits end by themselves, so they never count towards a deadlock.
 */
export const waiting = <A, E>(
  state: ExecutionState,
  scope: AttemptScope,
  index: number,
  what: string,
  bounded: boolean,
  effect: Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    state.beginWait(index, what, scope, bounded)
    const began = state.now()
    const token = { suspended: true }
    state.suspended++
    state.notify()
    return scope.releasePermit().pipe(
      Effect.andThen(Effect.exit(effect)),
      Effect.tap(() => Effect.sync(() => state.endWait(index))),
      Effect.flatMap((exit) =>
        resumeSlot(state, token).pipe(
          Effect.andThen(scope.retakePermit(index)),
          Effect.andThen(
            Effect.sync(() => {
              const at = state.now()
              scope.emit({
                type: "node-resumed",
                at,
                executionId: state.executionId,
                nodeId: state.plan.nodes[index]!.id,
                waited: at - began
              })
            })
          ),
          Effect.andThen(exit)
        )
      ),
      Effect.onInterrupt(() =>
        Effect.sync(() => {
          state.endWait(index)
          if (token.suspended) {
            token.suspended = false
            state.suspended--
            state.notify()
          }
        })
      )
    )
  })

/** A slot to continue after a wait: at once if one is free and nobody asked first, else in order. */
const resumeSlot = (state: ExecutionState, token: { suspended: boolean }): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const grant = () => {
      token.suspended = false
      state.suspended--
      resume(Effect.void)
    }
    if (state.resumers.length === 0 && state.runningUnits - state.suspended < state.limit) {
      grant()
      return
    }
    state.resumers.push(grant)
    return Effect.sync(() => {
      const at = state.resumers.indexOf(grant)
      if (at >= 0) state.resumers.splice(at, 1)
    })
  })

export const guestNextEvent =
  (state: ExecutionState, scope: AttemptScope, index: number) => (timeout: Json) => {
    const take = Effect.flatMap(state.control.events(), Queue.take)
    const bounded = typeof timeout === "number" && Number.isFinite(timeout) && timeout >= 0
    const effect: Effect.Effect<Json> = bounded
      ? Effect.map(Effect.timeoutOption(take, timeout), Option.getOrNull)
      : take
    return waiting(
      state,
      scope,
      index,
      bounded ? `an event (nextEvent, up to ${timeout}ms)` : "an event (nextEvent)",
      bounded,
      effect
    )
  }

export const guestSleep =
  (state: ExecutionState, scope: AttemptScope, index: number) =>
  (ms: Json): Effect.Effect<Json> =>
    typeof ms === "number" && ms > 0
      ? waiting(state, scope, index, `sleep(${ms}ms)`, true, Effect.as(Effect.sleep(ms), null))
      : Effect.succeed(null)
