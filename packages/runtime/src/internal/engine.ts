// The in-memory orchestrator: dependency-driven scheduling of units (a node, or a whole loop) as
// child fibers of one coordinator fiber, with fail-fast / continue, workflow timeout, deadlock
// watchdog, resources in one Scope per execution, and the trace.
import {
  Cause,
  Clock,
  type Context,
  Effect,
  Exit,
  Fiber,
  Option,
  Queue,
  Result,
  Scope,
  Semaphore,
  Tracer
} from "effect"
import { Policy, Retry } from "@weft/retry"
import {
  Deadlock,
  ExecutionCancelled,
  type ExecutionError,
  FunctionNotFound,
  InputPathNotFound,
  isExecutionError,
  LoopDidNotConverge,
  NodeFailed,
  NodeTimedOut,
  RetriesExhausted,
  WorkflowNotExecutable,
  WorkflowTimedOut
} from "../ExecutionError.js"
import type { ExecutionResult, NodeResult } from "../ExecutionResult.js"
import type { ResourceInput } from "../Resource.js"
import { CurrentScheduler, inMemory, type Scheduler as SchedulerShape } from "../Scheduler.js"
import type { ExecutionStatus, NodeStatus, TraceEvent } from "../Trace.js"
import { errorMessage, errorTag, extraTags, toJson } from "./errors.js"
import { IntHeap } from "./heap.js"
import type { HostFunction, Json, Loop, WorkflowData } from "./model.js"
import { type Plan, type PlanNode, planOf } from "./plan.js"
import { callValue, ResourceRegistry } from "./resources.js"
import { Sandbox } from "./sandbox.js"
import { Sandbox as SandboxModule } from "@weft/sandbox"

/** A function registered with the runtime (task nodes call it with `(inputs, context)`). */
export type RegisteredFunction = (...args: never[]) => unknown

export interface TaskContextShape {
  readonly executionId: string
  readonly workflowId: string
  readonly nodeId: string
  readonly iteration: number
  readonly attempt: number
  readonly signal: AbortSignal
  readonly resource: (name: string) => Effect.Effect<unknown, ExecutionError>
  readonly getResource: (name: string) => Promise<unknown>
  readonly emit: (event: Json) => void
}

export interface EngineConfig {
  readonly functions: ReadonlyMap<string, RegisteredFunction>
  readonly resources: { readonly [name: string]: ResourceInput }
  readonly semaphore: Semaphore.Semaphore | undefined
  readonly onEvent: ((event: TraceEvent) => void) | undefined
  readonly concurrency: number | "unbounded" | undefined
}

/** Shared between an execution and its handle. */
export class Control {
  readonly trace: Array<TraceEvent> = []
  readonly listeners = new Set<(event: TraceEvent) => void>()
  cancel: (() => void) | undefined = undefined
  cancelRequested = false
  finished = false
  private queue: Queue.Queue<Json> | undefined = undefined
  private pending: Array<Json> | undefined = undefined
  constructor(readonly executionId: string) {}
  /** Events sent into the execution; the queue is created on first use. */
  offer(event: Json): void {
    if (this.queue !== undefined) {
      Queue.offerUnsafe(this.queue, event)
    } else {
      this.pending ??= []
      this.pending.push(event)
    }
  }
  events(): Effect.Effect<Queue.Queue<Json>> {
    return Effect.suspend(() =>
      this.queue !== undefined
        ? Effect.succeed(this.queue)
        : Effect.map(Queue.unbounded<Json>(), (created) => {
            if (this.queue !== undefined) return this.queue
            this.queue = created
            for (const event of this.pending ?? []) Queue.offerUnsafe(created, event)
            this.pending = undefined
            return created
          })
    )
  }
  requestCancel(): void {
    this.cancelRequested = true
    this.cancel?.()
  }
}

/** Observers (progress bars, UIs) cannot change the run: an exception they throw is dropped. */
const notifyObserver = (observer: (event: TraceEvent) => void, event: TraceEvent): void => {
  try {
    observer(event)
  } catch {
    // ignored on purpose: a trace observer's bug must not fail, cancel or crash the execution
  }
}

const PENDING = 0
const RUNNING = 1
const SUCCEEDED = 2
const FAILED = 3
const SKIPPED = 4
const CANCELLED = 5
const TIMED_OUT = 6
const statusNames: ReadonlyArray<NodeStatus | "pending" | "running"> = [
  "pending",
  "running",
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
  "timed-out"
]

type Abort =
  | { readonly kind: "failed" }
  | { readonly kind: "timeout"; readonly error: WorkflowTimedOut }
  | { readonly kind: "deadlock"; readonly error: Deadlock }

const emptyParams: { readonly [key: string]: Json } = Object.freeze({})

