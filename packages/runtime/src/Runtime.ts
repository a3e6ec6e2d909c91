/**
 * The workflow runtime: executes a workflow graph with structured concurrency. Nodes start as soon
 * as their inputs are ready, run in parallel up to the workflow's (and the runtime's) concurrency
 * limit, retry per their policy, time out on the Clock, and are interrupted — finalizers and
 * resources released — when the run fails fast, times out or is cancelled.
 *
 * `execute` returns an `Effect` that never fails: a failed workflow is an `ExecutionResult` with
 * `status: "failed"` and typed errors (pass `failOnError: true` to fail with the first error
 * instead). `run` is the Promise facade.
 *
 * @since 0.1.0
 */
import { Sandbox as SandboxModule } from "@weft/sandbox"
import { type Cause, Effect, Exit, Fiber, type Layer, Queue, Semaphore, Stream } from "effect"
import type { ExecutionError } from "./ExecutionError.js"
import * as ExecutionResultModule from "./ExecutionResult.js"
import {
  type EngineConfig,
  execute as executeEngine,
  Control as ControlImpl,
  type RegisteredFunction as EngineFunction,
  sendEvent,
  type TaskContextShape
} from "./internal/engine.js"
import { KeyedLimiter } from "./internal/keyed.js"
import { lazySandbox } from "./internal/lazySandbox.js"
import type { Json, WorkflowData } from "./internal/model.js"
import type { ResourceInput } from "./Resource.js"
import { CurrentScheduler, inMemory } from "./Scheduler.js"
import type { TraceEvent } from "./Trace.js"

type Sandbox = SandboxModule.Sandbox

/**
 * A workflow as the runtime reads it: the `Workflow` data of `@weft/graph` (any value of that
 * shape works, e.g. one decoded from JSON).
 *
 * @example
 * ```ts
 * import type { Runtime } from "@weft/runtime"
 * const empty: Runtime.Workflow = {
 *   id: "empty", nodes: [], connections: [], loops: [],
 *   settings: { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast" }
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Workflow = WorkflowData

/**
 * Run parameters: a key equal to a node id whose value is a plain object gives that node's scoped
 * params (`{ price: { items } }`); every other key is workflow-wide and bound as an input of every
 * node. Precedence: workflow-wide < node-scoped < connections.
 *
 * @example
 * ```ts
 * import type { Runtime } from "@weft/runtime"
 * const params: Runtime.Params = { currency: "EUR", price: { items: [{ price: 9.99 }] } }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Params = { readonly [key: string]: Json }

/**
 * What a task function receives as its second argument.
 *
 * @example
 * ```ts
 * import type { Runtime } from "@weft/runtime"
 * const load = async (inputs: { readonly table: string }, context: Runtime.TaskContext) => {
 *   const db = (await context.getResource("db")) as { query: (sql: string) => Promise<unknown> }
 *   context.emit({ loading: inputs.table })
 *   return db.query(`select * from ${inputs.table}`)
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface TaskContext extends TaskContextShape {}

/**
 * A function registered with the runtime. Task nodes call it as `fn(inputs, context)`; code nodes
 * call it as a host function `await name(...args)` (JSON arguments). It may return a value, a
 * Promise or an Effect; throwing / rejecting / failing fails the node (and is what its retry
 * policy sees — `_tag`, or an `Error`'s `name`, is the error's tag).
 *
 * @example
 * ```ts
 * import type { Runtime } from "@weft/runtime"
 * const double: Runtime.RegisteredFunction = (inputs: { readonly n: number }) => ({ n: inputs.n * 2 })
 * ```
 * @since 0.1.0
 * @category models
 */
export type RegisteredFunction = EngineFunction

/**
 * Options of one execution.
 *
 * @example
 * ```ts
 * import type { Runtime } from "@weft/runtime"
 * const options: Runtime.ExecuteOptions = {
 *   functions: { fetchRates: async () => ({ eur: 1.1 }) },
 *   resources: { cache: new Map<string, string>() },
 *   onEvent: (event) => console.log(event.type)
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ExecuteOptions {
  /** Functions for this run (added to / overriding the runtime's). */
  readonly functions?: { readonly [name: string]: RegisteredFunction }
  /** Resources for this run (added to / overriding the runtime's). */
  readonly resources?: { readonly [name: string]: ResourceInput }
  /** Called synchronously with every trace event as it happens. */
  readonly onEvent?: (event: TraceEvent) => void
  /** Overrides the workflow's concurrency limit (parallel mode). */
  readonly concurrency?: number | "unbounded"
  /** Use this execution id (default: the scheduler's, a random UUID). */
  readonly executionId?: string
  /** Fail the Effect (reject the Promise) with the first error instead of returning a failed result. */
  readonly failOnError?: boolean
}

