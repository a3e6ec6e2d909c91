// One attempt of one node: take a runtime permit, run the task or code body under the node's
// timeout, and turn what happened into an AttemptRecord. The record is all the retry loop and the
// coordinator look at, so a durable journal can replay it instead of running the node.
import { Cause, Context, Deferred, Effect, Exit, Result, Scope, Semaphore } from "effect"
import { Retry } from "@weft/retry"
import {
  type AttemptHandle,
  ConcurrencyLimiter,
  CurrentAttempt,
  type LimiterError,
  type Limiter
} from "../Attempt.js"
import { NodeFailed, NodeTimedOut } from "../ExecutionError.js"
import type { AttemptRecord } from "../Journal.js"
import { inMemory } from "../Scheduler.js"
import type { TraceEvent } from "../Trace.js"
import { runCode } from "./code.js"
import { toJson } from "./errors.js"
import type { Json } from "./model.js"
import type { PlanNode } from "./plan.js"
import type { ExecutionState, RegisteredFunction } from "./state.js"
import { traceAttempt } from "./spans.js"
import { runTask } from "./task.js"

/** What an attempt emits goes to the trace and into its record (re-emitted on replay). */
export class AttemptScope {
  /** Kept only for a journal that records (the in-memory one never reads them). */
  readonly events: Array<TraceEvent> | undefined
  logs: ReadonlyArray<string> | undefined = undefined
  started = 0
  queued = 0
  startedEmitted = false
  /** Holds one of the runtime-wide permits (`Runtime.make({ concurrency })`). */
  holdsPermit = false
  /** Holds a slot of its concurrency key (`NodeOptions.concurrency`). */
  holdsKey = false
  private releasedForWait = false
  /** A provided `Attempt.ConcurrencyLimiter` (else the runtime's in-process one). */
  limiter: Limiter | undefined = undefined
  /** The scope the limiter's slot is held in, while held. */
  slotScope: Scope.Closeable | undefined = undefined
  /** The attempt number (for a provided limiter's request). */
  attempt = 0
  /** Fails when a held slot is lost (a provided limiter's lease). */
  lost: Deferred.Deferred<never, LimiterError> | undefined = undefined
  constructor(
    readonly state: ExecutionState,
    readonly nodeId: string,
    readonly run: NodeRun
  ) {
    this.events = state.liveJournal ? undefined : []
  }
  get idempotencyKey(): string {
    return this.run.idempotencyKey
  }
  emit(event: TraceEvent): void {
    this.events?.push(event)
    this.state.emit(event)
  }
  /** Gives the runtime permit and key slot back while the attempt waits (see waits.ts). */
  releasePermit(): Effect.Effect<void> {
    if (!this.holdsPermit && !this.holdsKey) return Effect.void
    this.releasedForWait = true
    return this.releaseHeld()
  }
  /** Releases whatever limits the attempt holds. */
  releaseHeld(): Effect.Effect<void> {
    let slot: Effect.Effect<void> = Effect.void
    if (this.holdsKey) {
      this.holdsKey = false
      const slotScope = this.slotScope
      if (slotScope !== undefined) {
        this.slotScope = undefined
        slot = Scope.close(slotScope, Exit.void)
      } else {
        const concurrency = this.run.concurrency!
        this.state.config.keyed.release(concurrency.key, concurrency.limit)
      }
    }
    if (!this.holdsPermit) return slot
    this.holdsPermit = false
    return Effect.andThen(slot, Semaphore.release(this.state.config.semaphore!, 1))
  }
  /** Takes them back after a wait, in turn with everyone queued for one. */
  retakePermit(index: number): Effect.Effect<void> {
    if (!this.releasedForWait) return Effect.void
    this.releasedForWait = false
    const lost = this.lost
    if (lost === undefined) return takeLimits(this, index, this.attempt) as Effect.Effect<void>
    // a provided limiter that fails now fails the attempt (its body races `lost`)
    return Effect.catch(takeLimits(this, index, this.attempt), (error) =>
      Effect.andThen(Deferred.fail(lost, error), Effect.never)
    )
  }
  resourceCalled(resource: string, method: string): void {
    this.emit({
      type: "resource-called",
      at: this.state.now(),
      executionId: this.state.executionId,
      resource,
      method,
      nodeId: this.nodeId
    })
  }
}