const isPlainObject = (u: unknown): u is { readonly [key: string]: Json } =>
  typeof u === "object" && u !== null && !Array.isArray(u)

class PathMiss {
  constructor(
    readonly missing: string,
    readonly available: ReadonlyArray<string>
  ) {}
}

const getPath = (value: unknown, segments: ReadonlyArray<string>): Json | PathMiss => {
  let current = value
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    if (Array.isArray(current)) {
      const index = Number(segment)
      if (Number.isInteger(index) && index >= 0 && index < current.length) {
        current = current[index]
        continue
      }
      return new PathMiss(
        segment,
        current.map((_, i) => String(i))
      )
    }
    if (typeof current === "object" && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment]
      continue
    }
    return new PathMiss(
      segment,
      typeof current === "object" && current !== null ? Object.keys(current) : []
    )
  }
  return current as Json
}

/** Everything about one execution. Mutated only from fibers of this execution. */
class ExecutionState {
  readonly plan: Plan
  readonly workflowId: string
  readonly executionId: string
  readonly nodeCount: number
  readonly status: Array<number>
  readonly outputs: Array<Json | undefined>
  readonly attempts: Array<number>
  readonly iterations: Array<number>
  readonly startedAt: Array<number>
  readonly finishedAt: Array<number>
  readonly nodeErrors: Array<ExecutionError | undefined>
  readonly logs: Array<ReadonlyArray<string> | undefined>
  readonly errors: Array<ExecutionError> = []
  readonly remaining: Array<number>
  readonly unitStarted: Array<number>
  readonly ready: IntHeap
  readonly fibers: Array<Fiber.Fiber<boolean> | undefined>
  readonly limit: number
  readonly failFast: boolean
  readonly wide: { readonly [key: string]: Json }
  readonly scoped: Map<string, { readonly [key: string]: Json }> = new Map()
  readonly waiting = new Map<number, string>()
  readonly resultWaiters = new Map<number, Array<() => void>>()
  readonly policies: Array<Policy.Policy | undefined>
  private registered: { [name: string]: HostFunction } | undefined
  /** Workflow-wide params a code node cannot bind as variables (they are left out for code nodes). */
  readonly wideNotIdentifiers: ReadonlyArray<string>
  runningUnits = 0
  abort: Abort | undefined = undefined
  wake: (() => void) | undefined = undefined
  dirty = false
  waitEpoch = 0
  startTime = 0
  deadline: number | undefined
  resources!: ResourceRegistry
  sandbox: Sandbox["Service"] | undefined
  timer: Fiber.Fiber<void> | undefined = undefined
  /** Node spans only when a tracing backend is installed (the native tracer exports nothing). */
  spans = false
  context!: Context.Context<never>

  constructor(
    plan: Plan,
    params: { readonly [key: string]: Json },
    readonly config: EngineConfig,
    readonly control: Control,
    readonly clock: Clock.Clock,
    readonly scheduler: SchedulerShape
  ) {
    this.plan = plan
    const workflow = plan.workflow
    this.workflowId = typeof workflow.id === "string" ? workflow.id : String(workflow.id)
    this.executionId = control.executionId
    const n = workflow.nodes.length
    this.nodeCount = n
    this.status = new Array<number>(n).fill(PENDING)
    this.outputs = new Array(n)
    this.attempts = new Array<number>(n).fill(0)
    this.iterations = new Array<number>(n).fill(0)
    this.startedAt = new Array<number>(n).fill(Number.NaN)
    this.finishedAt = new Array<number>(n).fill(Number.NaN)
    this.nodeErrors = new Array(n)
    this.logs = new Array(n)
    this.policies = new Array(n)
    const units = plan.units.length
    this.remaining = new Array<number>(units)
    for (let u = 0; u < units; u++) this.remaining[u] = plan.units[u]!.predecessorCount
    this.unitStarted = new Array<number>(units).fill(0)
    this.ready = new IntHeap(plan.rank)
    this.fibers = new Array(units)
    const settings = workflow.settings
    // an override that is not a limit (NaN, a string from untyped code) would stall the run
    const override = config.concurrency
    const concurrency =
      override === "unbounded" || (typeof override === "number" && !Number.isNaN(override))
        ? override
        : settings.concurrency
    this.limit =
      settings.mode === "sequential"
        ? 1
        : concurrency === "unbounded"
          ? Number.POSITIVE_INFINITY
          : Math.max(1, concurrency)
    this.failFast = settings.failureMode !== "continue"
    let wide: Record<string, Json> | undefined
    for (const key in params) {
      const value = params[key]!
      if (plan.nodeIndex.has(key) && isPlainObject(value)) {
        this.scoped.set(key, value)
      } else {
        wide ??= {}
        wide[key] = value
      }
    }
    this.wide = wide ?? emptyParams
    this.wideNotIdentifiers = Object.keys(this.wide).filter(
      (key) => !SandboxModule.isValidInputName(key)
    )
  }

