// The entry point of one execution: plan the workflow, open the journal and the resource scope,
// run the coordinator, and build the result. The parts live next door, one concern each:
// state.ts (per-execution state), coordinator.ts (scheduling, fail-fast, timeout, deadlock),
// node.ts (one node execution), retries.ts (attempts and retry waits), attempt.ts (one attempt),
// task.ts / code.ts (the two node bodies), waits.ts (guest waits), loops.ts, resources.ts
// (the resource bridge), result.ts.
import { Cause, Clock, type Context, Effect, Exit, Fiber, Scope, Tracer } from "effect"
import { NodeFailed, WorkflowNotExecutable } from "../ExecutionError.js"
import type { ExecutionResult } from "../ExecutionResult.js"
import { CurrentJournal, runsLive } from "../Journal.js"
import { CurrentScheduler } from "../Scheduler.js"
import type { TraceEvent } from "../Trace.js"
import { coordinator, START } from "./coordinator.js"
import type { Json, WorkflowData } from "./model.js"
import { planOf } from "./plan.js"
import { ResourceRegistry } from "./resources.js"
import { buildResult } from "./result.js"
import { Sandbox } from "./sandbox.js"
import { type Control, type EngineConfig, ExecutionState, notifyObserver } from "./state.js"

export type { TaskContextShape } from "./task.js"
export { Control, type EngineConfig, type RegisteredFunction } from "./state.js"

/** Delivers an event (named, or unnamed when `name` is null) into a running execution. */
export const sendEvent = (control: Control, name: string | null, event: Json, at: number): void => {
  if (control.finished) return
  control.mailbox.offer(name, event)
  const trace: TraceEvent =
    name === null
      ? { type: "event-received", at, executionId: control.executionId, event }
      : { type: "event-received", at, executionId: control.executionId, name, event }
  control.trace.push(trace)
  for (const listener of control.listeners) notifyObserver(listener, trace)
}

export const execute = (
  workflow: WorkflowData,
  params: { readonly [key: string]: Json },
  config: EngineConfig,
  control: Control
): Effect.Effect<ExecutionResult, never, Sandbox> =>
  Effect.gen(function* () {
    const clock = yield* Clock.Clock
    const scheduler = yield* CurrentScheduler
    const tracer = yield* Tracer.Tracer
    const plan = planOf(workflow)
    const state = new ExecutionState(plan, params, config, control, clock, scheduler)
    state.startTime = state.now()
    state.spans = tracer !== Tracer.nativeTracer
    const started = (): void =>
      state.emit({
        type: "execution-started",
        at: state.startTime,
        executionId: state.executionId,
        workflowId: state.workflowId
      })
    if (plan.problem !== undefined) {
      started()
      state.errors.push(
        new WorkflowNotExecutable({
          workflowId: state.workflowId,
          message: plan.problem,
          ...(plan.issues.length === 0 ? {} : { issues: plan.issues })
        })
      )
      return buildResult(state, false)
    }
    state.sandbox = yield* Sandbox
    state.context = (yield* Effect.context<never>()) as Context.Context<never>
    const scope = yield* Scope.make()
    const journal = yield* CurrentJournal
    state.journal = yield* Scope.provide(
      journal.open({ executionId: state.executionId, workflowId: state.workflowId }),
      scope
    )
    state.liveJournal = runsLive(state.journal)
    // a resumed execution started when it first started (the journal recorded that "now"): its
    // duration and workflow timeout count from there, downtime included
    if (!state.liveJournal) state.startTime = yield* state.journal.now("execution:started")
    started()
    const timeout = plan.workflow.settings.timeout
    if (timeout !== undefined) state.deadline = state.startTime + timeout
    state.resources = new ResourceRegistry(config.resources, scope, {
      acquired: (resource, nodeId) =>
        state.emit({
          type: "resource-acquired",
          at: state.now(),
          executionId: state.executionId,
          resource,
          nodeId
        }),
      released: (resource) =>
        state.emit({
          type: "resource-released",
          at: state.now(),
          executionId: state.executionId,
          resource
        }),
      releaseFailed: (error) => {
        state.errors.push(error)
      },
      called: (resource, method, nodeId) =>
        state.emit({
          type: "resource-called",
          at: state.now(),
          executionId: state.executionId,
          resource,
          method,
          nodeId
        })
    })
    if (control.cancelRequested) {
      yield* Scope.close(scope, Exit.void)
      control.finished = true
      return buildResult(state, true)
    }
    const fiber = yield* Effect.forkChild(coordinator(state), START)
    control.cancel = () => fiber.interruptUnsafe()
    if (control.cancelRequested) fiber.interruptUnsafe()
    const exit = yield* Fiber.await(fiber).pipe(
      Effect.onInterrupt(() =>
        Effect.andThen(Fiber.interrupt(fiber), Scope.close(scope, Exit.void)).pipe(
          Effect.andThen(
            Effect.sync(() => {
              control.finished = true
              buildResult(state, true)
            })
          )
        )
      )
    )
    control.cancel = undefined
    yield* Scope.close(scope, exit)
    control.finished = true
    // an engine defect is a failed run that says so, not a "cancelled" one
    const defect = Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)
    if (defect) {
      state.errors.push(
        new NodeFailed({
          nodeId: "(engine)",
          attempt: 0,
          errorTag: "Defect",
          message: `internal error in execution ${state.executionId}: ${Cause.pretty(exit.cause)}`,
          cause: null
        })
      )
      if (state.abort === undefined) state.abort = { kind: "failed" }
    }
    return buildResult(state, Exit.isFailure(exit) && !defect)
  }).pipe(
    Effect.withSpan(
      "weft.execution",
      {
        attributes: {
          "weft.workflow.id": String((workflow as { readonly id?: unknown } | null)?.id),
          "weft.execution.id": control.executionId
        }
      },
      { captureStackTrace: false }
    )
  )
