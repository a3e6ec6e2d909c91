/**
 * The workflow test harness: an isolated runtime, resource registry, mocks and trace per test,
 * on virtual time by default, released after the test (last created, first released) with a
 * leak check.
 *
 * Most tests get a harness from the `workflowTest` vitest fixture (see `WorkflowTest`);
 * `Harness.make` (Effect, scoped) and `Harness.create` (Promise) build one by hand.
 *
 * @since 0.1.0
 */
import { type ExecutionError, type Resource, Runtime, type Trace } from "@weft/runtime"
import type { Sandbox } from "@weft/sandbox"
import {
  Cause,
  type Duration,
  Effect,
  Exit,
  Fiber,
  type Layer,
  type LogLevel,
  Option,
  References,
  Scope
} from "effect"
import { TestClock } from "effect/testing"
import * as Assert from "./Assert.js"
import * as Async from "./Async.js"
import { countAssertion } from "./internal/expectCount.js"
import { makeCallAssertions } from "./internal/harness/callAssertions.js"
import { makeCallTracked, makeFunctionsFor } from "./internal/harness/calls.js"
import type { LeakDetected } from "./internal/harness/errors.js"
import { makeExecution } from "./internal/harness/execution.js"
import { makeFaults } from "./internal/harness/faults.js"
import { countHandles, openLifetime } from "./internal/harness/lifetime.js"
import { type Entry, makeResources } from "./internal/harness/resources.js"
import { makeLazySandbox } from "./internal/harness/sandbox.js"
import { fromMaybePromise } from "./internal/harness/sources.js"
import { makeTeardown } from "./internal/harness/teardown.js"
import type { ResourceCall } from "./internal/recording.js"
import type { NodeStatus } from "./internal/result.js"
import * as Performance from "./Performance.js"
import * as VirtualTime from "./VirtualTime.js"

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/**
 * A workflow as the runtime takes it (what `Workflow.make(...).build()` returns).
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * import type { Harness } from "@weft/testing"
 * const wf: Harness.Workflow = Workflow.make("w").code("a", "return 1").build()
 * ```
 * @since 0.1.0
 * @category models
 */
export type Workflow = Runtime.Workflow

/**
 * Workflow params (`{ key: json }`; a key equal to a node id scopes params to that node).
 *
 * @example
 * ```ts
 * import type { Harness } from "@weft/testing"
 * const params: Harness.Params = { userId: 1, price: { items: [] } }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Params = Runtime.Params

/**
 * An execution result with how long it took in virtual and in real time.
 *
 * @example
 * ```ts
 * import type { Harness } from "@weft/testing"
 * declare const result: Harness.TestResult
 * result.timing.virtualMs // Clock time the run took (e.g. 600_000 for ten minutes of backoff)
 * result.timing.realMs // what it cost (a few ms)
 * ```
 * @since 0.1.0
 * @category models
 */
export type TestResult = Runtime.ExecutionResultType & { readonly timing: VirtualTime.Timing }

/**
 * A task-node function: `(inputs, context)` returning a value, a Promise or an Effect. With
 * `harness.registerFunction` the context is inferred, so `(_inputs, ctx) => ctx.nodeId` compiles.
 *
 * @example
 * ```ts
 * import type { Harness } from "@weft/testing"
 * const where: Harness.TaskFunction = (_inputs, ctx) => ({ node: ctx.nodeId, attempt: ctx.attempt })
 * ```
 * @since 0.2.0
 * @category models
 */
export type TaskFunction<I = Params> = (inputs: I, context: Runtime.TaskContext) => unknown