  /** Registered functions as sandbox host functions (built on the first code node). */
  registeredHost(): { readonly [name: string]: HostFunction } {
    if (this.registered === undefined) {
      const host: { [name: string]: HostFunction } = {}
      for (const [name, fn] of this.config.functions) {
        host[name] = (...args) =>
          callValue<Json | undefined>(() =>
            (fn as (...a: ReadonlyArray<unknown>) => unknown)(...args)
          )
      }
      this.registered = host
    }
    return this.registered
  }

  hostNames(): ReadonlyArray<string> {
    return [...this.config.functions.keys()].sort()
  }

  now(): number {
    return this.clock.currentTimeMillisUnsafe()
  }

  emit(event: TraceEvent): void {
    const control = this.control
    control.trace.push(event)
    const onEvent = this.config.onEvent
    if (onEvent !== undefined) notifyObserver(onEvent, event)
    if (control.listeners.size > 0) {
      for (const listener of control.listeners) notifyObserver(listener, event)
    }
  }

  notify(): void {
    this.dirty = true
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      wake()
    }
  }

  // ---- inputs -------------------------------------------------------------------------------

  inputsFor(
    node: PlanNode,
    iteration: number
  ): { readonly [key: string]: Json } | InputPathNotFound {
    const scoped = this.scoped.get(node.id)
    const inputs = node.inputs
    if (inputs.length === 0) return scoped === undefined ? this.wide : { ...this.wide, ...scoped }
    const out: Record<string, Json> = { ...this.wide, ...scoped }
    for (let k = 0; k < inputs.length; k++) {
      const input = inputs[k]!
      if (input.feedback && (iteration === 1 || this.outputs[input.from] === undefined)) continue
      const source = this.outputs[input.from]
      const value = input.segments.length === 0 ? source : getPath(source, input.segments)
      if (value instanceof PathMiss) {
        return new InputPathNotFound({
          nodeId: node.id,
          input: input.input,
          from: input.fromId,
          path: input.path,
          missing: value.missing,
          available: [...value.available],
          message: `input "${input.input}" of node ${node.id}: path "${input.path}" does not exist in the output of ${input.fromId} (no "${value.missing}"; available: ${value.available.length === 0 ? "(none)" : value.available.join(", ")})`
        })
      }
      out[input.input] = value as Json
    }
    return out
  }

  // ---- recording ----------------------------------------------------------------------------

  recordError(index: number, error: ExecutionError, iteration: number, attempt: number): void {
    const status = isTimeout(error) ? TIMED_OUT : FAILED
    this.status[index] = status
    this.finishedAt[index] = this.now()
    this.nodeErrors[index] = error
    this.errors.push(error)
    this.emit({
      type: "node-failed",
      at: this.finishedAt[index]!,
      executionId: this.executionId,
      nodeId: this.plan.nodes[index]!.id,
      iteration,
      attempt,
      status: status === TIMED_OUT ? "timed-out" : "failed",
      error: error._tag === "NodeFailed" ? error.errorTag : error._tag,
      message: error.message
    })
    this.wakeResultWaiters(index)
  }

  wakeResultWaiters(index: number): void {
    const waiters = this.resultWaiters.get(index)
    if (waiters !== undefined) {
      this.resultWaiters.delete(index)
      for (const waiter of waiters) waiter()
    }
  }

  beginWait(index: number, what: string): void {
    this.waiting.set(index, what)
    this.waitEpoch++
    this.emit({
      type: "node-waiting",
      at: this.now(),
      executionId: this.executionId,
      nodeId: this.plan.nodes[index]!.id,
      waitingFor: what
    })
    this.notify()
  }

  endWait(index: number): void {
    if (this.waiting.delete(index)) {
      this.waitEpoch++
      this.notify()
    }
  }

  triggerTimeout(): void {
    if (this.abort !== undefined) return
    const timeout = this.plan.workflow.settings.timeout ?? 0
    this.abort = {
      kind: "timeout",
      error: new WorkflowTimedOut({
        workflowId: this.workflowId,
        timeout,
        message: `workflow ${this.workflowId} timed out after ${timeout}ms`
      })
    }
    this.notify()
  }

  /** Skips `unit` and everything downstream of it (continue mode). */
  skipDownstream(unit: number, reason: string): void {
    const stack = [...this.plan.units[unit]!.successors]
    while (stack.length > 0) {
      const next = stack.pop()!
      if (this.unitStarted[next] === 1) continue
      this.unitStarted[next] = 1
      const at = this.now()
      for (const index of this.plan.units[next]!.nodes) this.skipNode(index, at, reason)
      for (const successor of this.plan.units[next]!.successors) stack.push(successor)
    }
  }

  /** Marks a node that has not started as skipped; nodes waiting on its result learn it. */
  skipNode(index: number, at: number, reason: string): void {
    if (this.status[index] !== PENDING) return
    this.status[index] = SKIPPED
    this.emit({
      type: "node-skipped",
      at,
      executionId: this.executionId,
      nodeId: this.plan.nodes[index]!.id,
      reason
    })
    this.wakeResultWaiters(index)
  }

  unitDone(unit: number, exit: Exit.Exit<boolean>): void {
    this.runningUnits--
    this.fibers[unit] = undefined
    if (Exit.isFailure(exit)) {
      // interrupted by the coordinator (its statuses are set there), or an engine defect
      if (!Cause.hasInterruptsOnly(exit.cause) && this.abort === undefined) {
        this.errors.push(
          new NodeFailed({
            nodeId: this.plan.nodes[this.plan.units[unit]!.nodes[0]!]!.id,
            attempt: 0,
            errorTag: "Defect",
            message: `internal error: ${Cause.pretty(exit.cause)}`,
            cause: null
          })
        )
        this.abort = { kind: "failed" }
      }
      this.notify()
      return
    }
    if (exit.value) {
      const successors = this.plan.units[unit]!.successors
      for (let k = 0; k < successors.length; k++) {
        const successor = successors[k]!
        if (--this.remaining[successor]! === 0 && this.unitStarted[successor] === 0) {
          this.ready.push(successor)
          const nodes = this.plan.units[successor]!.nodes
          const at = this.now()
          for (let m = 0; m < nodes.length; m++) {
            this.emit({
              type: "node-scheduled",
              at,
              executionId: this.executionId,
              nodeId: this.plan.nodes[nodes[m]!]!.id
            })
          }
        }
      }
    } else if (this.failFast) {
      if (this.abort === undefined) this.abort = { kind: "failed" }
    } else {
      const failed = this.plan.units[unit]!.nodes.find(
        (index) => this.status[index] === FAILED || this.status[index] === TIMED_OUT
      )
      this.skipDownstream(
        unit,
        `upstream ${failed === undefined ? "node" : `node ${this.plan.nodes[failed]!.id}`} failed`
      )
    }
    this.notify()
  }

  // ---- result -------------------------------------------------------------------------------

  buildResult(cancelled: boolean): ExecutionResult {
    const finishedAt = this.now()
    const plan = this.plan
    const outputs: Record<string, Json> = {}
    const nodes: Record<string, NodeResult> = {}
    const counts: Record<string, number> = {}
    for (let i = 0; i < this.nodeCount; i++) {
      const id = plan.nodes[i]!.id
      let status = this.status[i]!
      if (status === PENDING || status === RUNNING) {
        if (status === RUNNING) {
          this.finishedAt[i] = finishedAt
          this.emit({
            type: "node-cancelled",
            at: finishedAt,
            executionId: this.executionId,
            nodeId: id,
            status: "cancelled",
            reason: "the execution was cancelled"
          })
        }
        status = status === PENDING ? SKIPPED : CANCELLED
        this.status[i] = status
      }
      const result: {
        -readonly [K in keyof NodeResult]: NodeResult[K]
      } = {
        nodeId: id,
        status: statusNames[status] as NodeStatus,
        attempts: this.attempts[i]!,
        iterations: this.iterations[i]!
      }
      if (status === SUCCEEDED) {
        const output = this.outputs[i] ?? null
        outputs[id] = output
        result.output = output
      }
      const started = this.startedAt[i]!
      if (!Number.isNaN(started)) {
        result.startedAt = started
        const finished = Number.isNaN(this.finishedAt[i]!) ? finishedAt : this.finishedAt[i]!
        result.finishedAt = finished
        result.duration = finished - started
      }
      const error = this.nodeErrors[i]
      if (error !== undefined) result.error = error
      const logs = this.logs[i]
      if (logs !== undefined && logs.length > 0) result.logs = logs
      nodes[id] = result
      counts[id] = this.attempts[i]!
    }
    let status: ExecutionStatus
    if (cancelled) {
      status = "cancelled"
      this.errors.push(
        new ExecutionCancelled({
          executionId: this.executionId,
          message: `execution ${this.executionId} of ${this.workflowId} was cancelled`
        })
      )
    } else if (this.abort?.kind === "timeout") status = "timed-out"
    else status = this.errors.length === 0 ? "succeeded" : "failed"
    const duration = finishedAt - this.startTime
    this.emit({
      type: "execution-finished",
      at: finishedAt,
      executionId: this.executionId,
      workflowId: this.workflowId,
      status,
      duration
    })
    return {
      id: this.executionId,
      workflowId: this.workflowId,
      status,
      outputs,
      nodes,
      errors: this.errors,
      trace: this.control.trace,
      startedAt: this.startTime,
      finishedAt,
      duration,
      counts
    }
  }
}

