// The ExecutionResult of a finished (or cancelled) execution, built from its state.
import { ExecutionCancelled } from "../ExecutionError.js"
import type { ExecutionResult, NodeResult } from "../ExecutionResult.js"
import type { ExecutionStatus, NodeStatus } from "../Trace.js"
import type { Json } from "./model.js"
import {
  CANCELLED,
  type ExecutionState,
  PENDING,
  RUNNING,
  SKIPPED,
  SUCCEEDED,
  statusNames
} from "./state.js"

export const buildResult = (state: ExecutionState, cancelled: boolean): ExecutionResult => {
  const finishedAt = state.now()
  const plan = state.plan
  const outputs: Record<string, Json> = {}
  const nodes: Record<string, NodeResult> = {}
  const counts: Record<string, number> = {}
  for (let i = 0; i < state.nodeCount; i++) {
    const id = plan.nodes[i]!.id
    let status = state.status[i]!
    if (status === PENDING || status === RUNNING) {
      if (status === RUNNING) {
        state.finishedAt[i] = finishedAt
        state.emit({
          type: "node-cancelled",
          at: finishedAt,
          executionId: state.executionId,
          nodeId: id,
          status: "cancelled",
          reason: "the execution was cancelled"
        })
      }
      status = status === PENDING ? SKIPPED : CANCELLED
      state.status[i] = status
    }
    const result: {
      -readonly [K in keyof NodeResult]: NodeResult[K]
    } = {
      nodeId: id,
      status: statusNames[status] as NodeStatus,
      attempts: state.attempts[i]!,
      iterations: state.iterations[i]!
    }
    if (status === SUCCEEDED) {
      const output = state.outputs[i] ?? null
      outputs[id] = output
      result.output = output
    }
    const started = state.startedAt[i]!
    if (!Number.isNaN(started)) {
      result.startedAt = started
      const finished = Number.isNaN(state.finishedAt[i]!) ? finishedAt : state.finishedAt[i]!
      result.finishedAt = finished
      result.duration = finished - started
      result.queuedMillis = state.queuedMillis[i]!
    }
    const error = state.nodeErrors[i]
    if (error !== undefined) result.error = error
    const logs = state.logs[i]
    if (logs !== undefined && logs.length > 0) result.logs = logs
    nodes[id] = result
    counts[id] = state.attempts[i]!
  }
  let status: ExecutionStatus
  if (cancelled || state.abort?.kind === "interrupted") {
    status = "cancelled"
    state.errors.push(
      new ExecutionCancelled({
        executionId: state.executionId,
        message: `execution ${state.executionId} of ${state.workflowId} was cancelled`
      })
    )
  } else if (state.abort?.kind === "timeout") status = "timed-out"
  else status = state.errors.length === 0 ? "succeeded" : "failed"
  const duration = finishedAt - state.startTime
  state.emit({
    type: "execution-finished",
    at: finishedAt,
    executionId: state.executionId,
    workflowId: state.workflowId,
    status,
    duration
  })
  return {
    id: state.executionId,
    workflowId: state.workflowId,
    status,
    outputs,
    nodes,
    errors: state.errors,
    handled: state.handled,
    trace: state.control.trace,
    startedAt: state.startTime,
    finishedAt,
    duration,
    counts
  }
}