/** Everything the attempts of one node execution share. */
export class NodeRun {
  private key: string | undefined = undefined
  /** Through a journal (not the live default): when the first attempt began, its queueing included. */
  firstStartedAt = Number.NaN
  /** Through a journal: when the last attempt ended. */
  lastEndedAt = Number.NaN
  constructor(
    readonly state: ExecutionState,
    readonly node: PlanNode,
    /** The registered function of a task node; `undefined` for a code node. */
    readonly fn: RegisteredFunction | undefined,
    readonly inputs: { readonly [key: string]: Json },
    readonly iteration: number,
    /** The retry policy's `attemptTimeout`, if any. */
    readonly attemptTimeout: number | undefined,
    /** The node's concurrency key, resolved from its inputs. */
    readonly concurrency: { readonly key: string; readonly limit: number } | undefined
  ) {}
  /** Built on first use (most nodes never ask). */
  get idempotencyKey(): string {
    this.key ??= this.state.journal.idempotencyKey({
      nodeId: this.node.id,
      iteration: this.iteration
    })
    return this.key
  }
}

/**
 * The error value an attempt failed with, for records made in this process: the retry filter and
 * the recorded node error see the original (its prototype's `name`, its class); a replayed record
 * has only the JSON.
 */
export const liveErrors = new WeakMap<AttemptRecord, unknown>()

/** Defects and interruptions are recorded as the engine's own NodeFailed and never retried. */
export const isFatal = (error: unknown): boolean =>
  error instanceof NodeFailed ||
  (typeof error === "object" &&
    error !== null &&
    (error as { readonly _tag?: unknown })._tag === "NodeFailed")

const noEvents: ReadonlyArray<TraceEvent> = Object.freeze([])

const makeRecord = (
  outcome: AttemptRecord["outcome"],
  started: number,
  ended: number,
  queued: number,
  scope: AttemptScope
): AttemptRecord => {
  const logs = scope.logs
  const events = scope.events ?? noEvents
  if (logs !== undefined && logs.length > 0) scope.state.logs[scope.run.node.index] = logs
  return logs === undefined
    ? { outcome, startedAt: started, endedAt: ended, queuedMillis: queued, events }
    : { outcome, startedAt: started, endedAt: ended, queuedMillis: queued, events, logs }
}

const failure = (
  started: number,
  ended: number,
  queued: number,
  scope: AttemptScope,
  error: unknown
): AttemptRecord => {
  const record = makeRecord(
    { _tag: "Failure", error: toJson(error) },
    started,
    ended,
    queued,
    scope
  )
  liveErrors.set(record, error)
  return record
}

/**
 * Runs attempt `attempt` live and counts it, then continues with `next(record)`; never fails (a
 * failure is a record), interruptible. Builds the attempt when called (inside the caller's
 * suspension), so the hot path pays for one continuation only.
 */
export const runAttempt = <B = AttemptRecord>(
  run: NodeRun,
  attempt: number,
  next: (record: AttemptRecord) => Effect.Effect<B> = Effect.succeed as never,
  /** Clock time now, when the caller just read it (saves a read on the hot path). */
  now?: number,
  /** A success straight to the caller (no record): the in-memory journal never keeps one. */
  succeeded?: (output: Json, endedAt: number) => Effect.Effect<B>
): Effect.Effect<B> => {
  const state = run.state
  state.attempts[run.node.index]!++
  const scope = new AttemptScope(state, run.node.id, run)
  scope.attempt = attempt
  const handlers = {
    onSuccess:
      succeeded === undefined
        ? (output: Json): Effect.Effect<B> =>
            next(
              makeRecord(
                { _tag: "Success", output },
                scope.started,
                state.now(),
                scope.queued,
                scope
              )
            )
        : (output: Json): Effect.Effect<B> => {
            const logs = scope.logs
            if (logs !== undefined && logs.length > 0) state.logs[run.node.index] = logs
            return succeeded(output, state.now())
          },
    onFailure: (cause: Cause.Cause<unknown>): Effect.Effect<B> =>
      next(failed(run, attempt, scope, cause))
  }
  if (state.config.semaphore === undefined && run.concurrency === undefined) {
    const body = start(run, attempt, scope, now ?? state.now(), true)
    return Effect.matchCauseEffect(state.spans ? traceAttempt(run, attempt, body) : body, handlers)
  }
  // the limits count attempts executing: not a retry backoff, not a wait (waits.ts)
  const requested = state.now()
  if (run.concurrency !== undefined) {
    const limiter = Context.get(state.context, ConcurrencyLimiter)
    if (limiter !== undefined) {
      scope.limiter = limiter
      scope.lost = Deferred.makeUnsafe<never, LimiterError>()
    }
  }
  return Effect.matchCauseEffect(
    Effect.ensuring(
      Effect.andThen(
        takeLimits(scope, run.node.index, attempt),
        Effect.suspend(() => {
          const body = start(run, attempt, scope, requested, false)
          const traced = state.spans ? traceAttempt(run, attempt, body) : body
          // a provided limiter's slot lost while held: the attempt stops with its error
          return scope.lost === undefined
            ? traced
            : Effect.raceFirst(traced, Deferred.await(scope.lost))
        })
      ),
      Effect.suspend(() => scope.releaseHeld())
    ),
    handlers
  )
}