const isTimeout = (error: ExecutionError): boolean =>
  error._tag === "NodeTimedOut" ||
  (error._tag === "RetriesExhausted" &&
    typeof error.lastError === "object" &&
    error.lastError !== null &&
    !Array.isArray(error.lastError) &&
    (error.lastError as { readonly _tag?: Json })._tag === "NodeTimedOut")

/** Normalises whatever a node attempt failed with into a recorded, JSON-safe error. */
const toNodeError = (nodeId: string, attempt: number, error: unknown): ExecutionError => {
  if (error instanceof RetriesExhausted) return error
  if (Retry.isRetriesExhausted(error)) {
    const last = toNodeError(nodeId, error.attempts, error.lastError)
    const lastTag = last._tag === "NodeFailed" ? last.errorTag : last._tag
    return new RetriesExhausted({
      nodeId,
      attempts: error.attempts,
      elapsed: error.elapsed,
      lastError: toJson(last),
      message: `node ${nodeId} failed after ${error.attempts} attempts in ${error.elapsed}ms; last error: ${lastTag}: ${last.message}`
    })
  }
  if (isExecutionError(error) && error instanceof Error) return error
  if (Retry.isAttemptTimedOut(error)) {
    return new NodeTimedOut({
      nodeId,
      attempt: error.attempt,
      timeout: error.timeout,
      message: `node ${nodeId} attempt ${error.attempt} timed out after ${error.timeout}ms (retry policy attemptTimeout)`
    })
  }
  const tag = errorTag(error)
  return new NodeFailed({
    nodeId,
    attempt,
    errorTag: tag,
    message: `node ${nodeId} failed: ${tag}: ${errorMessage(error)}`,
    cause: toJson(error)
  })
}