/**
 * Options of the Promise facade.
 *
 * @example
 * ```ts
 * import type { Runtime } from "@weft/runtime"
 * const options: Runtime.RunOptions = { signal: AbortSignal.timeout(5_000) }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface RunOptions extends ExecuteOptions {
  /** Aborting cancels the run; the Promise resolves with a `cancelled` result. */
  readonly signal?: AbortSignal
  /**
   * The sandbox for code nodes, built on a run's first code node and released with the run.
   * Default: the process-wide `Sandbox.layerShared` of `@weft/sandbox` — one worker pool reused by
   * every run, its idle workers unref'd so the process can exit; `Sandbox.closeShared()` stops it.
   */
  readonly sandbox?: Layer.Layer<Sandbox>
}

/**
 * A running execution (from `start`).
 *
 * @example
 * ```ts
 * import { Runtime } from "@weft/runtime"
 * import { Effect } from "effect"
 * declare const workflow: Runtime.Workflow
 * const program = Effect.gen(function* () {
 *   const execution = yield* Runtime.start(workflow)
 *   yield* execution.send({ type: "data", value: 1 })
 *   yield* execution.send({ type: "stop" })
 *   return yield* execution.result
 * })
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Execution {
  readonly id: string
  /**
   * Delivers an event to the execution. `send(name, payload)` sends a named event: it completes
   * one event node waiting for `name` (or a code node's `await nextEvent(name)`), or waits in
   * that name's queue until one does. `send(event)` sends an unnamed event (taken by
   * `await nextEvent()` / `nextEvent(timeout)`).
   */
  readonly send: {
    (name: string, payload: Json): Effect.Effect<void>
    (event: Json): Effect.Effect<void>
  }
  /** Trace events so far, then live ones until the execution finishes. */
  readonly events: Stream.Stream<TraceEvent>
  /** The trace so far. */
  readonly trace: () => ReadonlyArray<TraceEvent>
  /** Waits for the result. */
  readonly result: Effect.Effect<ExecutionResult>
  /** Cancels the execution (everything is interrupted and released) and returns its `cancelled` result. */
  readonly cancel: Effect.Effect<ExecutionResult>
}

/**
 * Options of `make`.
 *
 * @example
 * ```ts
 * import type { Runtime } from "@weft/runtime"
 * const options: Runtime.RuntimeOptions = { concurrency: 64, functions: { now: () => Date.now() } }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface RuntimeOptions {
  readonly functions?: { readonly [name: string]: RegisteredFunction }
  readonly resources?: { readonly [name: string]: ResourceInput }
  /** Most nodes running at once across every execution of this runtime (default unbounded). */
  readonly concurrency?: number | "unbounded"
}

/**
 * Runs workflows. Overloaded: `failOnError: true` makes the Effect fail with the first error.
 *
 * @example
 * ```ts
 * import type { Runtime } from "@weft/runtime"
 * declare const execute: Runtime.Execute
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Execute {
  (
    workflow: Workflow,
    params: Params | undefined,
    options: ExecuteOptions & { readonly failOnError: true }
  ): Effect.Effect<ExecutionResult, ExecutionError, Sandbox>
  (
    workflow: Workflow,
    params?: Params,
    options?: ExecuteOptions
  ): Effect.Effect<ExecutionResult, never, Sandbox>
}

/**
 * The Promise facade of {@link Execute}.
 *
 * @example
 * ```ts
 * import type { Runtime } from "@weft/runtime"
 * declare const run: Runtime.Run
 * ```
 * @since 0.1.0
 * @category models
 */
export type Run = (
  workflow: Workflow,
  params?: Params,
  options?: RunOptions
) => Promise<ExecutionResult>

