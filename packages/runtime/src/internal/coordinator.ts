// The coordinator: starts ready units (a node, or a whole loop) as child fibers in rank order up
// to the concurrency limit, reacts to their completion, and ends the run on failure (fail-fast),
// workflow timeout or deadlock. Its decisions depend only on the plan, the params and what the
// units recorded — never on wall-clock time — so a durable journal can replay a run.
import { Cause, Effect, Exit, Fiber } from "effect"
import { Deadlock, NodeFailed } from "../ExecutionError.js"
import { runLoop } from "./loops.js"
import { runNode } from "./node.js"
import { resolveFeeds, schedule } from "./feeds.js"
import { CANCELLED, type ExecutionState, RUNNING, TIMED_OUT } from "./state.js"

/** A unit (node or loop) finished: resolve its connections (feeds.ts), or fail fast. */
export const unitDone = (state: ExecutionState, unit: number, exit: Exit.Exit<boolean>): void => {
  state.runningUnits--
  state.fibers[unit] = undefined
  if (Exit.isFailure(exit)) {
    // interrupted by the coordinator (abort set, statuses set there), or from outside while it
    // ran (a journal's engine shutting down under a waiting call): the execution is interrupted,
    // never a success with a cancelled node in it
    if (Cause.hasInterruptsOnly(exit.cause)) {
      if (state.abort === undefined) state.abort = { kind: "interrupted" }
    } else if (state.abort === undefined) {
      state.errors.push(
        new NodeFailed({
          nodeId: state.plan.nodes[state.plan.units[unit]!.nodes[0]!]!.id,
          attempt: 0,
          errorTag: "Defect",
          message: `internal error: ${Cause.pretty(exit.cause)}`,
          cause: null
        })
      )
      state.abort = { kind: "failed" }
    }
    state.notify()
    return
  }
  // fail-fast: a failure nothing handles stops the run (a handled one is routed instead)
  if (!exit.value && state.failFast && state.unhandled[unit] === 1) {
    if (state.abort === undefined) state.abort = { kind: "failed" }
  } else {
    resolveFeeds(state, unit, exit.value)
  }
  state.notify()
}

/** Every node that cannot go on, and what it waits for (for the Deadlock error). */
const blocked = (
  state: ExecutionState
): Array<{ readonly nodeId: string; readonly waitingFor: string }> => {
  const out: Array<{ readonly nodeId: string; readonly waitingFor: string }> = []
  for (const [index, waitingFor] of state.waiting) {
    out.push({ nodeId: state.plan.nodes[index]!.id, waitingFor })
  }
  for (const [index, waitingFor] of state.queued) {
    out.push({ nodeId: state.plan.nodes[index]!.id, waitingFor })
  }
  const ready = state.ready.toArray()
  for (const unit of ready) {
    if (state.unitStarted[unit] === 1) continue
    for (const index of state.plan.units[unit]!.nodes) {
      out.push({
        nodeId: state.plan.nodes[index]!.id,
        waitingFor: `a free slot (workflow concurrency ${state.limit})`
      })
    }
  }
  return out
}

export const START = { startImmediately: true } as const

const waitForWake = (state: ExecutionState): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (state.dirty) {
      state.dirty = false
      resume(Effect.void)
    } else {
      state.wake = () => {
        state.dirty = false
        resume(Effect.void)
      }
    }
  })

const stopRunning = (state: ExecutionState, status: number, reason: string): Effect.Effect<void> =>
  Effect.suspend(() => {
    const running: Array<Fiber.Fiber<boolean>> = []
    for (const fiber of state.fibers) if (fiber !== undefined) running.push(fiber)
    return Effect.andThen(
      running.length === 0 ? Effect.void : Fiber.interruptAll(running),
      Effect.sync(() => {
        const at = state.now()
        for (let i = 0; i < state.nodeCount; i++) {
          if (state.status[i] !== RUNNING) continue
          state.status[i] = status
          state.finishedAt[i] = at
          state.emit({
            type: "node-cancelled",
            at,
            executionId: state.executionId,
            nodeId: state.plan.nodes[i]!.id,
            status: status === TIMED_OUT ? "timed-out" : "cancelled",
            reason
          })
        }
        for (let i = 0; i < state.nodeCount; i++) state.skipNode(i, at, reason)
      })
    )
  })

