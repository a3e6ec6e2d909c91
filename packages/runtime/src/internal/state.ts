// The state of one execution: per-node arrays indexed by the plan, the trace, waits, and the
// bookkeeping the coordinator reads. Mutated only from fibers of this execution.
import type { Clock, Context, Fiber } from "effect"
import type { Policy } from "@weft/retry"
import { Sandbox as SandboxModule } from "@weft/sandbox"
import {
  type ExecutionError,
  InputPathNotFound,
  WorkflowTimedOut,
  type Deadlock
} from "../ExecutionError.js"
import type { ExecutionJournal } from "../Journal.js"
import type { ResourceInput } from "../Resource.js"
import type { Scheduler as SchedulerShape } from "../Scheduler.js"
import type { NodeStatus, TraceEvent } from "../Trace.js"
import { IntHeap } from "./heap.js"
import type { KeyedLimiter } from "./keyed.js"
import { Mailbox } from "./mailbox.js"
import type { HostFunction, Json } from "./model.js"
import { getPath, PathMiss } from "./paths.js"
import type { Plan, PlanNode } from "./plan.js"
import { callValue, type ResourceRegistry } from "./resources.js"
import type { Sandbox } from "./sandbox.js"
import { toJson } from "./errors.js"
import { isTimeout } from "./nodeErrors.js"
import type { Semaphore } from "effect"

/** A function registered with the runtime (task nodes call it with `(inputs, context)`). */
export type RegisteredFunction = (...args: never[]) => unknown

export interface EngineConfig {
  readonly functions: ReadonlyMap<string, RegisteredFunction>
  readonly resources: { readonly [name: string]: ResourceInput }
  readonly semaphore: Semaphore.Semaphore | undefined
  /** Per-key limits (`NodeOptions.concurrency`), shared by the runtime's executions. */
  readonly keyed: KeyedLimiter
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
  /** Events sent into the execution, per name (kept until someone waits for them). */
  readonly mailbox = new Mailbox()
  constructor(readonly executionId: string) {}
  requestCancel(): void {
    this.cancelRequested = true
    this.cancel?.()
  }
}

/** Observers (progress bars, UIs) cannot change the run: an exception they throw is dropped. */
export const notifyObserver = (observer: (event: TraceEvent) => void, event: TraceEvent): void => {
  try {
    observer(event)
  } catch {
    // ignored on purpose: a trace observer's bug must not fail, cancel or crash the execution
  }
}

export const PENDING = 0
export const RUNNING = 1
export const SUCCEEDED = 2
export const FAILED = 3
export const SKIPPED = 4
export const CANCELLED = 5
export const TIMED_OUT = 6
export const statusNames: ReadonlyArray<NodeStatus | "pending" | "running"> = [
  "pending",
  "running",
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
  "timed-out"
]

export type Abort =
  | { readonly kind: "failed" }
  /** A unit was interrupted from outside the coordinator: the execution ends as cancelled. */
  | { readonly kind: "interrupted" }
  | { readonly kind: "timeout"; readonly error: WorkflowTimedOut }
  | { readonly kind: "deadlock"; readonly error: Deadlock }

const emptyParams: { readonly [key: string]: Json } = Object.freeze({})