/**
 * A runtime: registered functions and resources shared by its executions, and an optional
 * runtime-wide node concurrency limit. It holds no other state; executions never interfere.
 *
 * @example
 * ```ts
 * import { Runtime } from "@weft/runtime"
 * const runtime = Runtime.make({ concurrency: 100 })
 * runtime.registerFunction("flakyOperation", async () => ({ success: true }))
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Runtime {
  /** Registers (or replaces) a function for task nodes and code-node host calls. Returns the runtime. */
  readonly registerFunction: (name: string, fn: RegisteredFunction) => Runtime
  /** Registers (or replaces) a resource available to every run. Returns the runtime. */
  readonly registerResource: (name: string, resource: ResourceInput) => Runtime
  readonly functions: () => ReadonlyArray<string>
  readonly execute: Execute
  /** Starts an execution and returns its handle (the execution runs in the caller's scope). */
  readonly start: (
    workflow: Workflow,
    params?: Params,
    options?: ExecuteOptions
  ) => Effect.Effect<Execution, never, Sandbox>
  readonly run: Run
  /** Promise facade of `start`: a handle to send events, subscribe, cancel and await the result. */
  readonly launch: (workflow: Workflow, params?: Params, options?: RunOptions) => RunningExecution
}

/**
 * A running execution in the Promise facade (from `launch`).
 *
 * @example
 * ```ts
 * import { Runtime } from "@weft/runtime"
 * declare const workflow: Runtime.Workflow
 * const execution = Runtime.launch(workflow)
 * const stop = execution.subscribe((event) => console.log(event.type))
 * execution.send({ type: "data", value: 1 })
 * execution.send({ type: "stop" })
 * const result = await execution.result
 * stop()
 * ```
 * @since 0.1.0
 * @category models
 */
export interface RunningExecution {
  readonly id: string
  /** Delivers an event: `send(name, payload)` a named one, `send(event)` an unnamed one (see {@link Execution.send}). */
  readonly send: {
    (name: string, payload: Json): void
    (event: Json): void
  }
  /** Resolves with the result (rejects only with `failOnError: true`). */
  readonly result: Promise<ExecutionResult>
  /** Cancels the execution and resolves with its `cancelled` result. */
  readonly cancel: () => Promise<ExecutionResult>
  /** Calls `listener` with every trace event from now on; returns an unsubscribe function. */
  readonly subscribe: (listener: (event: TraceEvent) => void) => () => void
  /** The trace so far. */
  readonly trace: () => ReadonlyArray<TraceEvent>
}

const toError = (result: ExecutionResult): Effect.Effect<ExecutionResult, ExecutionError> => {
  const first = result.errors[0]
  return result.status === "succeeded" || first === undefined
    ? Effect.succeed(result)
    : Effect.fail(first)
}

class RuntimeImpl implements Runtime {
  private readonly functionTable = new Map<string, RegisteredFunction>()
  private readonly resourceTable: Record<string, ResourceInput> = {}
  private readonly semaphore: Semaphore.Semaphore | undefined
  private readonly keyed = new KeyedLimiter()

  constructor(options: RuntimeOptions) {
    for (const [name, fn] of Object.entries(options.functions ?? {}))
      this.functionTable.set(name, fn)
    Object.assign(this.resourceTable, options.resources)
    const limit = options.concurrency
    // not a finite number (NaN, Infinity, "unbounded", absent): no runtime-wide limit
    this.semaphore =
      typeof limit === "number" && Number.isFinite(limit)
        ? Semaphore.makeUnsafe(Math.max(1, Math.floor(limit)))
        : undefined
  }

  registerFunction = (name: string, fn: RegisteredFunction): Runtime => {
    this.functionTable.set(name, fn)
    return this
  }

  registerResource = (name: string, resource: ResourceInput): Runtime => {
    this.resourceTable[name] = resource
    return this
  }

  functions = (): ReadonlyArray<string> => [...this.functionTable.keys()]

  private config(options: ExecuteOptions): EngineConfig {
    let functions: ReadonlyMap<string, RegisteredFunction> = this.functionTable
    if (options.functions !== undefined) {
      const merged = new Map(this.functionTable)
      for (const [name, fn] of Object.entries(options.functions)) merged.set(name, fn)
      functions = merged
    }
    return {
      functions,
      resources:
        options.resources === undefined
          ? { ...this.resourceTable }
          : { ...this.resourceTable, ...options.resources },
      semaphore: this.semaphore,
      keyed: this.keyed,
      onEvent: options.onEvent,
      concurrency: options.concurrency
    }
  }