export const coordinator = (state: ExecutionState): Effect.Effect<void> =>
  Effect.gen(function* () {
    const settings = state.plan.workflow.settings
    const deadlockTimeout = settings.deadlockTimeout ?? 30_000
    let watchdog: Fiber.Fiber<void> | undefined
    let watchdogEpoch = -1
    if (state.deadline !== undefined) {
      // from the execution's start: a resumed execution has only what is left of its timeout
      state.timer = yield* Effect.forkChild(
        Effect.andThen(
          Effect.sleep(Math.max(0, state.deadline - state.now())),
          Effect.sync(() => state.triggerTimeout())
        )
      )
    }
    const plan = state.plan
    for (let u = 0; u < plan.units.length; u++) {
      if (state.groupsLeft[u] === 0) schedule(state, u)
    }
    while (true) {
      state.dirty = false
      // units whose wait is over continue first (in the order they asked), then new ones start
      while (
        state.resumers.length > 0 &&
        state.abort === undefined &&
        state.runningUnits - state.suspended < state.limit
      ) {
        state.resumers.shift()!()
      }
      while (
        state.abort === undefined &&
        state.ready.size > 0 &&
        state.runningUnits - state.suspended < state.limit
      ) {
        const unit = state.ready.pop()!
        if (state.unitStarted[unit] === 1) continue
        state.unitStarted[unit] = 1
        state.runningUnits++
        const planUnit = plan.units[unit]!
        const effect =
          planUnit.loop === undefined ? runNode(state, planUnit.nodes[0]!, 1) : runLoop(state, unit)
        const fiber = yield* Effect.forkChild(effect, START)
        if (fiber.pollUnsafe() === undefined) state.fibers[unit] = fiber
        fiber.addObserver((exit) => unitDone(state, unit, exit))
      }
      const abort = state.abort
      if (abort !== undefined) {
        if (watchdog !== undefined) yield* Fiber.interrupt(watchdog)
        if (abort.kind === "failed") {
          yield* stopRunning(state, CANCELLED, "a node failed (fail-fast)")
        } else if (abort.kind === "interrupted") {
          yield* stopRunning(state, CANCELLED, "the execution was interrupted")
        } else if (abort.kind === "timeout") {
          state.errors.push(abort.error)
          yield* stopRunning(state, TIMED_OUT, "the workflow timed out")
        } else {
          state.errors.push(abort.error)
          yield* stopRunning(state, CANCELLED, "deadlock")
        }
        return
      }
      if (state.runningUnits === 0 && state.ready.size === 0) {
        if (watchdog !== undefined) yield* Fiber.interrupt(watchdog)
        return
      }
      // deadlock: every running unit is blocked in a wait that does not end by itself, or queued
      // for a permit / worker; a bounded wait (sleep, nextEvent(ms)) is progress waiting to happen
      const stuck =
        state.runningUnits > 0 &&
        state.resumers.length === 0 &&
        state.waiting.size - state.bounded.size + state.queued.size >= state.runningUnits
      if (stuck) {
        if (watchdog === undefined || watchdogEpoch !== state.waitEpoch) {
          if (watchdog !== undefined) yield* Fiber.interrupt(watchdog)
          const epoch = state.waitEpoch
          watchdogEpoch = epoch
          watchdog = yield* Effect.forkChild(
            Effect.andThen(
              Effect.sleep(deadlockTimeout),
              Effect.sync(() => {
                if (state.waitEpoch !== epoch || state.abort !== undefined) return
                const waiting = blocked(state)
                state.abort = {
                  kind: "deadlock",
                  error: new Deadlock({
                    workflowId: state.workflowId,
                    timeout: deadlockTimeout,
                    waiting,
                    message: `deadlock in workflow ${state.workflowId}: no node made progress for ${deadlockTimeout}ms; ${waiting.map((w) => `${w.nodeId} waits for ${w.waitingFor}`).join("; ")}`
                  })
                }
                state.notify()
              })
            )
          )
        }
      } else if (watchdog !== undefined) {
        yield* Fiber.interrupt(watchdog)
        watchdog = undefined
      }
      yield* waitForWake(state)
    }
  }).pipe(
    Effect.onInterrupt(() =>
      Effect.suspend(() => {
        const running: Array<Fiber.Fiber<boolean>> = []
        for (const fiber of state.fibers) if (fiber !== undefined) running.push(fiber)
        return running.length === 0 ? Effect.void : Fiber.interruptAll(running)
      })
    ),
    // the workflow-timeout timer is done with once the run is (no timer outlives its execution)
    Effect.ensuring(
      Effect.suspend(() => (state.timer === undefined ? Effect.void : Fiber.interrupt(state.timer)))
    )
  )