/** Queues (visibly to the deadlock watchdog) for the key slot, then the runtime permit. */
const takeLimits = (
  scope: AttemptScope,
  index: number,
  attempt: number
): Effect.Effect<void, LimiterError> => {
  const state = scope.state
  const concurrency = scope.run.concurrency
  const semaphore = state.config.semaphore
  const key =
    concurrency === undefined
      ? Effect.void
      : queued(
          scope,
          index,
          `a concurrency slot of key "${concurrency.key}" (limit ${concurrency.limit})`,
          scope.limiter === undefined
            ? state.config.keyed.take(concurrency.key, concurrency.limit)
            : takeSlot(scope, scope.limiter, concurrency, attempt),
          () => {
            scope.holdsKey = true
          }
        )
  const permit =
    semaphore === undefined
      ? Effect.void
      : queued(
          scope,
          index,
          "a runtime permit (Runtime.make({ concurrency }))",
          Semaphore.take(semaphore, 1),
          () => {
            scope.holdsPermit = true
          }
        )
  return Effect.andThen(key, permit)
}

/**
 * Takes a slot from a provided limiter in a scope of its own (closed by `releaseHeld`), and
 * watches its lease: a lost slot fails `scope.lost`, which the attempt's body races.
 */
const takeSlot = (
  scope: AttemptScope,
  limiter: Limiter,
  concurrency: { readonly key: string; readonly limit: number },
  attempt: number
): Effect.Effect<void, LimiterError> =>
  Effect.suspend(() => {
    const state = scope.state
    const slotScope = Scope.makeUnsafe()
    const lost = scope.lost!
    const take = Effect.flatMap(
      Scope.provide(slotScope)(
        limiter.take({
          key: concurrency.key,
          limit: concurrency.limit,
          executionId: state.executionId,
          workflowId: state.workflowId,
          nodeId: scope.nodeId,
          iteration: scope.run.iteration,
          attempt
        })
      ),
      (slot) => {
        scope.slotScope = slotScope
        const watch = slot.lost
        return watch === undefined
          ? Effect.void
          : Effect.asVoid(
              Effect.forkIn(
                Effect.catch(watch, (error) => Deferred.fail(lost, error)),
                slotScope
              )
            )
      }
    )
    return Effect.onExit(take, (exit) =>
      exit._tag === "Success" ? Effect.void : Scope.close(slotScope, exit)
    )
  })

const queued = <A, E>(
  scope: AttemptScope,
  index: number,
  what: string,
  take: Effect.Effect<A, E>,
  taken: () => void
): Effect.Effect<void, E> => {
  const state = scope.state
  return Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      state.beginQueue(index, what)
      return restore(take).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            state.endQueue(index)
            if (exit._tag === "Success") taken()
          })
        ),
        Effect.asVoid
      )
    })
  )
}

const failed = (
  run: NodeRun,
  attempt: number,
  scope: AttemptScope,
  cause: Cause.Cause<unknown>
): AttemptRecord => {
  const ended = run.state.now()
  const found = Cause.findError(cause)
  const error = Result.isSuccess(found)
    ? found.success
    : new NodeFailed({
        nodeId: run.node.id,
        attempt,
        errorTag: Cause.hasInterruptsOnly(cause) ? "Interrupted" : "Defect",
        message: `node ${run.node.id} failed: ${Cause.pretty(cause)}`,
        cause: toJson(Cause.squash(cause))
      })
  return failure(scope.started, ended, scope.queued, scope, error)
}

