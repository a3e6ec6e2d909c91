// Retries: the attempts of one node execution, each run (or replayed) through the journal, and the
// decision after a failed one — a pure function of the policy and the attempt records. Waits are
// journal timers; jitter draws from a generator seeded by the idempotency key and the attempt.
import { Effect, Result } from "effect"
import { Backoff, ErrorFilter, Policy } from "@weft/retry"
import { type ExecutionError, RetriesExhausted, WorkflowNotExecutable } from "../ExecutionError.js"
import type { AttemptRecord } from "../Journal.js"
import { attemptKey, isFatal, liveErrors, type NodeRun, runAttempt } from "./attempt.js"
import { errorMessage, errorTag, extraTags, toJson } from "./errors.js"
import type { Json } from "./model.js"
import { fromRecord, lastErrorText, toNodeError } from "./nodeErrors.js"
import type { PlanNode } from "./plan.js"
import type { ExecutionState } from "./state.js"

export const policyFor = (
  state: ExecutionState,
  node: PlanNode
): Policy.Policy | ExecutionError | undefined => {
  const spec = node.node.retry
  if (spec === undefined) return undefined
  const cached = state.policies[node.index]
  if (cached !== undefined) return cached
  const decoded = Policy.decodeSync(spec)
  if (Result.isFailure(decoded)) {
    return new WorkflowNotExecutable({
      workflowId: state.workflowId,
      message: `node ${node.id} has an invalid retry policy: ${decoded.failure.message}`
    })
  }
  state.policies[node.index] = decoded.success
  return decoded.success
}

/**
 * How a node execution ended after all its attempts: the record of its only attempt (no retry
 * policy), or the outcome of the retry loop.
 */
export type NodeOutcome =
  | AttemptRecord
  | { readonly _tag: "Success"; readonly output: Json; readonly attempts: number }
  | { readonly _tag: "Failure"; readonly error: ExecutionError; readonly attempts: number }

/** The output, or the recorded node error, of an outcome. */
export const settle = (
  nodeId: string,
  outcome: NodeOutcome
):
  | { readonly _tag: "Success"; readonly output: Json; readonly attempts: number }
  | { readonly _tag: "Failure"; readonly error: ExecutionError; readonly attempts: number } => {
  if ("_tag" in outcome) return outcome
  const result = outcome.outcome
  return result._tag === "Success"
    ? { _tag: "Success", output: result.output, attempts: 1 }
    : { _tag: "Failure", error: toNodeError(nodeId, 1, errorOf(outcome)), attempts: 1 }
}

/** A small deterministic generator (mulberry32) seeded from a string (FNV-1a). */
const seeded = (seed: string): (() => number) => {
  let h = 0x811c9dc5
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  let a = h >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const capOf = (policy: Policy.Policy): number =>
  policy.maxDelay === undefined || policy.maxDelay > Backoff.maxSafeDelay
    ? Backoff.maxSafeDelay
    : policy.maxDelay

/** The error of a failed record as the value decisions are made on. */
const errorOf = (record: AttemptRecord): unknown => {
  const live = liveErrors.get(record)
  if (live !== undefined) return live
  return record.outcome._tag === "Failure" ? fromRecord(record.outcome.error) : undefined
}

/** Runs or replays one attempt through the journal; a replayed record's events are re-emitted. */
const journaled = (run: NodeRun, attempt: number): Effect.Effect<AttemptRecord> => {
  const state = run.state
  if (state.liveJournal) return Effect.suspend(() => runAttempt(run, attempt))
  return Effect.suspend(() => {
    let ran = false
    const live = Effect.suspend(() => {
      ran = true
      return runAttempt(run, attempt)
    })
    return Effect.map(state.journal.attempt(attemptKey(run, attempt), live), (record) => {
      // the node's times come from its records: a replayed attempt ran in an earlier process
      if (Number.isNaN(run.firstStartedAt))
        run.firstStartedAt = record.startedAt - record.queuedMillis
      run.lastEndedAt = record.endedAt
      if (ran) return record
      const index = run.node.index
      state.attempts[index]!++
      for (const event of record.events) state.emit(event)
      state.queuedMillis[index]! += record.queuedMillis
      if (record.logs !== undefined && record.logs.length > 0) state.logs[index] = record.logs
      return record
    })
  })
}

/** All attempts of one node execution per its policy (one attempt without a policy). */
export const attempts = (
  run: NodeRun,
  policy: Policy.Policy | undefined
): Effect.Effect<NodeOutcome> => {
  const nodeId = run.node.id
  if (policy === undefined) return journaled(run, 1)
  return Effect.gen(function* () {
    const state = run.state
    const filter = ErrorFilter.make<unknown>(policy, { tagsOf: extraTags })
    const cap = capOf(policy)
    let firstStarted: number | undefined
    let previousDelay: number | undefined
    let attempt = 0
    while (true) {
      attempt++
      const record = yield* journaled(run, attempt)
      firstStarted ??= record.startedAt
      if (record.outcome._tag === "Success") {
        return { _tag: "Success", output: record.outcome.output, attempts: attempt }
      }
      const error = errorOf(record)
      const decision = isFatal(error) ? undefined : filter(error)
      if (decision === undefined || !decision.retry) {
        return { _tag: "Failure", error: toNodeError(nodeId, attempt, error), attempts: attempt }
      }
      const elapsed = record.endedAt - firstStarted
      let delay = 0
      let exhausted = attempt >= policy.maxAttempts
      if (!exhausted) {
        const random = seeded(`${run.idempotencyKey}:${attempt}`)
        delay =
          decision.retryAfter === undefined
            ? Policy.delayFor(policy, attempt, random, previousDelay)
            : Math.min(Math.round(decision.retryAfter), cap)
        previousDelay = delay
        exhausted = policy.maxElapsed !== undefined && elapsed + delay > policy.maxElapsed
      }
      if (exhausted) {
        const last = toNodeError(nodeId, attempt, error)
        const lastTag = last._tag === "NodeFailed" ? last.errorTag : last._tag
        return {
          _tag: "Failure",
          error: new RetriesExhausted({
            nodeId,
            attempts: attempt,
            elapsed,
            lastError: toJson(last),
            message: `node ${nodeId} failed after ${attempt} attempts in ${elapsed}ms; last error: ${lastErrorText(nodeId, lastTag, last)}`
          }),
          attempts: attempt
        }
      }
      const tag = errorTag(error)
      const message = errorMessage(error)
      state.emit({
        type: "node-retrying",
        at: state.now(),
        executionId: state.executionId,
        nodeId,
        iteration: run.iteration,
        attempt,
        maxAttempts: policy.maxAttempts,
        delay,
        error: tag,
        message
      })
      yield* Effect.logInfo(
        `node ${nodeId} attempt ${attempt}/${policy.maxAttempts} failed: ${tag}; retrying in ${delay}ms`
      ).pipe(Effect.annotateLogs({ executionId: state.executionId, nodeId, attempt }))
      yield* state.journal.sleep(`retry:${nodeId}:${run.iteration}:${attempt}`, delay)
    }
  })
}
