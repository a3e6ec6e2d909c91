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
      return waiting(state, scope, self, `the result of node ${nodeId}`, wait).pipe(
        Effect.flatMap(() => check() ?? Effect.succeed(null))
      )
    })

export const waiting = <A, E, R>(
  state: ExecutionState,
  scope: AttemptScope,
  index: number,
  what: string,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    state.beginWait(index, what, scope)
    return Effect.ensuring(
      effect,
      Effect.sync(() => state.endWait(index))
    )
  })

export const guestNextEvent =
  (state: ExecutionState, scope: AttemptScope, index: number) => (timeout: Json) => {
    const take = Effect.flatMap(state.control.events(), Queue.take)
    const effect: Effect.Effect<Json> =
      typeof timeout === "number" && Number.isFinite(timeout) && timeout >= 0
        ? Effect.map(Effect.timeoutOption(take, timeout), Option.getOrNull)
        : take
    return waiting(state, scope, index, "an event (nextEvent)", effect)
  }

export const guestSleep =
  (_state: ExecutionState, _scope: AttemptScope, _index: number) =>
  (ms: Json): Effect.Effect<Json> =>
    typeof ms === "number" && ms > 0 ? Effect.as(Effect.sleep(ms), null) : Effect.succeed(null)