// ---- node execution -----------------------------------------------------------------------------

const recordSuccess = (
  state: ExecutionState,
  index: number,
  iteration: number,
  attempt: number,
  started: number,
  output: Json
): boolean => {
  const at = state.now()
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

const guestWaitFor = (state: ExecutionState, self: number) => (nodeId: Json) =>
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
    return waiting(state, self, `the result of node ${nodeId}`, wait).pipe(
      Effect.flatMap(() => check() ?? Effect.succeed(null))
    )
  })

const waiting = <A, E, R>(
  state: ExecutionState,
  index: number,
  what: string,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    state.beginWait(index, what)
    return Effect.ensuring(
      effect,
      Effect.sync(() => state.endWait(index))
    )
  })

const nextEventFn = (state: ExecutionState, index: number) => (timeout: Json) => {
  const take = Effect.flatMap(state.control.events(), Queue.take)
  const effect: Effect.Effect<Json> =
    typeof timeout === "number" && Number.isFinite(timeout) && timeout >= 0
      ? Effect.map(Effect.timeoutOption(take, timeout), Option.getOrNull)
      : take
  return waiting(state, index, "an event (nextEvent)", effect)
}

const hostFor = (
  state: ExecutionState,
  index: number
): { readonly [name: string]: HostFunction } => {
  const nodeId = state.plan.nodes[index]!.id
  return {
    ...state.registeredHost(),
    sleep: (ms) =>
      typeof ms === "number" && ms > 0 ? Effect.as(Effect.sleep(ms), null) : Effect.succeed(null),
    emit: (event) =>
      Effect.sync(() => {
        state.emit({
          type: "node-emitted",
          at: state.now(),
          executionId: state.executionId,
          nodeId,
          event: event ?? null
        })
        return null
      }),
    nextEvent: nextEventFn(state, index),
    waitForResult: guestWaitFor(state, index)
  }
}

const runCode = (
  state: ExecutionState,
  node: PlanNode,
  source: string,
  inputs: { readonly [key: string]: Json },
  attempt: number
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
    return sandbox
      .run({
        source,
        inputs: bound,
        host: hostFor(state, index),
        resources: {
          acquire: (name) => Effect.asVoid(registry.acquire(name, nodeId)),
          call: (name, method, args) => registry.call(name, method, args, nodeId)
        },
        ...(limit === undefined ? {} : { limits: { timeout: limit } }),
        label: nodeId
      })
      .pipe(
        Effect.map((result) => {
          if (result.logs.length > 0) state.logs[index] = result.logs
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
        })
      )
  })