/**
 * Options for a harness. Time is virtual (`"auto"`) unless you say otherwise.
 *
 * @example
 * ```ts
 * import type { Harness } from "@weft/testing"
 * const options: Harness.Options = { time: "live", sandbox: "workers", leakCheck: true }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `"auto"` (default: self-advancing TestClock), `"manual"`, `"live"`, or full options. */
  readonly time?: VirtualTime.Mode | VirtualTime.Options
  /**
   * Sandbox for code nodes, built on first use: `"shared"` (default: one in-thread QuickJS
   * sandbox for every harness in the process; each run still gets a fresh guest runtime),
   * `"in-thread"` (one per harness, released with it — ~15 ms more per test that runs code),
   * `"workers"` (a worker-thread pool per harness), or a layer.
   */
  readonly sandbox?: "in-thread" | "shared" | "workers" | Layer.Layer<Sandbox.Sandbox>
  /** Fail the test when something outlives it (default `true`). */
  readonly leakCheck?: boolean
  /** Functions registered from the start. */
  readonly functions?: { readonly [name: string]: Runtime.RegisteredFunction }
  /** Most nodes executing at once across this harness's executions (a node suspended in a wait does not count). */
  readonly concurrency?: number | "unbounded"
  /** The runtime's log level during executions (default `"None"`: results carry the errors). */
  readonly logLevel?: LogLevel.LogLevel
}

/**
 * What `harness.resource` accepts: a value used as is, a factory (sync or async, with an
 * optional release), a scoped `Effect` (e.g. a fixture's `.scoped()`), or a runtime `Resource`.
 *
 * @example
 * ```ts
 * import { TestCache } from "@weft/fixtures"
 * import type { Harness } from "@weft/testing"
 * const a: Harness.ResourceSource<{ n: number }> = { n: 1 }
 * const b: Harness.ResourceSource<{ n: number }> = async () => ({ n: 1 })
 * const c: Harness.ResourceSource<{ n: number }> = { acquire: async () => ({ n: 1 }), release: async () => {} }
 * const d: Harness.ResourceSource<TestCache.TestCache> = TestCache.scoped()
 * ```
 * @since 0.1.0
 * @category models
 */
export type ResourceSource<A> =
  | A
  | (() => A | PromiseLike<A>)
  | {
      readonly acquire: () => A | PromiseLike<A>
      readonly release: (resource: A) => void | PromiseLike<void>
    }
  | Effect.Effect<A, unknown, Scope.Scope>
  | Resource.Resource<A>

/**
 * Execute options: the runtime's, plus `events` — events delivered to the execution at virtual
 * times after it starts, in order. With a `name`, `event` is the payload of a named event
 * (`execution.send(name, payload)`: it completes an `event` node waiting for that name, or a code
 * node's `await nextEvent(name)`); without one it is an unnamed event (`await nextEvent()`).
 *
 * @example
 * ```ts
 * import type { Harness } from "@weft/testing"
 * const options: Harness.ExecuteOptions = {
 *   events: [
 *     { at: "100 millis", event: { type: "data", value: 1 } },
 *     { at: "2 hours", name: "order.approved", event: { by: "ada" } }
 *   ]
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ExecuteOptions extends Runtime.ExecuteOptions {
  readonly events?: ReadonlyArray<{
    /** When, after the execution starts (on the harness clock). */
    readonly at: Duration.Input
    /** The event's name; absent: an unnamed event. */
    readonly name?: string
    /** The payload (named) or the event itself (unnamed). */
    readonly event: Runtime.Params[string]
  }>
}

/**
 * A recorded call to a harness resource, made by the workflow.
 *
 * @example
 * ```ts
 * import type { Harness } from "@weft/testing"
 * const call: Harness.Call = { resource: "db", method: "query", args: ["select 1"], at: 0, outcome: "returned" }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Call = ResourceCall

/**
 * Options of `assertResourceCalled`: the exact number of calls, and arguments the calls must
 * start with (compared as JSON).
 *
 * @example
 * ```ts
 * import type { Harness } from "@weft/testing"
 * const expected: Harness.CallExpectation = { times: 1, with: ["/charges", { json: { amount: 9999 } }] }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface CallExpectation {
  readonly times?: number
  readonly with?: ReadonlyArray<unknown>
}

export {
  /**
   * Something left behind after a test: a fiber, timer, real operation, resource, execution or
   * server still alive when the harness closed.
   *
   * @example
   * ```ts
   * import { Harness } from "@weft/testing"
   * const e = new Harness.LeakDetected({ leaks: ["1 fiber still running"], message: "…" })
   * ```
   * @since 0.1.0
   * @category errors
   */
  LeakDetected
} from "./internal/harness/errors.js"