  private control(options: ExecuteOptions): Effect.Effect<ControlImpl> {
    return Effect.map(
      CurrentScheduler,
      (scheduler) => new ControlImpl(options.executionId ?? scheduler.executionId())
    )
  }

  private executeWith(
    workflow: Workflow,
    params: Params | undefined,
    options: ExecuteOptions,
    control: ControlImpl
  ): Effect.Effect<ExecutionResult, never, Sandbox> {
    return executeEngine(workflow, params ?? {}, this.config(options), control)
  }

  execute: Execute = ((
    workflow: Workflow,
    params?: Params,
    options: ExecuteOptions = {}
  ): Effect.Effect<ExecutionResult, ExecutionError, Sandbox> => {
    const run = Effect.flatMap(this.control(options), (control) =>
      this.executeWith(workflow, params, options, control)
    )
    return options.failOnError === true ? Effect.flatMap(run, toError) : run
  }) as Execute

  start = (
    workflow: Workflow,
    params?: Params,
    options: ExecuteOptions = {}
  ): Effect.Effect<Execution, never, Sandbox> => {
    const self = this
    return Effect.gen(function* () {
      const control = yield* self.control(options)
      const fiber = yield* Effect.forkChild(self.executeWith(workflow, params, options, control), {
        startImmediately: true
      })
      const result = Effect.flatMap(Fiber.await(fiber), (exit) =>
        Exit.isSuccess(exit) ? Effect.succeed(exit.value) : Effect.failCause(exit.cause)
      )
      const execution: Execution = {
        id: control.executionId,
        send: (...args: [Json] | [string, Json]) =>
          Effect.clockWith((clock) =>
            Effect.sync(() => deliver(control, args, clock.currentTimeMillisUnsafe()))
          ),
        events: eventsOf(control),
        trace: () => control.trace.slice(),
        result,
        cancel: Effect.suspend(() => {
          control.requestCancel()
          return result
        })
      }
      return execution
    })
  }

  run: Run = (workflow, params, options = {}) => this.launch(workflow, params, options).result

  launch = (workflow: Workflow, params?: Params, options: RunOptions = {}): RunningExecution => {
    // the process-wide sandbox by default: one worker pool for every run, started on the first
    // code node, idle workers unref'd (Sandbox.closeShared() stops it)
    const layer = lazySandbox(options.sandbox ?? SandboxModule.layerShared)
    const control = new ControlImpl(options.executionId ?? inMemory.executionId())
    const signal = options.signal
    const abort = () => control.requestCancel()
    if (signal !== undefined) {
      if (signal.aborted) control.requestCancel()
      else signal.addEventListener("abort", abort, { once: true })
    }
    const program = this.executeWith(workflow, params, options, control).pipe(
      Effect.ensuring(Effect.sync(() => signal?.removeEventListener("abort", abort))),
      Effect.flatMap((result) =>
        options.failOnError === true ? toError(result) : Effect.succeed(result)
      )
    )
    const result = Effect.runPromise(Effect.provide(program, layer))
    return {
      id: control.executionId,
      result,
      send: (...args: [Json] | [string, Json]) => deliver(control, args, Date.now()),
      cancel: () => {
        control.requestCancel()
        return result
      },
      subscribe: (listener) => {
        control.listeners.add(listener)
        return () => {
          control.listeners.delete(listener)
        }
      },
      trace: () => control.trace.slice()
    }
  }
}

/** `send(event)` (unnamed) or `send(name, payload)`. */
const deliver = (control: ControlImpl, args: [Json] | [string, Json], at: number): void => {
  if (args.length === 2) sendEvent(control, args[0], args[1], at)
  else sendEvent(control, null, args[0], at)
}

const eventsOf = (control: ControlImpl): Stream.Stream<TraceEvent> =>
  Stream.callback<TraceEvent>((queue) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        for (const event of control.trace) QueueOffer(queue, event)
        if (control.finished) {
          QueueEnd(queue)
          return undefined
        }
        const listener = (event: TraceEvent) => {
          QueueOffer(queue, event)
          if (event.type === "execution-finished") QueueEnd(queue)
        }
        control.listeners.add(listener)
        return listener
      }),
      (listener) =>
        Effect.sync(() => {
          if (listener !== undefined) control.listeners.delete(listener)
        })
    )
  )