class TaskContext implements TaskContextShape {
  private controller: AbortController | undefined
  constructor(
    private readonly state: ExecutionState,
    readonly nodeId: string,
    readonly iteration: number,
    readonly attempt: number
  ) {}
  get executionId(): string {
    return this.state.executionId
  }
  get workflowId(): string {
    return this.state.workflowId
  }
  get signal(): AbortSignal {
    this.controller ??= new AbortController()
    return this.controller.signal
  }
  abort(): void {
    this.controller?.abort()
  }
  resource(name: string): Effect.Effect<unknown, ExecutionError> {
    return this.state.resources.acquire(name, this.nodeId)
  }
  getResource(name: string): Promise<unknown> {
    return Effect.runPromiseWith(this.state.context)(this.resource(name))
  }
  emit(event: Json): void {
    this.state.emit({
      type: "node-emitted",
      at: this.state.now(),
      executionId: this.state.executionId,
      nodeId: this.nodeId,
      event
    })
  }
}

const runTask = (
  state: ExecutionState,
  node: PlanNode,
  fn: RegisteredFunction,
  inputs: { readonly [key: string]: Json },
  iteration: number,
  attempt: number
): Effect.Effect<Json, unknown> => {
  const context = new TaskContext(state, node.id, iteration, attempt)
  return Effect.flatMap(
    callValue<Json | undefined>(
      () => (fn as (...a: ReadonlyArray<unknown>) => unknown)(inputs, context),
      () => context.abort()
    ),
    (output): Effect.Effect<Json, unknown> => {
      if (output === undefined || output === null) return Effect.succeed(null)
      if (typeof output !== "object" && typeof output !== "bigint") return Effect.succeed(output)
      const problem = notJson(output, "", [])
      return problem === undefined
        ? Effect.succeed(output)
        : Effect.fail({
            _tag: "OutputNotJson",
            retryable: false,
            message: `task ${node.id} returned an output that JSON cannot hold (${problem}); node outputs are JSON (the result is serialised, and a durable backend stores them)`
          })
    }
  )
}

/** Why `value` would not survive `JSON.stringify` (a BigInt, a cycle), or `undefined`. */
const notJson = (value: unknown, path: string, ancestors: Array<object>): string | undefined => {
  if (typeof value === "bigint") return `a BigInt at ${path === "" ? "the top" : path}`
  if (typeof value !== "object" || value === null) return undefined
  // toJSON decides its own form (Date, fixtures' HTTP responses)
  if (typeof (value as { readonly toJSON?: unknown }).toJSON === "function") return undefined
  if (ancestors.includes(value)) return `a circular reference at ${path === "" ? "the top" : path}`
  ancestors.push(value)
  let problem: string | undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && problem === undefined; i++) {
      problem = notJson(value[i], path === "" ? String(i) : `${path}.${i}`, ancestors)
    }
  } else {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue
      problem = notJson(
        (value as Record<string, unknown>)[key],
        path === "" ? key : `${path}.${key}`,
        ancestors
      )
      if (problem !== undefined) break
    }
  }
  ancestors.pop()
  return problem
}