/**
 * Why a harness is being closed, when it is not simply the end of a passing test.
 *
 * @example
 * ```ts
 * import type { Harness } from "@weft/testing"
 * const context: Harness.CloseContext = { timedOutAfter: 5000 }
 * ```
 * @since 0.2.0
 * @category models
 */
export interface CloseContext {
  /** vitest timed the test out after this many milliseconds. */
  readonly timedOutAfter?: number
}

/**
 * A fault to inject at a node's attempts.
 *
 * @example
 * ```ts
 * import type { Harness } from "@weft/testing"
 * const options: Harness.FaultOptions = { times: 2 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface FaultOptions {
  /** How many attempts the fault applies to (default: every attempt). */
  readonly times?: number
}

// ---------------------------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------------------------

/**
 * The harness (Effect API). Methods that run or wait return Effects; assertions are plain
 * functions that throw `AssertionFailed`. The Promise-facing `Harness` wraps this.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * import { Harness } from "@weft/testing"
 * import { Effect } from "effect"
 * const wf = Workflow.make("hello").code("greet", "return { text: 'hi' }").build()
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const harness = yield* Harness.make()
 *   const result = yield* harness.effect.execute(wf)
 *   harness.assertNodeOutput(result, "greet", "hi", "text")
 * }))
 * ```
 * @since 0.1.0
 * @category models
 */
export interface EffectApi {
  readonly execute: (
    workflow: Workflow,
    params?: Params,
    options?: ExecuteOptions
  ) => Effect.Effect<TestResult, VirtualTime.VirtualTimeError>
  /** Runs many executions concurrently on one shared clock. */
  readonly executeMany: (
    runs: ReadonlyArray<{ readonly workflow: Workflow; readonly params?: Params }>,
    options?: { readonly concurrency?: number | "unbounded" }
  ) => Effect.Effect<Array<TestResult>, VirtualTime.VirtualTimeError>
  /**
   * Starts an execution and hands back its handle: `send` events, read the live `trace`,
   * `yield* result` (which drives the clock until it finishes; a deadlock of the driver dies).
   */
  readonly start: (
    workflow: Workflow,
    params?: Params,
    options?: Runtime.ExecuteOptions
  ) => Effect.Effect<Runtime.Execution, never, Scope.Scope>
  /** Runs any effect in the harness's time region (virtual clock, real-work tracking). */
  readonly run: <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | VirtualTime.VirtualTimeError, R>
  readonly resource: <A>(name: string, source: ResourceSource<A>) => Effect.Effect<A, unknown>
  readonly mock: <A extends object>(
    name: string,
    mock: ResourceSource<A>
  ) => Effect.Effect<A, unknown>
  readonly addCleanup: (cleanup: Effect.Effect<unknown, unknown>) => Effect.Effect<void>
  /** Moves the clock forward by `duration`, running everything due on the way. */
  readonly advance: (duration: Duration.Input) => Effect.Effect<void, VirtualTime.VirtualTimeError>
  /** Releases everything (LIFO) and runs the leak check. */
  readonly close: Effect.Effect<void, LeakDetected>
}