const isPlainObject = (u: unknown): u is { readonly [key: string]: Json } =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** Everything about one execution. Mutated only from fibers of this execution. */
export class ExecutionState {
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
  /** Per unit: input groups still to deliver (ready at 0). */
  readonly groupsLeft: Int32Array
  /** Per input group: connections that may still deliver; the winning input (-1 until one does). */
  readonly feedsLeft: Int32Array
  readonly winner: Int32Array
  /** Per unit: it recorded a failure nothing handles (fail-fast stops the run for it). */
  readonly unhandled: Uint8Array
  /** Failures routed by a failure connection: listed apart from the run's errors. */
  readonly handled: Array<ExecutionError> = []
  readonly unitStarted: Array<number>
  readonly ready: IntHeap
  readonly fibers: Array<Fiber.Fiber<boolean> | undefined>
  readonly limit: number
  readonly failFast: boolean
  /** Sequential mode: one node after another, a waiting one included (it keeps its slot). */
  readonly sequential: boolean
  readonly wide: { readonly [key: string]: Json }
  readonly scoped: Map<string, { readonly [key: string]: Json }> = new Map()
  /** Nodes suspended in a wait (what they wait for); the deadlock watchdog reads it. */
  readonly waiting = new Map<number, string>()
  /** The waits in `waiting` that end by themselves (a sleep, `nextEvent(ms)`, an event timeout). */
  readonly bounded = new Set<number>()
  /** Nodes queued for a runtime permit or a sandbox worker (what they queue for). */
  readonly queued = new Map<number, string>()
  /** Running units suspended in a wait: they hold no workflow slot and no runtime permit. */
  suspended = 0
  /** Suspended units whose wait is over, queued (in order) for a slot to continue. */
  readonly resumers: Array<() => void> = []
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
  journal!: ExecutionJournal
  /** The journal runs every attempt live (the in-memory default): no keys, no replay. */
  liveJournal = true
  /** Time each node's attempts spent queued for a permit or a worker (ms, summed). */
  readonly queuedMillis: Array<number>
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
    this.queuedMillis = new Array<number>(n).fill(0)
    const units = plan.units.length
    this.groupsLeft = new Int32Array(units)
    for (let u = 0; u < units; u++) this.groupsLeft[u] = plan.units[u]!.groupCount
    this.feedsLeft = Int32Array.from(plan.groupFeeds)
    this.winner = new Int32Array(plan.groupFeeds.length).fill(-1)
    this.unhandled = new Uint8Array(units)
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
    this.sequential = settings.mode === "sequential"
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
      // several connections may feed one input: the first that delivered wins
      if (input.group >= 0 && this.winner[input.group] !== k) continue
      if (input.feedback && (iteration === 1 || this.outputs[input.from] === undefined)) continue
      const source = input.failure ? this.errorJson(input.from) : this.outputs[input.from]
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

  /** A failed node's final error as JSON (what a failure connection delivers). */
  errorJson(index: number): Json {
    const error = this.nodeErrors[index]
    return error === undefined ? null : toJson(error)
  }

  /** Records a failure the run has to answer for (not routed by a failure connection). */
  recordUnhandled(unit: number, error: ExecutionError): void {
    this.errors.push(error)
    this.unhandled[unit] = 1
  }

  // ---- recording ----------------------------------------------------------------------------

  recordError(
    index: number,
    error: ExecutionError,
    iteration: number,
    attempt: number,
    at: number = this.now()
  ): void {
    const status = isTimeout(error) ? TIMED_OUT : FAILED
    this.status[index] = status
    this.finishedAt[index] = at
    this.nodeErrors[index] = error
    const node = this.plan.nodes[index]!
    if (node.handlesFailure) this.handled.push(error)
    else this.recordUnhandled(node.unit, error)
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

  beginWait(
    index: number,
    what: string,
    scope: { emit(event: TraceEvent): void },
    bounded: boolean
  ): void {
    this.waiting.set(index, what)
    if (bounded) this.bounded.add(index)
    this.waitEpoch++
    scope.emit({
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
      this.bounded.delete(index)
      this.waitEpoch++
      this.notify()
    }
  }

  beginQueue(index: number, what: string): void {
    this.queued.set(index, what)
    this.waitEpoch++
    this.notify()
  }

  endQueue(index: number): void {
    if (this.queued.delete(index)) {
      this.waitEpoch++
      this.notify()
    }
  }

  /** Units executing: running and not suspended in a wait (what the concurrency limit counts). */
  executing(): number {
    return this.runningUnits - this.suspended
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
}