const policyFor = (
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

/** Runs one node (all its attempts) and records the outcome; `true` when it succeeded. */
const runNode = (state: ExecutionState, index: number, iteration: number): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const node = state.plan.nodes[index]!
    const nodeId = node.id
    const started = state.now()
    state.status[index] = RUNNING
    if (Number.isNaN(state.startedAt[index]!)) state.startedAt[index] = started
    state.iterations[index] = iteration
    let attempt = 0
    const fail = (error: ExecutionError): Effect.Effect<boolean> => {
      state.recordError(index, error, iteration, attempt)
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

    const timeout = node.timeout
    const scheduler = state.scheduler
    const semaphore = state.config.semaphore
    let single: Effect.Effect<Json, unknown> = Effect.suspend(() => {
      attempt++
      state.attempts[index]!++
      state.emit({
        type: "node-started",
        at: state.now(),
        executionId: state.executionId,
        nodeId,
        iteration,
        attempt
      })
      let body =
        fn !== undefined
          ? runTask(state, node, fn, inputs, iteration, attempt)
          : runCode(state, node, (spec as { readonly source: string }).source, inputs, attempt)
      if (scheduler !== inMemory) {
        body = scheduler.runNode(
          {
            executionId: state.executionId,
            workflowId: state.workflowId,
            nodeId,
            iteration,
            attempt
          },
          body
        )
      }
      if (timeout !== undefined) {
        const current = attempt
        body = Effect.timeoutOrElse(body, {
          duration: timeout,
          orElse: () =>
            Effect.fail(
              new NodeTimedOut({
                nodeId,
                attempt: current,
                timeout,
                message: `node ${nodeId} attempt ${current} timed out after ${timeout}ms`
              })
            )
        })
      }
      return body
    })
    // the runtime-wide limit counts attempts that run, not nodes waiting out a retry backoff
    if (semaphore !== undefined) single = Semaphore.withPermits(semaphore, 1)(single)
    let run: Effect.Effect<Json, unknown> =
      policy === undefined
        ? single
        : Retry.retry(single, policy, {
            tagsOf: extraTags,
            onRetry: (event) =>
              Effect.suspend(() => {
                const tag = errorTag(event.error)
                const message = errorMessage(event.error)
                state.emit({
                  type: "node-retrying",
                  at: state.now(),
                  executionId: state.executionId,
                  nodeId,
                  iteration,
                  attempt: event.attempt,
                  maxAttempts: event.maxAttempts,
                  delay: event.delay,
                  error: tag,
                  message
                })
                return Effect.logInfo(
                  `node ${nodeId} attempt ${event.attempt}/${event.maxAttempts} failed: ${tag}; retrying in ${event.delay}ms`
                ).pipe(
                  Effect.annotateLogs({
                    executionId: state.executionId,
                    nodeId,
                    attempt: event.attempt
                  })
                )
              })
          })
    const eager = node.resources
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
      run = Effect.andThen(acquire, run)
    }
    const recorded = Effect.matchCauseEffect(run, {
      onSuccess: (output) =>
        Effect.succeed(recordSuccess(state, index, iteration, attempt, started, output)),
      onFailure: (cause) => {
        const found = Cause.findError(cause)
        const error = Result.isSuccess(found)
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
      ? Effect.withSpan(recorded, `weft.node ${nodeId}`, {
          attributes: {
            "weft.execution.id": state.executionId,
            "weft.node.id": nodeId,
            "weft.node.kind": spec.kind,
            "weft.iteration": iteration
          },
          captureStackTrace: false
        })
      : recorded
  })

// ---- loops ----------------------------------------------------------------------------------------

const conditionCache = new WeakMap<Loop, boolean>()

const checkConvergence = (
  state: ExecutionState,
  loop: Loop,
  iteration: number,
  previous: { value: number | undefined }
): Effect.Effect<boolean, ExecutionError> => {
  const until = loop.until
  if (until.kind === "converged") {
    const index = state.plan.nodeIndex.get(until.node)
    const output = index === undefined ? undefined : state.outputs[index]
    const value = getPath(output, until.output === "" ? [] : until.output.split("."))
    // a typo in the path or a non-numeric value would otherwise "never converge" silently
    if (value instanceof PathMiss) {
      return Effect.fail(
        new InputPathNotFound({
          nodeId: until.node,
          input: `until (loop ${loop.id})`,
          from: until.node,
          path: until.output,
          missing: value.missing,
          available: [...value.available],
          message: `loop ${loop.id} converges on "${until.output}" of node ${until.node}, which does not exist in its output (no "${value.missing}"; available: ${value.available.length === 0 ? "(none)" : value.available.join(", ")})`
        })
      )
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return Effect.fail(
        new LoopDidNotConverge({
          loopId: loop.id,
          iterations: iteration,
          message: `loop ${loop.id} converges on "${until.output}" of node ${until.node}, but its value in iteration ${iteration} is not a number (got ${JSON.stringify(value) ?? String(value)})`
        })
      )
    }
    const number: number | undefined = value
    const before = previous.value
    previous.value = number
    return Effect.succeed(
      iteration > 1 &&
        number !== undefined &&
        before !== undefined &&
        Math.abs(number - before) <= until.tolerance
    )
  }
  const outputs: Record<string, Json> = {}
  for (const id of loop.nodes) {
    const index = state.plan.nodeIndex.get(id)
    if (index !== undefined) outputs[id] = state.outputs[index] ?? null
  }
  const sandbox = state.sandbox!
  const run = (source: string) =>
    sandbox.run({ source, inputs: { outputs, iteration }, label: `loop ${loop.id} condition` })
  const asExpression = conditionCache.get(loop)
  const evaluate: Effect.Effect<Json | undefined, unknown> =
    asExpression === false
      ? Effect.map(run(until.source), (r) => r.output)
      : Effect.map(run(`return (${until.source}\n)`), (r) => r.output).pipe(
          Effect.tap(() => Effect.sync(() => conditionCache.set(loop, true))),
          Effect.catch((error: unknown) =>
            (error as { readonly _tag?: unknown } | null)?._tag === "SandboxSyntaxError" &&
            asExpression === undefined
              ? Effect.map(run(until.source), (r) => {
                  conditionCache.set(loop, false)
                  return r.output
                })
              : Effect.fail(error)
          )
        )
  return Effect.map(evaluate, Boolean).pipe(
    Effect.mapError((error) => toNodeError(`loop ${loop.id}`, iteration, error))
  )
}

const runLoop = (state: ExecutionState, unit: number): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    const planUnit = state.plan.units[unit]!
    const loop = planUnit.loop!
    const previous: { value: number | undefined } = { value: undefined }
    for (let iteration = 1; iteration <= loop.maxIterations; iteration++) {
      state.emit({
        type: "loop-iteration",
        at: state.now(),
        executionId: state.executionId,
        loopId: loop.id,
        iteration
      })
      for (const index of planUnit.nodes) {
        const ok = yield* runNode(state, index, iteration)
        if (!ok) return false
      }
      const converged = yield* Effect.result(checkConvergence(state, loop, iteration, previous))
      if (Result.isFailure(converged)) {
        state.errors.push(converged.failure)
        return false
      }
      if (converged.success) {
        state.emit({
          type: "loop-finished",
          at: state.now(),
          executionId: state.executionId,
          loopId: loop.id,
          iterations: iteration,
          converged: true
        })
        return true
      }
    }
    state.emit({
      type: "loop-finished",
      at: state.now(),
      executionId: state.executionId,
      loopId: loop.id,
      iterations: loop.maxIterations,
      converged: false
    })
    if (loop.onMaxIterations === "succeed") return true
    state.errors.push(
      new LoopDidNotConverge({
        loopId: loop.id,
        iterations: loop.maxIterations,
        message: `loop ${loop.id} did not converge within ${loop.maxIterations} iterations`
      })
    )
    return false
  })