/**
 * A test harness: isolated runtime, resources, mocks and trace; virtual time by default.
 * Promise methods for `async` tests; `harness.effect` has the Effect versions.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * import { workflowTest } from "@weft/testing"
 *
 * const wf = Workflow.make("fetch").code("fetch_data", "await sleep(100); return { data: [1, 2, 3] }").build()
 *
 * workflowTest("returns the data", async ({ harness }) => {
 *   const result = await harness.execute(wf)
 *   harness.assertWorkflowSuccess(result)
 *   harness.assertNodeOutput(result, "fetch_data", [1, 2, 3], "data")
 * })
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Harness {
  readonly effect: EffectApi
  readonly options: Options

  // running
  readonly execute: (
    workflow: Workflow,
    params?: Params,
    options?: ExecuteOptions
  ) => Promise<TestResult>
  readonly executeMany: (
    runs: ReadonlyArray<{ readonly workflow: Workflow; readonly params?: Params }>,
    options?: { readonly concurrency?: number | "unbounded" }
  ) => Promise<Array<TestResult>>
  readonly runConcurrent: <A>(
    fns: ReadonlyArray<() => PromiseLike<A> | A>,
    options?: { readonly concurrency?: number | "unbounded" }
  ) => Promise<Array<A>>
  /** Like `runConcurrent`, but keeps every outcome (values and errors) in place, in order. */
  readonly runConcurrentSettled: <A>(
    fns: ReadonlyArray<() => PromiseLike<A> | A>,
    options?: { readonly concurrency?: number | "unbounded" }
  ) => Promise<Array<Async.Settled<A, unknown>>>
  readonly runSequential: <A>(fns: ReadonlyArray<() => PromiseLike<A> | A>) => Promise<Array<A>>
  /** Runs an Effect in the harness's time region. */
  readonly run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
  /** Moves the clock forward by `duration` (in `"manual"` mode: `TestClock.adjust`). */
  readonly advance: (duration: Duration.Input) => Promise<void>
  /** Current Clock time in ms since the harness started (virtual unless `time: "live"`). */
  readonly now: () => number

  // resources and functions
  readonly resource: <A>(name: string, source: ResourceSource<A>) => Promise<A>
  readonly mock: <A extends object>(name: string, mock: ResourceSource<A>) => Promise<A>
  readonly getResource: <A = unknown>(name: string) => A
  readonly isMock: (name: string) => boolean
  /**
   * Registers a function for task nodes (`(inputs, context)`, the context inferred — no
   * annotation needed) or for code-node host calls (any other signature).
   */
  readonly registerFunction: {
    <I = Params>(name: string, fn: TaskFunction<I>): Harness
    (name: string, fn: Runtime.RegisteredFunction): Harness
  }
  readonly addCleanup: (cleanup: () => unknown) => void
  /** Calls the workflow made to a resource (optionally one method). */
  readonly calls: (name: string, method?: string) => ReadonlyArray<Call>

  // fault injection (through the real retry / timeout machinery)
  readonly failNode: (nodeId: string, error: unknown, options?: FaultOptions) => Harness
  readonly timeoutNode: (nodeId: string, options?: FaultOptions) => Harness
  readonly mockNode: (nodeId: string, output: Runtime.Params[string]) => Harness
  readonly delayNode: (nodeId: string, duration: Duration.Input, options?: FaultOptions) => Harness
  readonly clearFaults: (nodeId?: string) => Harness
  /** How many attempts of `nodeId` an injected fault (fail, timeout or mock) replaced. */
  readonly faultsInjected: (nodeId: string) => number

  // results
  readonly results: () => ReadonlyArray<TestResult>
  readonly lastResult: () => TestResult
  readonly trace: () => ReadonlyArray<Trace.TraceEvent>

  // assertions
  readonly assertWorkflowSuccess: (result: Assert.Result) => void
  /** Returns the matching error (the first one when `expected` is empty). */
  readonly assertWorkflowFailure: (
    result: Assert.Result,
    expected?: Assert.ExpectedFailure
  ) => ExecutionError.ExecutionError | undefined
  readonly assertNodeOutput: (
    result: Assert.Result,
    nodeId: string,
    expected: unknown,
    path?: string
  ) => void
  readonly assertNodeStatus: (result: Assert.Result, nodeId: string, status: NodeStatus) => void
  readonly assertExecutionCount: (nodeId: string, times: number, result?: Assert.Result) => void
  readonly assertRetried: (nodeId: string, times: number, result?: Assert.Result) => void
  readonly assertOrder: (...nodeIds: ReadonlyArray<string>) => void
  readonly assertMaxConcurrency: (limit: number, results?: ReadonlyArray<Assert.Result>) => void
  readonly assertResourceCalled: (name: string, method: string, expected?: CallExpectation) => void
  readonly assertResourceNotCalled: (name: string, method?: string) => void
  readonly assertTimeLimit: <A>(limit: Duration.Input, fn: () => PromiseLike<A> | A) => Promise<A>
  readonly assertPerformance: (
    fn: (index: number) => unknown,
    options: Performance.PerformanceOptions
  ) => Promise<Performance.PerformanceReport>
  readonly assertMemoryStable: (
    fn: (index: number) => unknown,
    options: Performance.MemoryOptions
  ) => Promise<Performance.MemoryReport>
  readonly assertConverges: (
    getter: () => number | PromiseLike<number>,
    options: Async.ConvergeOptions
  ) => Promise<Async.Convergence>
  readonly waitFor: (
    condition: () => boolean | PromiseLike<boolean>,
    options?: Async.PollOptions
  ) => Promise<void>
  readonly assertEventually: <A>(
    assertion: () => A | PromiseLike<A>,
    options?: Async.PollOptions
  ) => Promise<A>
  readonly assertRaises: (fn: () => unknown, expected?: Async.ExpectedError) => Promise<unknown>

  /**
   * Releases everything (LIFO) and runs the leak check. Called by `workflowTest` for you, which
   * passes `{ timedOutAfter }` when vitest timed the test out: the report then says so first.
   */
  readonly close: (context?: CloseContext) => Promise<void>
}