/** Records that the attempt runs now, after `queued` ms in queues; emits node-started. */
export const markStarted = (
  scope: AttemptScope,
  attempt: number,
  queued: number,
  now?: number
): void => {
  const state = scope.state
  const run = scope.run
  const started = now ?? state.now()
  scope.started = started
  scope.queued = queued
  scope.startedEmitted = true
  if (queued > 0) state.queuedMillis[run.node.index]! += queued
  scope.emit(
    queued > 0
      ? {
          type: "node-started",
          at: started,
          executionId: state.executionId,
          nodeId: run.node.id,
          iteration: run.iteration,
          attempt,
          queuedMillis: queued
        }
      : {
          type: "node-started",
          at: started,
          executionId: state.executionId,
          nodeId: run.node.id,
          iteration: run.iteration,
          attempt
        }
  )
}

/**
 * The attempt's body, from the moment it holds its permit. A task runs at once, so its limits
 * start now; a code node may still queue for a sandbox worker, so code.ts starts them (and
 * emits node-started) when the guest starts.
 */
const start = (
  run: NodeRun,
  attempt: number,
  scope: AttemptScope,
  requested: number,
  /** Nothing queued since `requested` (no limits to take): it is the start time. */
  immediate: boolean
): Effect.Effect<Json, unknown> => {
  const { state, node, fn, inputs, iteration } = run
  const now = immediate ? requested : state.now()
  const permitQueue = now - requested
  const scheduler = state.scheduler
  if (fn !== undefined) {
    markStarted(scope, attempt, permitQueue, now)
    let live = runTask(state, scope, node, fn, inputs, iteration, attempt)
    if (scheduler !== inMemory) live = hook(run, attempt, live)
    return node.timeout === undefined && run.attemptTimeout === undefined
      ? live
      : withLimits(run, attempt, live)
  }
  const source = (node.node as { readonly source: string }).source
  // host functions and resource-bridge calls see the attempt (Attempt.CurrentAttempt)
  const live = Effect.provideService(
    runCode(state, scope, node, source, inputs, attempt, permitQueue),
    CurrentAttempt,
    handleOf(scope, attempt)
  )
  // a scheduler may replace the guest (fault injection): then the limits bound its stand-in
  return scheduler === inMemory ? live : withLimits(run, attempt, hook(run, attempt, live))
}

/** The public face of an attempt (`Attempt.CurrentAttempt`): `emit` goes to its trace and record. */
const handleOf = (scope: AttemptScope, attempt: number): AttemptHandle => {
  const state = scope.state
  const run = scope.run
  return {
    executionId: state.executionId,
    workflowId: state.workflowId,
    nodeId: scope.nodeId,
    iteration: run.iteration,
    attempt,
    get idempotencyKey() {
      return run.idempotencyKey
    },
    emit: (event) =>
      scope.emit({
        type: "node-emitted",
        at: state.now(),
        executionId: state.executionId,
        nodeId: scope.nodeId,
        event
      })
  }
}

/** Who an attempt is, as the journal and the scheduler hook are told. */
export const attemptKey = (run: NodeRun, attempt: number) => ({
  executionId: run.state.executionId,
  workflowId: run.state.workflowId,
  nodeId: run.node.id,
  iteration: run.iteration,
  attempt
})

const hook = (
  run: NodeRun,
  attempt: number,
  live: Effect.Effect<Json, unknown>
): Effect.Effect<Json, unknown> => run.state.scheduler.runNode(attemptKey(run, attempt), live)

/** The node's `timeout` and the policy's `attemptTimeout` around an attempt that runs now. */
export const withLimits = (
  run: NodeRun,
  attempt: number,
  live: Effect.Effect<Json, unknown>
): Effect.Effect<Json, unknown> => {
  const nodeId = run.node.id
  const timeout = run.node.timeout
  if (timeout !== undefined) {
    live = Effect.timeoutOrElse(live, {
      duration: timeout,
      orElse: () =>
        Effect.fail(
          new NodeTimedOut({
            nodeId,
            attempt,
            timeout,
            message: `node ${nodeId} attempt ${attempt} timed out after ${timeout}ms`
          })
        )
    })
  }
  const attemptTimeout = run.attemptTimeout
  if (attemptTimeout !== undefined) {
    live = Effect.timeoutOrElse(live, {
      duration: attemptTimeout,
      orElse: () => Effect.fail(new Retry.AttemptTimedOut({ attempt, timeout: attemptTimeout }))
    })
  }
  return live
}