// ---- coordinator ----------------------------------------------------------------------------------

const START = { startImmediately: true } as const

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

const coordinator = (state: ExecutionState): Effect.Effect<void> =>
  Effect.gen(function* () {
    const settings = state.plan.workflow.settings
    const deadlockTimeout = settings.deadlockTimeout ?? 30_000
    let watchdog: Fiber.Fiber<void> | undefined
    let watchdogEpoch = -1
    if (settings.timeout !== undefined) {
      state.timer = yield* Effect.forkChild(
        Effect.andThen(
          Effect.sleep(settings.timeout),
          Effect.sync(() => state.triggerTimeout())
        )
      )
    }
    const plan = state.plan
    const at = state.now()
    for (let u = 0; u < plan.units.length; u++) {
      if (state.remaining[u] !== 0) continue
      state.ready.push(u)
      for (const index of plan.units[u]!.nodes) {
        state.emit({
          type: "node-scheduled",
          at,
          executionId: state.executionId,
          nodeId: plan.nodes[index]!.id
        })
      }
    }
    while (true) {
      state.dirty = false
      while (
        state.abort === undefined &&
        state.ready.size > 0 &&
        state.runningUnits < state.limit
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
        fiber.addObserver((exit) => state.unitDone(unit, exit))
      }
      const abort = state.abort
      if (abort !== undefined) {
        if (watchdog !== undefined) yield* Fiber.interrupt(watchdog)
        if (abort.kind === "failed") {
          yield* stopRunning(state, CANCELLED, "a node failed (fail-fast)")
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
      // deadlock: every running unit is blocked in a wait nothing running can satisfy
      const stuck =
        state.runningUnits > 0 &&
        state.waiting.size >= state.runningUnits &&
        (state.ready.size === 0 || state.runningUnits >= state.limit)
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
                const waiting = [...state.waiting].map(([index, waitingFor]) => ({
                  nodeId: state.plan.nodes[index]!.id,
                  waitingFor
                }))
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

// ---- entry point ----------------------------------------------------------------------------------

export const sendEvent = (control: Control, event: Json, at: number): void => {
  if (control.finished) return
  control.offer(event)
  const trace: TraceEvent = { type: "event-received", at, executionId: control.executionId, event }
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
    state.emit({
      type: "execution-started",
      at: state.startTime,
      executionId: state.executionId,
      workflowId: state.workflowId
    })
    if (plan.problem !== undefined) {
      state.errors.push(
        new WorkflowNotExecutable({
          workflowId: state.workflowId,
          message: plan.problem,
          ...(plan.issues.length === 0 ? {} : { issues: plan.issues })
        })
      )
      return state.buildResult(false)
    }
    const timeout = plan.workflow.settings.timeout
    if (timeout !== undefined) state.deadline = state.startTime + timeout
    state.sandbox = yield* Sandbox
    state.context = (yield* Effect.context<never>()) as Context.Context<never>
    const scope = yield* Scope.make()
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
      return state.buildResult(true)
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
              state.buildResult(true)
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
    return state.buildResult(Exit.isFailure(exit) && !defect)
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