const QueueOffer = <A, E>(queue: Queue.Queue<A, E>, value: A) => Queue.offerUnsafe(queue, value)
const QueueEnd = <A>(queue: Queue.Queue<A, Cause.Done>) => Queue.endUnsafe(queue)

/**
 * Creates a runtime.
 *
 * @example
 * ```ts
 * import { Runtime } from "@weft/runtime"
 * const runtime = Runtime.make({
 *   functions: { createResource: async (name: string) => `resource_${name}` },
 *   concurrency: 8
 * })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: RuntimeOptions = {}): Runtime => new RuntimeImpl(options)

const defaultRuntime = new RuntimeImpl({})

/**
 * Executes a workflow (no registered functions beyond `options.functions`). Never fails unless
 * `failOnError: true`; needs a `Sandbox` for code nodes.
 *
 * @example
 * ```ts
 * import { Runtime } from "@weft/runtime"
 * import { Sandbox } from "@weft/sandbox"
 * import { Effect } from "effect"
 * declare const workflow: Runtime.Workflow
 * const result = await Effect.runPromise(
 *   Runtime.execute(workflow, { price: { items: [] } }).pipe(Effect.provide(Sandbox.layerQuickJsInThread))
 * )
 * result.status // "succeeded" | "failed" | "timed-out" | "cancelled"
 * ```
 * @since 0.1.0
 * @category execution
 */
export const execute: Execute = defaultRuntime.execute

/**
 * Starts a workflow and returns a handle to send events to it, watch its trace, cancel it, or wait
 * for its result. The execution is a child of the calling fiber.
 *
 * @example
 * ```ts
 * import { Runtime } from "@weft/runtime"
 * import { Effect, Stream } from "effect"
 * declare const workflow: Runtime.Workflow
 * const program = Effect.gen(function* () {
 *   const execution = yield* Runtime.start(workflow)
 *   yield* Effect.forkChild(Stream.runForEach(execution.events, (e) => Effect.log(e.type)))
 *   return yield* execution.result
 * })
 * ```
 * @since 0.1.0
 * @category execution
 */
export const start: Runtime["start"] = defaultRuntime.start

/**
 * Runs a workflow as a Promise, with code nodes in the process-wide shared sandbox
 * (`Sandbox.layerShared`; pass `sandbox` to choose another). Resolves with the result (`cancelled` when `signal` aborts); rejects only with
 * `failOnError: true`.
 *
 * @example
 * ```ts
 * import { Runtime } from "@weft/runtime"
 * declare const workflow: Runtime.Workflow
 * const result = await Runtime.run(workflow, {}, { signal: AbortSignal.timeout(10_000) })
 * ```
 * @since 0.1.0
 * @category execution
 */
export const run: Run = defaultRuntime.run

/**
 * Starts a workflow from Promise code and returns a handle: send events into it, subscribe to its
 * trace, cancel it, await its result. Same options as {@link run}.
 *
 * @example
 * ```ts
 * import { Runtime } from "@weft/runtime"
 * declare const workflow: Runtime.Workflow
 * const execution = Runtime.launch(workflow)
 * setTimeout(() => execution.send({ type: "stop" }), 100)
 * const result = await execution.result
 * ```
 * @since 0.1.0
 * @category execution
 */
export const launch: Runtime["launch"] = defaultRuntime.launch

/**
 * A value inside a node's output by dot path (see `ExecutionResult.getOutput`).
 *
 * @example
 * ```ts
 * import { Runtime } from "@weft/runtime"
 * declare const result: Runtime.ExecutionResultType
 * Runtime.getOutput(result, "fetch_api", "api_data")
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const getOutput = ExecutionResultModule.getOutput

/**
 * Alias of `ExecutionResult.ExecutionResult`.
 *
 * @example
 * ```ts
 * import type { Runtime } from "@weft/runtime"
 * const ok = (result: Runtime.ExecutionResultType) => result.status === "succeeded"
 * ```
 * @since 0.1.0
 * @category models
 */
export type ExecutionResultType = ExecutionResultModule.ExecutionResult

/**
 * Alias of `ExecutionResult.ExecutionResult`.
 *
 * @example
 * ```ts
 * import type { Runtime } from "@weft/runtime"
 * const failed = (result: Runtime.ExecutionResult) => result.errors.map((e) => e._tag)
 * ```
 * @since 0.1.0
 * @category models
 */
export type ExecutionResult = ExecutionResultModule.ExecutionResult
