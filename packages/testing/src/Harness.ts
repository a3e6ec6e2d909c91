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
import { Fixture } from "@weft/fixtures"
import { type ExecutionError, Resource, Runtime, type Trace } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import {
  Cause,
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  type LogLevel,
  Option,
  References,
  Schema,
  Scope
} from "effect"
import { TestClock } from "effect/testing"
import * as Assert from "./Assert.js"
import * as Async from "./Async.js"
import { fail, formatMillis, show } from "./internal/assertionFailed.js"
import { countAssertion } from "./internal/expectCount.js"
import { type ResourceCall, recordingProxy } from "./internal/recording.js"
import { accountedFor, legitimately } from "./internal/suspensions.js"
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
  /** Most nodes running at once across this harness's executions. */
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
 * Execute options: the runtime's, plus `events` — events delivered to the execution (taken by a
 * code node's `await nextEvent(timeout)`) at virtual times after it starts, in order.
 *
 * @example
 * ```ts
 * import type { Harness } from "@weft/testing"
 * const options: Harness.ExecuteOptions = {
 *   events: [
 *     { at: "100 millis", event: { type: "data", value: 1 } },
 *     { at: "100 millis", event: { type: "stop" } }
 *   ]
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ExecuteOptions extends Runtime.ExecuteOptions {
  readonly events?: ReadonlyArray<{
    readonly at: Duration.Input
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
export class LeakDetected extends Schema.TaggedError<LeakDetected>()("LeakDetected", {
  leaks: Schema.Array(Schema.String),
  message: Schema.String
}) {}

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

type Consumable =
  | { readonly kind: "fail"; readonly error: unknown; remaining: number }
  | { readonly kind: "timeout"; remaining: number }

interface NodeFaults {
  readonly consumable: Array<Consumable>
  delay?: { readonly millis: number; remaining: number }
  mock?: { readonly output: Runtime.Params[string] }
  injected: number
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

interface Entry {
  readonly value: unknown
  readonly proxy: unknown
  readonly mock: boolean
  readonly calls: Array<ResourceCall>
}

const isScopedEffect = (u: unknown): u is Effect.Effect<unknown, unknown, Scope.Scope> =>
  Effect.isEffect(u)

const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (typeof u !== "object" || u === null) return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

// Only a plain `{ acquire, release }` object is a recipe (a mock answers every property).
const hasAcquire = (
  u: unknown
): u is { readonly acquire: () => unknown; readonly release: (a: unknown) => unknown } =>
  isPlainObject(u) &&
  !Fixture.isMock(u) &&
  Object.hasOwn(u, "acquire") &&
  Object.hasOwn(u, "release") &&
  typeof u.acquire === "function" &&
  typeof u.release === "function"

const isTaskContext = (u: unknown): u is Runtime.TaskContext =>
  typeof u === "object" &&
  u !== null &&
  typeof (u as { nodeId?: unknown }).nodeId === "string" &&
  typeof (u as { executionId?: unknown }).executionId === "string" &&
  typeof (u as { attempt?: unknown }).attempt === "number"

const fromMaybePromise = <A>(thunk: () => A | PromiseLike<A>): Effect.Effect<A, unknown> =>
  Effect.tryPromise({ try: async () => await thunk(), catch: (error) => error })

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { then?: unknown }).then === "function"

const toEffect = (value: unknown): Effect.Effect<unknown, unknown> => {
  if (Effect.isEffect(value)) return value as Effect.Effect<unknown, unknown>
  if (isPromiseLike(value)) {
    return Effect.tryPromise({ try: () => value, catch: (error) => error })
  }
  return Effect.succeed(value)
}

const bindFixture = (value: unknown, context: Context.Context<never>) => {
  if (typeof value !== "object" || value === null) return
  try {
    Fixture.bindContext(value, context)
  } catch {
    // not a @weft/fixtures fixture
  }
}

// One in-thread sandbox per process for `sandbox: "shared"`; its runs mark their real work in
// the caller's context, so it need not be built inside a harness's time region.
let shared: Promise<Context.Context<Sandbox.Sandbox>> | undefined
const sharedSandbox = (): Effect.Effect<Context.Context<Sandbox.Sandbox>> =>
  Effect.promise(() => {
    shared ??= Effect.runPromise(
      Layer.buildWithScope(Sandbox.layerQuickJsInThread, Scope.makeUnsafe())
    )
    return shared
  })

// Servers are counted process-wide, so they can only be blamed on a harness that was the only
// one open for its whole life (concurrent tests cannot be told apart).
interface Lifetime {
  overlapped: boolean
}
const openHarnesses = new Set<Lifetime>()
const openLifetime = (): Lifetime => {
  const lifetime: Lifetime = { overlapped: openHarnesses.size > 0 }
  for (const other of openHarnesses) other.overlapped = true
  openHarnesses.add(lifetime)
  return lifetime
}

// Listening servers only: client sockets may legitimately stay pooled (keep-alive) after a test.
const serverHandles = new Set(["TCPServerWrap", "PipeServerWrap", "UDPWrap"])
const countHandles = (): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const name of process.getActiveResourcesInfo()) {
    if (serverHandles.has(name)) counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  return counts
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
    const faults = new Map<string, NodeFaults>()
    const results: Array<TestResult> = []
    const running = new Set<Fiber.Fiber<unknown, unknown>>()
    // The harness's own runtime: its concurrency limit spans every execution of this test.
    const runtime = Runtime.make(
      options.concurrency === undefined ? {} : { concurrency: options.concurrency }
    )
    const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.provideService(effect, References.MinimumLogLevel, options.logLevel ?? "None")
    let closed = false
    let sandboxService: Sandbox.Sandbox["Service"] | undefined

    const ensureOpen = (what: string) => {
      if (closed) throw new Error(`harness.${what}: the harness is closed (the test has ended)`)
    }

    // --- sandbox, built once inside the time region ------------------------------------------
    const sandboxLayer: Layer.Layer<Sandbox.Sandbox> =
      options.sandbox === undefined ||
      options.sandbox === "in-thread" ||
      options.sandbox === "shared"
        ? Sandbox.layerQuickJsInThread
        : options.sandbox === "workers"
          ? Sandbox.layerQuickJs()
          : options.sandbox
    // Built on the first code-node run (task-only workflows never pay for it), once.
    let sandboxBuild: Deferred.Deferred<Sandbox.Sandbox["Service"]> | undefined
    const getSandbox: Effect.Effect<Sandbox.Sandbox["Service"]> = Effect.suspend(() => {
      if (sandboxService !== undefined) return Effect.succeed(sandboxService)
      if (sandboxBuild !== undefined) return Deferred.await(sandboxBuild)
      const build = Deferred.makeUnsafe<Sandbox.Sandbox["Service"]>()
      sandboxBuild = build
      const built =
        options.sandbox === undefined || options.sandbox === "shared"
          ? sharedSandbox()
          : region.run(Layer.buildWithScope(Layer.fresh(sandboxLayer), resources))
      return built.pipe(
        Effect.map((context) => Context.get(context, Sandbox.Sandbox)),
        Effect.orDie,
        Effect.exit,
        Effect.flatMap((exit) => {
          if (Exit.isSuccess(exit)) sandboxService = exit.value
          return Effect.andThen(Deferred.done(build, exit), exit)
        }),
        Effect.uninterruptible
      )
    })
    const lazySandbox: Sandbox.Sandbox["Service"] = {
      run: (request) => Effect.flatMap(getSandbox, (sandbox) => sandbox.run(request))
    }

    // --- fault injection ---------------------------------------------------------------------
    const faultsFor = (nodeId: string): NodeFaults => {
      let entry = faults.get(nodeId)
      if (entry === undefined) {
        entry = { consumable: [], injected: 0 }
        faults.set(nodeId, entry)
      }
      return entry
    }
    /** Wraps one attempt of `nodeId` with whatever faults are registered for it. */
    const intercept = <A>(
      nodeId: string,
      attempt: Effect.Effect<A, unknown>,
      mocked: (output: Runtime.Params[string]) => A
    ): Effect.Effect<A, unknown> =>
      Effect.suspend(() => {
        const entry = faults.get(nodeId)
        if (entry === undefined) return attempt
        const steps: Array<Effect.Effect<unknown, unknown>> = []
        if (entry.delay !== undefined && entry.delay.remaining > 0) {
          entry.delay.remaining--
          steps.push(Effect.sleep(entry.delay.millis))
        }
        const next = entry.consumable.find((fault) => fault.remaining > 0)
        let body: Effect.Effect<A, unknown>
        if (next !== undefined) {
          next.remaining--
          entry.injected++
          body = next.kind === "fail" ? Effect.fail(next.error) : Effect.never
        } else if (entry.mock !== undefined) {
          entry.injected++
          body = Effect.succeed(mocked(entry.mock.output))
        } else {
          body = attempt
        }
        return steps.length === 0
          ? body
          : Effect.andThen(Effect.all(steps, { discard: true }), body)
      })

    const wrappedSandbox = (sandbox: Sandbox.Sandbox["Service"]): Sandbox.Sandbox["Service"] => ({
      run: (request) =>
        request.label === undefined || !faults.has(request.label)
          ? sandbox.run(request)
          : (intercept(request.label, sandbox.run(request), (output) => ({
              output,
              logs: []
            })) as ReturnType<Sandbox.Sandbox["Service"]["run"]>)
    })

    /**
     * Calls a user function. A pending Promise it returns may be real I/O (a real client), so it
     * holds virtual time still — unless it is waiting on the harness clock itself (a fixture
     * call, an execution it started), which the region tells apart.
     */
    const callTracked = (
      label: string,
      call: () => unknown,
      onInterrupt?: () => void
    ): Effect.Effect<unknown, unknown> =>
      Effect.suspend(() => {
        let value: unknown
        let end: () => void
        try {
          ;({ value, end } = region.callUnknown(label, call))
        } catch (error) {
          return Effect.fail(error)
        }
        if (!isPromiseLike(value)) {
          end()
          return toEffect(value)
        }
        const pending = value
        // Accounted for by `callUnknown` (with what it starts on its behalf), not by the tracer.
        return Effect.callback<unknown, unknown>(
          accountedFor((resume: (effect: Effect.Effect<unknown, unknown>) => void) => {
            pending.then(
              (a) => {
                end()
                legitimately(() => resume(Effect.succeed(a)))
              },
              (error: unknown) => {
                end()
                legitimately(() => resume(Effect.fail(error)))
              }
            )
            return Effect.sync(() => {
              end()
              onInterrupt?.()
            })
          })
        )
      })

    const functionsFor = (
      workflow: Workflow,
      extra?: { readonly [name: string]: Runtime.RegisteredFunction }
    ): { [name: string]: Runtime.RegisteredFunction } => {
      const out: { [name: string]: Runtime.RegisteredFunction } = {}
      const all =
        extra === undefined ? functions : new Map([...functions, ...Object.entries(extra)])
      for (const [name, fn] of all) {
        // Task nodes call `fn(inputs, context)`; code nodes call it as a host function with the
        // guest's arguments — only task calls are node attempts that faults apply to.
        out[name] = ((...args: Array<unknown>) => {
          const context = args[1]
          const call = () => (fn as (...a: Array<unknown>) => unknown)(...args)
          if (!isTaskContext(context)) return callTracked(`function ${name}`, call)
          const abort = (context as { abort?: unknown }).abort
          return intercept(
            context.nodeId,
            callTracked(
              `function ${name} (node ${context.nodeId})`,
              call,
              typeof abort === "function" ? () => abort.call(context) : undefined
            ),
            (o) => o
          )
        }) as Runtime.RegisteredFunction
      }
      // A mocked or failed task node needs no real function: its attempts reach the faults.
      for (const node of workflow.nodes) {
        const nodeFaults = faults.get(node.id)
        if (
          node.kind === "task" &&
          !Object.hasOwn(out, node.function) &&
          nodeFaults !== undefined &&
          (nodeFaults.mock !== undefined || nodeFaults.consumable.length > 0)
        ) {
          out[node.function] = ((_inputs: unknown, context: Runtime.TaskContext) =>
            intercept(
              context.nodeId,
              Effect.die(new Error(`function ${node.function} is not registered`)),
              (o) => o
            )) as Runtime.RegisteredFunction
        }
      }
      return out
    }

    const resourcesFor = (): { [name: string]: Resource.ResourceInput } => {
      const out: { [name: string]: Resource.ResourceInput } = {}
      for (const [name, entry] of entries) out[name] = entry.proxy as Resource.ResourceInput
      return out
    }

    // --- execution ---------------------------------------------------------------------------
    const execute = (
      workflow: Workflow,
      params?: Params,
      executeOptions: ExecuteOptions = {}
    ): Effect.Effect<TestResult, VirtualTime.VirtualTimeError> =>
      Effect.gen(function* () {
        ensureOpen("execute")
        const sandbox = wrappedSandbox(lazySandbox)
        const { events, ...runtimeOptions } = executeOptions
        const options: Runtime.ExecuteOptions = {
          ...runtimeOptions,
          functions: functionsFor(workflow, runtimeOptions.functions),
          resources: { ...resourcesFor(), ...runtimeOptions.resources }
        }
        const run =
          events === undefined || events.length === 0
            ? runtime.execute(workflow, params, options)
            : Effect.scoped(
                Effect.gen(function* () {
                  const execution = yield* runtime.start(workflow, params, options)
                  const startedAt = region.now()
                  // Scripted events arrive at their virtual times, in order.
                  yield* Effect.forkScoped(
                    Effect.forEach(
                      events,
                      ({ at, event }) =>
                        Effect.gen(function* () {
                          const due = startedAt + Duration.toMillis(Duration.fromInputUnsafe(at))
                          const wait = due - region.now()
                          if (wait > 0) yield* Effect.sleep(wait)
                          yield* execution.send(event)
                        }),
                      { discard: true }
                    )
                  )
                  return yield* execution.result
                })
              )
        const measured = yield* region.measure(
          run.pipe(Effect.provideService(Sandbox.Sandbox, sandbox), quiet)
        )
        const result: TestResult = { ...measured.value, timing: measured.timing }
        results.push(result)
        return result
      })

    const executeMany: EffectApi["executeMany"] = (runs, manyOptions) =>
      Effect.gen(function* () {
        ensureOpen("executeMany")
        const sandbox = wrappedSandbox(lazySandbox)
        const resourceTable = resourcesFor()
        const measured = yield* region.measure(
          Effect.forEach(
            runs,
            (run) =>
              Effect.gen(function* () {
                const started = performance.now()
                const value = yield* runtime.execute(run.workflow, run.params, {
                  functions: functionsFor(run.workflow),
                  resources: resourceTable
                })
                return { value, realMs: performance.now() - started }
              }),
            { concurrency: manyOptions?.concurrency ?? "unbounded" }
          ).pipe(Effect.provideService(Sandbox.Sandbox, sandbox), quiet)
        )
        const out = measured.value.map(
          ({ value, realMs }): TestResult => ({
            ...value,
            timing: { ...measured.timing, virtualMs: value.duration, realMs }
          })
        )
        results.push(...out)
        return out
      })

    const start: EffectApi["start"] = (workflow, params, startOptions = {}) =>
      Effect.gen(function* () {
        ensureOpen("start")
        const realStart = performance.now()
        const sandbox = wrappedSandbox(lazySandbox)
        const execution = yield* runtime
          .start(workflow, params, {
            ...startOptions,
            functions: functionsFor(workflow, startOptions.functions),
            resources: { ...resourcesFor(), ...startOptions.resources }
          })
          .pipe(
            Effect.provideService(Sandbox.Sandbox, sandbox),
            quiet,
            Effect.provideContext(region.context)
          )
        // Waiting on the execution drives the harness clock; events are stamped with its time.
        const handle: Runtime.Execution = {
          ...execution,
          send: (event) => Effect.provideContext(execution.send(event), region.context),
          result: Effect.orDie(
            Effect.tap(region.run(execution.result), (result) =>
              Effect.sync(() => {
                results.push({
                  ...result,
                  timing: {
                    mode: region.mode,
                    virtualMs: result.duration,
                    realMs: performance.now() - realStart,
                    advances: 0
                  }
                })
              })
            )
          ),
          cancel: Effect.orDie(region.run(execution.cancel))
        }
        return handle
      })

    // --- resources ---------------------------------------------------------------------------
    // Acquire and release may do real I/O (connect, listen): tracked like a user function.
    const acquire = <A>(name: string, source: ResourceSource<A>): Effect.Effect<A, unknown> =>
      Effect.suspend((): Effect.Effect<A, unknown> => {
        const tracked = <B>(step: string, thunk: () => B | PromiseLike<B>) =>
          callTracked(`resource ${name} ${step}`, thunk) as Effect.Effect<B, unknown>
        if (Fixture.isMock(source)) return Effect.succeed(source as A)
        if (Resource.isResource(source)) {
          return region.run(Scope.provide(source.acquire, resources)) as Effect.Effect<A, unknown>
        }
        if (isScopedEffect(source)) {
          return region.run(Scope.provide(source, resources)) as Effect.Effect<A, unknown>
        }
        // Acquisition stays interruptible (a hung connect must not hold teardown hostage); a
        // value that arrives after the interruption is released at once.
        const interruptibleAcquire = <B>(
          step: string,
          thunk: () => B | PromiseLike<B>,
          release: (value: B) => unknown
        ) => {
          let abandoned = false
          const guarded = () => {
            const value = thunk()
            if (isPromiseLike(value)) {
              value.then(
                (late) => {
                  if (abandoned) void Promise.resolve(release(late)).catch(() => {})
                },
                () => {}
              )
            }
            return value
          }
          return Effect.interruptible(tracked(step, guarded)).pipe(
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                abandoned = true
              })
            )
          )
        }
        const disposeOf = (value: unknown) => {
          const disposable = value as { [Symbol.asyncDispose]?: () => PromiseLike<void> }
          return typeof value === "object" &&
            value !== null &&
            typeof disposable[Symbol.asyncDispose] === "function"
            ? () => disposable[Symbol.asyncDispose]!()
            : undefined
        }
        if (hasAcquire(source)) {
          return region.run(
            Effect.acquireRelease(
              interruptibleAcquire("acquire", source.acquire, source.release),
              (value) => Effect.orDie(tracked("release", () => source.release(value)))
            ).pipe(Scope.provide(resources))
          ) as Effect.Effect<A, unknown>
        }
        if (typeof source === "function") {
          return region.run(
            Effect.acquireRelease(
              interruptibleAcquire("factory", source as () => A | PromiseLike<A>, (value) =>
                disposeOf(value)?.()
              ),
              (value) =>
                Effect.suspend(() => {
                  const dispose = disposeOf(value)
                  return dispose === undefined
                    ? Effect.void
                    : Effect.orDie(tracked("asyncDispose", dispose))
                })
            ).pipe(Scope.provide(resources))
          ) as Effect.Effect<A, unknown>
        }
        return Effect.succeed(source as A)
      })

    const register = <A>(name: string, source: ResourceSource<A>, mock: boolean) =>
      Effect.gen(function* () {
        ensureOpen(mock ? "mock" : "resource")
        const value = yield* acquire(name, source)
        bindFixture(value, region.fixtureContext)
        const calls: Array<ResourceCall> = []
        // A fixture keeps time on the region's clock and marks its own real I/O; any other
        // object's pending Promise is real work (a real client), so time waits for it.
        const fixture = Fixture.isMock(value)
        const proxy =
          typeof value === "object" && value !== null
            ? recordingProxy(
                name,
                value,
                calls,
                () => region.elapsed(),
                fixture ? undefined : (label) => region.realWork.begin(`resource ${label}`)
              )
            : value
        entries.set(name, { value, proxy, mock: mock || fixture, calls })
        return value
      })

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

    // --- close and the leak check ------------------------------------------------------------
    let closing: Promise<Exit.Exit<void, LeakDetected>> | undefined
    const closeEffect = (context: CloseContext): Effect.Effect<void, LeakDetected> =>
      Effect.gen(function* () {
        if (closed) return
        closed = true
        const leaks: Array<string> = []
        let inFlight: Array<string> = []
        const stillRunning = running.size
        if (stillRunning > 0) {
          // Name what they were waiting on: usually why the test timed out.
          inFlight = [...new Set((yield* region.leaks).realWork)]
          leaks.push(
            `${stillRunning} execution${stillRunning === 1 ? "" : "s"} or harness call${stillRunning === 1 ? "" : "s"} still running at teardown (interrupted)` +
              (inFlight.length > 0 ? `; real work in flight: ${inFlight.join(", ")}` : "")
          )
          yield* Fiber.interruptAll([...running])
        }
        const closeExit = yield* Effect.exit(Scope.close(resources, Exit.void))
        if (Exit.isFailure(closeExit))
          leaks.push(`a cleanup failed: ${Cause.pretty(closeExit.cause).split("\n")[0]}`)
        const regionLeaks = yield* region.leaks
        const described = VirtualTime.describeLeaks(regionLeaks)
        if (described !== undefined) leaks.push(described)
        for (const result of results) {
          const acquired = new Map<string, number>()
          for (const event of result.trace) {
            if (event.type === "resource-acquired")
              acquired.set(event.resource, (acquired.get(event.resource) ?? 0) + 1)
            if (event.type === "resource-released")
              acquired.set(event.resource, (acquired.get(event.resource) ?? 0) - 1)
          }
          for (const [name, open] of acquired) {
            if (open > 0)
              leaks.push(`resource ${name} acquired by execution ${result.id} was never released`)
          }
        }
        yield* Scope.close(regionScope, Exit.void)
        openHarnesses.delete(lifetime)
        // Servers and sockets close asynchronously; give them a few turns.
        let handleLeaks: Array<string> = []
        for (let turn = 0; turn < 20 && !lifetime.overlapped; turn++) {
          const after = countHandles()
          handleLeaks = [...after]
            .filter(([name, count]) => count > (handlesBefore.get(name) ?? 0))
            .map(
              ([name, count]) =>
                `${count - (handlesBefore.get(name) ?? 0)} ${name} handle(s) still open (a server not closed)`
            )
          if (handleLeaks.length === 0) break
          yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 5)))
        }
        leaks.push(...handleLeaks)
        if (leaks.length > 0 && options.leakCheck !== false) {
          const list = leaks.map((l) => `  - ${l}`).join("\n")
          // A timed-out test: the timeout is the news, what leaked is its consequence.
          const headline =
            context.timedOutAfter === undefined
              ? `leak check: ${leaks.length} thing${leaks.length === 1 ? "" : "s"} outlived the test:`
              : `the test timed out after ${formatMillis(context.timedOutAfter)}` +
                (inFlight.length > 0
                  ? ` while waiting on real work: ${inFlight.join(", ")}`
                  : stillRunning > 0
                    ? ` with ${stillRunning} execution${stillRunning === 1 ? "" : "s"} or harness call${stillRunning === 1 ? "" : "s"} still running`
                    : "") +
                `. Left behind (cleaned up):`
          return yield* new LeakDetected({ leaks, message: `${headline}\n${list}` })
        }
      })
    const closeWith = (context: CloseContext): Effect.Effect<void, LeakDetected> =>
      Effect.suspend(() => {
        closing ??= Effect.runPromise(Effect.exit(closeEffect(context)))
        return Effect.flatMap(
          Effect.promise(() => closing!),
          (exit) => exit
        )
      })

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

    const entryOf = (assertion: string, name: string): Entry => {
      const entry = entries.get(name)
      if (entry === undefined) {
        throw fail(
          assertion,
          `no resource "${name}"; registered: ${[...entries.keys()].join(", ") || "(none)"}`
        )
      }
      return entry
    }
    const describeCalls = (name: string, calls: ReadonlyArray<ResourceCall>) =>
      calls.length === 0
        ? `  (no calls to ${name})`
        : calls
            .slice(0, 15)
            .map(
              (call, i) =>
                `  #${i + 1} [${formatMillis(call.at)}] ${call.method}(${call.args.map((a) => show(a)).join(", ")})${call.outcome === "threw" ? ` threw ${show(call.error)}` : ""}`
            )
            .join("\n") + (calls.length > 15 ? `\n  ... ${calls.length - 15} more` : "")

    const argsMatch = (actual: ReadonlyArray<unknown>, expected: ReadonlyArray<unknown>) =>
      expected.every((arg, i) =>
        Assert.jsonEquals(JSON.parse(JSON.stringify(actual[i] ?? null)), arg)
      )

    const last = (assertion: string): TestResult => {
      const result = results.at(-1)
      if (result === undefined)
        throw fail(assertion, "no workflow has been executed by this harness yet")
      return result
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
      assertResourceCalled: (name, method, expected = {}) => {
        const entry = entryOf("assertResourceCalled", name)
        const ofMethod = entry.calls.filter((c) => c.method === method)
        const matching =
          expected.with === undefined
            ? ofMethod
            : ofMethod.filter((c) => argsMatch(c.args, expected.with!))
        const what = `${name}.${method}${expected.with === undefined ? "" : ` with (${expected.with.map((a) => show(a)).join(", ")})`}`
        if (
          expected.times === undefined ? matching.length === 0 : matching.length !== expected.times
        ) {
          const wanted =
            expected.times === undefined
              ? "at least once"
              : `${expected.times} time${expected.times === 1 ? "" : "s"}`
          throw fail(
            "assertResourceCalled",
            `expected ${what} to be called ${wanted}, it was called ${matching.length} time${matching.length === 1 ? "" : "s"}\ncalls to ${name}:\n${describeCalls(name, entry.calls)}`
          )
        }
      },
      assertResourceNotCalled: (name, method) => {
        const entry = entryOf("assertResourceNotCalled", name)
        const calls =
          method === undefined ? entry.calls : entry.calls.filter((c) => c.method === method)
        if (calls.length > 0) {
          throw fail(
            "assertResourceNotCalled",
            `expected ${method === undefined ? name : `${name}.${method}`} not to be called, it was called ${calls.length} time${calls.length === 1 ? "" : "s"}\n${describeCalls(name, calls)}`
          )
        }
      },
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
