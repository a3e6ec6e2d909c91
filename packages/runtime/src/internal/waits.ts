// Waiting: the guest-side waits of code nodes (`waitForResult`, `nextEvent`, `sleep`) and the
// graph-level wait nodes (delay, event). Each is registered with the execution's wait table,
// which the deadlock watchdog reads, and gives its slot and permit back while it waits.
import { Effect, Option } from "effect"
import { EventTimedOut, type ExecutionError, NodeFailed } from "../ExecutionError.js"
import type { TraceEvent } from "../Trace.js"
import { unnamed } from "./mailbox.js"
import type { PlanNode } from "./plan.js"
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
  scope: WaitScope,
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

/**
 * `nextEvent()` / `nextEvent(ms)` take the next unnamed event; `nextEvent(name)` /
 * `nextEvent(name, ms)` the next event of that name. With `ms`, `null` when none came in time.
 */
export const guestNextEvent =
  (state: ExecutionState, scope: AttemptScope, index: number) =>
  (first: Json, second: Json): Effect.Effect<Json> => {
    const named = typeof first === "string"
    const name = named ? first : unnamed
    const timeout = named ? second : first
    const take = state.control.mailbox.take(name)
    const bounded = typeof timeout === "number" && Number.isFinite(timeout) && timeout >= 0
    const effect: Effect.Effect<Json> = bounded
      ? Effect.map(Effect.timeoutOption(take, timeout), Option.getOrNull)
      : take
    const what = named ? `the event "${name}" (nextEvent)` : "an event (nextEvent)"
    return waiting(
      state,
      scope,
      index,
      bounded ? `${what}, up to ${timeout}ms` : what,
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

/** What a wait needs from whoever waits: a trace, and the runtime permit it may hold. */
export interface WaitScope {
  emit(event: TraceEvent): void
  releasePermit(): Effect.Effect<void>
  retakePermit(index: number): Effect.Effect<void>
}

/** Delay and event nodes hold no permit: they only wait. */
const nodeScope = (state: ExecutionState): WaitScope => ({
  emit: (event) => state.emit(event),
  releasePermit: () => Effect.void,
  retakePermit: () => Effect.void
})

/** The node's connected inputs and node-scoped params (workflow-wide params left out). */
const passedOn = (
  state: ExecutionState,
  node: PlanNode,
  inputs: { readonly [key: string]: Json }
): { readonly [key: string]: Json } => {
  const out: Record<string, Json> = {}
  const scoped = state.scoped.get(node.id)
  if (scoped !== undefined) Object.assign(out, scoped)
  for (const input of node.inputs) {
    if (Object.hasOwn(inputs, input.input)) out[input.input] = inputs[input.input]!
  }
  return out
}

/**
 * Runs a delay or event node: a wait on the Clock or the mailbox, through the journal (so a
 * durable engine records it). A delay outputs its inputs; an event node the event's payload.
 */
export const runWaitNode = (
  state: ExecutionState,
  node: PlanNode,
  iteration: number,
  inputs: { readonly [key: string]: Json }
): Effect.Effect<Json, ExecutionError> =>
  Effect.suspend((): Effect.Effect<Json, ExecutionError> => {
    const spec = node.node
    const index = node.index
    const nodeId = node.id
    const journal = state.journal
    const scope = nodeScope(state)
    state.attempts[index]!++
    state.emit({
      type: "node-started",
      at: state.now(),
      executionId: state.executionId,
      nodeId,
      iteration,
      attempt: 1
    })
    if (spec.kind === "delay") {
      const name = `delay:${nodeId}:${iteration}`
      const output = passedOn(state, node, inputs)
      if (spec.until === undefined) {
        const ms = Math.max(0, spec.duration ?? 0)
        return Effect.as(
          waiting(state, scope, index, `a delay of ${ms}ms`, true, journal.sleep(name, ms)),
          output
        )
      }
      const until = spec.until
      const at = inputs[until]
      if (typeof at !== "number" || !Number.isFinite(at)) {
        return Effect.fail(
          new NodeFailed({
            nodeId,
            attempt: 1,
            errorTag: "InvalidDelayUntil",
            message: `delay node ${nodeId} waits until the epoch-ms timestamp in input "${until}", which is ${Object.hasOwn(inputs, until) ? `not a finite number (got ${JSON.stringify(at)})` : "missing"}`,
            cause: null
          })
        )
      }
      return Effect.flatMap(journal.now(name), (now) => {
        const ms = Math.max(0, at - now)
        return Effect.as(
          waiting(
            state,
            scope,
            index,
            `a delay until ${new Date(at).toISOString()}`,
            true,
            journal.sleep(name, ms)
          ),
          output
        )
      })
    }
    if (spec.kind !== "event") return Effect.die(`not a wait node: ${spec.kind}`)
    const event = spec.event
    const timeout = spec.timeout
    const take = state.control.mailbox.take(event)
    const wait: Effect.Effect<Option.Option<Json>> =
      timeout === undefined ? Effect.map(take, Option.some) : Effect.timeoutOption(take, timeout)
    const waiter =
      timeout === undefined
        ? { nodeId, iteration, event }
        : { nodeId, iteration, event, timeoutMillis: timeout }
    // waiting for the outside world is never a deadlock: give the node a timeout to bound it
    return Effect.flatMap(
      waiting(state, scope, index, `the event "${event}"`, true, journal.awaitEvent(waiter, wait)),
      (received): Effect.Effect<Json, ExecutionError> =>
        Option.isSome(received)
          ? Effect.succeed(received.value)
          : Effect.fail(
              new EventTimedOut({
                nodeId,
                event,
                timeout: timeout ?? 0,
                message: `event node ${nodeId} got no "${event}" event within ${timeout}ms`
              })
            )
    )
  })