/**
 * Builds a harness in the current scope; closing the scope releases it (LIFO) and runs the
 * leak check, failing with `LeakDetected` if anything outlived it.
 *
 * @example
 * ```ts
 * import { Harness } from "@weft/testing"
 * import { Effect } from "effect"
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const harness = yield* Harness.make({ time: "auto" })
 *   yield* harness.effect.advance("1 hour")
 *   return harness.now() // 3_600_000
 * }))
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Harness, never, Scope.Scope> =>
  Effect.gen(function* () {
    const harness = yield* makeUnscoped(options)
    yield* Effect.addFinalizer(() => Effect.orDie(harness.effect.close))
    return harness
  })

/**
 * Promise facade: a harness you must `close()` yourself (the `workflowTest` fixture does it).
 *
 * @example
 * ```ts
 * import { Harness } from "@weft/testing"
 * const harness = await Harness.create()
 * try {
 *   await harness.advance("1 minute")
 * } finally {
 *   await harness.close()
 * }
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const create = (options: Options = {}): Promise<Harness> =>
  Effect.runPromise(makeUnscoped(options))

const makeUnscoped = (options: Options): Effect.Effect<Harness> =>
  Effect.gen(function* () {
    const handlesBefore = countHandles()
    const lifetime = openLifetime()
    // Resources and cleanups live in `resources`, released before the time region's scope.
    const regionScope = yield* Scope.make()
    const resources = yield* Scope.make()
    const timeOptions: VirtualTime.Options =
      typeof options.time === "string" ? { mode: options.time } : (options.time ?? {})
    const region = yield* VirtualTime.makeRegion(timeOptions).pipe(Scope.provide(regionScope))
    const entries = new Map<string, Entry>()
    const functions = new Map<string, Runtime.RegisteredFunction>(
      Object.entries(options.functions ?? {})
    )
    const results: Array<TestResult> = []
    const running = new Set<Fiber.Fiber<unknown, unknown>>()
    // The harness's own runtime: its concurrency limit spans every execution of this test.
    const runtime = Runtime.make(
      options.concurrency === undefined ? {} : { concurrency: options.concurrency }
    )
    const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.provideService(effect, References.MinimumLogLevel, options.logLevel ?? "None")
    let closed = false
    const ensureOpen = (what: string) => {
      if (closed) throw new Error(`harness.${what}: the harness is closed (the test has ended)`)
    }

    // Each concern in its own module (src/internal/harness/*), wired here.
    const lazySandbox = makeLazySandbox(options, region, resources)
    const { faults, faultsFor, intercept, wrappedSandbox } = makeFaults()
    const callTracked = makeCallTracked(region)
    const functionsFor = makeFunctionsFor(
      functions,
      { faults, faultsFor, intercept, wrappedSandbox },
      callTracked
    )
    const resourcesFor = (): { [name: string]: Resource.ResourceInput } => {
      const out: { [name: string]: Resource.ResourceInput } = {}
      for (const [name, entry] of entries) out[name] = entry.proxy as Resource.ResourceInput
      return out
    }
    const { execute, executeMany, start } = makeExecution({
      region,
      runtime,
      results,
      ensureOpen,
      sandbox: () => wrappedSandbox(lazySandbox),
      quiet,
      functionsFor,
      resourcesFor
    })
    const { register } = makeResources(region, resources, entries, callTracked, ensureOpen)
    const addCleanup = (cleanup: Effect.Effect<unknown, unknown>) =>
      Scope.addFinalizer(resources, Effect.ignore(cleanup))

    const advance = (duration: Duration.Input) =>
      Effect.suspend(() => {
        try {
          Async.checkDuration("advance", "duration", duration)
        } catch (error) {
          return Effect.die(error)
        }
        return advanceBy(duration)
      })
    const advanceBy = (duration: Duration.Input) =>
      region.mode === "manual"
        ? region.run(TestClock.adjust(duration))
        : region.run(Effect.sleep(duration))

    const closeWith = makeTeardown({
      options,
      region,
      regionScope,
      resources,
      running,
      results,
      lifetime,
      handlesBefore,
      markClosed: () => {
        if (closed) return false
        closed = true
        return true
      }
    })
    const { entryOf, last, assertResourceCalled, assertResourceNotCalled } = makeCallAssertions(
      entries,
      results
    )

    // --- Promise facade ----------------------------------------------------------------------
    const runTracked = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
      const fiber = Effect.runFork(effect)
      running.add(fiber)
      return new Promise<A>((resolve, reject) => {
        fiber.addObserver((exit) => {
          running.delete(fiber)
          if (Exit.isSuccess(exit)) resolve(exit.value)
          else if (Cause.hasInterruptsOnly(exit.cause)) {
            reject(
              new Error(
                "interrupted: the harness was closed (the test ended or timed out) while this was running"
              )
            )
          } else {
            reject(
              Option.getOrElse(Cause.findErrorOption(exit.cause), () => Cause.squash(exit.cause))
            )
          }
        })
      })
    }

    const effectApi: EffectApi = {
      execute,
      executeMany,
      start,
      run: (effect) => region.run(effect),
      resource: (name, source) => register(name, source, false),
      mock: (name, mock) => register(name, mock, true),
      addCleanup,
      advance,
      close: closeWith({})
    }

    const harness: Harness = {
      effect: effectApi,
      options,
      execute: (workflow, params, executeOptions) =>
        runTracked(execute(workflow, params, executeOptions)),
      executeMany: (runs, manyOptions) => runTracked(executeMany(runs, manyOptions)),
      runConcurrent: (fns, concurrentOptions) => Async.runConcurrentPromise(fns, concurrentOptions),
      runConcurrentSettled: (fns, concurrentOptions) =>
        Async.runConcurrentSettledPromise(fns, concurrentOptions),
      runSequential: (fns) => Async.runSequentialPromise(fns),
      run: (effect) => runTracked(region.run(effect)),
      advance: (duration) => runTracked(advance(duration)),
      now: () => region.elapsed(),
      resource: (name, source) => runTracked(register(name, source, false)),
      mock: (name, mock) => runTracked(register(name, mock, true)),
      getResource: <A>(name: string) => {
        const entry = entries.get(name)
        if (entry === undefined) {
          throw new Error(
            `harness.getResource: no resource "${name}"; registered: ${[...entries.keys()].join(", ") || "(none)"}`
          )
        }
        return entry.value as A
      },
      isMock: (name) => entries.get(name)?.mock ?? false,
      registerFunction: (name: string, fn: Runtime.RegisteredFunction | TaskFunction<never>) => {
        functions.set(name, fn as Runtime.RegisteredFunction)
        return harness
      },
      addCleanup: (cleanup) => {
        Effect.runSync(addCleanup(fromMaybePromise(() => cleanup() as unknown)))
      },
      calls: (name, method) => {
        const calls = entryOf("calls", name).calls
        return method === undefined ? [...calls] : calls.filter((c) => c.method === method)
      },
      failNode: (nodeId, error, faultOptions) => {
        faultsFor(nodeId).consumable.push({
          kind: "fail",
          error,
          remaining: faultOptions?.times ?? Number.POSITIVE_INFINITY
        })
        return harness
      },
      timeoutNode: (nodeId, faultOptions) => {
        faultsFor(nodeId).consumable.push({
          kind: "timeout",
          remaining: faultOptions?.times ?? Number.POSITIVE_INFINITY
        })
        return harness
      },
      mockNode: (nodeId, output) => {
        faultsFor(nodeId).mock = { output }
        return harness
      },
      delayNode: (nodeId, duration, faultOptions) => {
        faultsFor(nodeId).delay = {
          millis: Async.checkDuration("delayNode", "duration", duration),
          remaining: faultOptions?.times ?? Number.POSITIVE_INFINITY
        }
        return harness
      },
      clearFaults: (nodeId) => {
        if (nodeId === undefined) faults.clear()
        else faults.delete(nodeId)
        return harness
      },
      faultsInjected: (nodeId) => faults.get(nodeId)?.injected ?? 0,
      results: () => [...results],
      lastResult: () => last("lastResult"),
      trace: () => results.flatMap((r) => r.trace),

      assertWorkflowSuccess: (result) => Assert.workflowSuccess(result),
      assertWorkflowFailure: (result, expected) =>
        Assert.workflowFailure(result, expected) as ExecutionError.ExecutionError | undefined,
      assertNodeOutput: (result, nodeId, expected, path) =>
        Assert.nodeOutput(result, nodeId, expected, path),
      assertNodeStatus: (result, nodeId, status) => Assert.nodeStatus(result, nodeId, status),
      assertExecutionCount: (nodeId, times, result) =>
        Assert.executionCount(result ?? last("assertExecutionCount"), nodeId, times),
      assertRetried: (nodeId, times, result) =>
        Assert.retried(result ?? last("assertRetried"), nodeId, times),
      assertOrder: (...nodeIds) => Assert.order(last("assertOrder"), ...nodeIds),
      assertMaxConcurrency: (limit, many) =>
        Assert.maxConcurrency(
          many ?? (results.length > 0 ? results : [last("assertMaxConcurrency")]),
          limit
        ),
      assertResourceCalled,
      assertResourceNotCalled,
      assertTimeLimit: (limit, fn) => {
        // Executions started inside `fn` are interrupted at the limit, not left running.
        const before = new Set(running)
        const promise = runTracked(
          region.run(
            // `fn` may do real work (held like real I/O) or run executions (virtual time).
            Async.assertTimeLimit(
              limit,
              callTracked("assertTimeLimit", fn) as Effect.Effect<Awaited<ReturnType<typeof fn>>>
            ).pipe(
              Effect.tapError(() =>
                Fiber.interruptAll(
                  [...running].filter((fiber) => !before.has(fiber) && fiber !== self)
                )
              )
            )
          )
        )
        // runTracked registered the assertion's own fiber synchronously.
        const self = [...running].find((fiber) => !before.has(fiber))
        return promise
      },
      assertPerformance: (fn, perfOptions) => Performance.assertPerformancePromise(fn, perfOptions),
      assertMemoryStable: (fn, memOptions) => Performance.assertMemoryStablePromise(fn, memOptions),
      // One clock: the harness's waits run on its (virtual) clock, like execute and the fixtures.
      assertConverges: (getter, convergeOptions) =>
        runTracked(
          region.run(
            Async.assertConverges(
              callTracked("assertConverges getter", getter) as Effect.Effect<number, unknown>,
              convergeOptions
            )
          )
        ),
      waitFor: (condition, pollOptions) =>
        runTracked(
          region.run(
            Async.waitFor(
              callTracked("waitFor condition", condition) as Effect.Effect<boolean, unknown>,
              pollOptions
            )
          )
        ),
      assertEventually: <A>(
        assertion: () => A | PromiseLike<A>,
        pollOptions?: Async.PollOptions
      ): Promise<A> =>
        runTracked(
          region.run(
            Async.assertEventually(
              callTracked("assertEventually assertion", assertion) as Effect.Effect<A, unknown>,
              pollOptions
            )
          )
        ),
      assertRaises: (fn, expected) => Async.assertRaisesPromise(fn, expected),
      close: (context) => Effect.runPromise(closeWith(context ?? {}))
    }
    // Each assertion counts toward `expect.assertions(n)` when called, like `expect(...)`.
    const mutable = harness as unknown as Record<string, (...args: Array<unknown>) => unknown>
    for (const key of Object.keys(harness)) {
      if (!key.startsWith("assert") && key !== "waitFor") continue
      const assertion = mutable[key]!
      mutable[key] = (...args) => {
        countAssertion()
        return assertion(...args)
      }
    }
    return harness
  })
