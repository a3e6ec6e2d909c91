/**
 * The sandbox service: runs a code node's JavaScript inside QuickJS compiled to WebAssembly,
 * with limits, captured logs and async host functions that run in the caller's fiber.
 *
 * @since 0.1.0
 */
import { availableParallelism } from "node:os"
import { Context, Effect, Layer, ManagedRuntime, Option } from "effect"
import { makeEngine, makeInThreadDriver } from "./internal/inThread.js"
import {
  defaultMaxSuspendedInThread as internalDefaultMaxSuspendedInThread,
  defaultMaxSuspendedPerWorker as internalDefaultMaxSuspended,
  defaultLimits as internalDefaultLimits,
  isValidInputName as internalIsValidInputName,
  runWith
} from "./internal/run.js"
import { conditionProblem, parseProblem } from "./internal/syntax.js"
import { makeWorkerPool, type WorkerPoolOptions } from "./internal/workerPool.js"
import { type SandboxError, SandboxSyntaxError } from "./SandboxError.js"

/**
 * A JSON value: the only thing that crosses the sandbox boundary, in either direction.
 *
 * @example
 * ```ts
 * import type { Sandbox } from "@weft/sandbox"
 * const value: Sandbox.Json = { rows: [1, 2, 3], ok: true }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Json =
  | null
  | boolean
  | number
  | string
  | ReadonlyArray<Json>
  | { readonly [key: string]: Json }

/**
 * An async function the guest can call as `await name(...args)`. It runs as an Effect in the
 * caller's fiber (the caller's Clock and services); a failure becomes a thrown `Error` in the
 * guest whose `name` is the error's `_tag` (or `name`) and whose `message` is its message.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { Sandbox } from "@weft/sandbox"
 * const double: Sandbox.HostFunction = (n) => Effect.succeed(typeof n === "number" ? n * 2 : null)
 * ```
 * @since 0.1.0
 * @category models
 */
export type HostFunction = (
  ...args: ReadonlyArray<Json>
) => Effect.Effect<Json | undefined, unknown>

/**
 * Gives the guest `await getResource(name)`: a proxy whose method calls are host calls.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { Sandbox } from "@weft/sandbox"
 * const bridge: Sandbox.ResourceBridge = {
 *   acquire: () => Effect.void,
 *   call: (_name, method, args) => Effect.succeed({ method, args })
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ResourceBridge {
  readonly acquire: (name: string) => Effect.Effect<void, unknown>
  readonly call: (
    name: string,
    method: string,
    args: ReadonlyArray<Json>
  ) => Effect.Effect<Json | undefined, unknown>
}

/**
 * Limits of one run. `timeout` is the real time (ms) the guest may spend running — time spent
 * waiting on host calls is not counted (the caller's own timeouts cover that).
 *
 * @example
 * ```ts
 * import type { Sandbox } from "@weft/sandbox"
 * const limits: Partial<Sandbox.Limits> = { timeout: 500, memoryBytes: 16 * 1024 * 1024 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  readonly timeout: number
  readonly memoryBytes: number
  readonly outputBytes: number
  readonly stackBytes: number
  readonly logLines: number
}

/**
 * What to run: a JavaScript function body (top-level `await` allowed), its inputs (bound as
 * variables), host functions, an optional resource bridge and limits. A `sleep(ms)` host
 * function (on the caller's Clock) is always available unless `host.sleep` replaces it.
 *
 * @example
 * ```ts
 * import type { Sandbox } from "@weft/sandbox"
 * const request: Sandbox.RunRequest = { source: "return items.length", inputs: { items: [1, 2] }, label: "count" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface RunRequest {
  readonly source: string
  readonly inputs?: { readonly [name: string]: Json }
  readonly host?: { readonly [name: string]: HostFunction }
  readonly resources?: ResourceBridge
  readonly limits?: Partial<Limits>
  readonly label?: string
  /**
   * Fair-queueing key (e.g. the execution id). Runs waiting for a worker are served round robin
   * across keys, so one key's backlog (or its runaway code) delays another key's run by at most
   * one step per worker. Default: one shared key (first come, first served).
   */
  readonly fairnessKey?: string
  /**
   * Runs in the caller's fiber once, when the run leaves the queue and is about to execute
   * (after waiting for a free worker and for the pool's start-up). Until then the run is
   * *queued*, not running: start node timeouts here and record `queuedMillis`.
   */
  readonly onStart?: (info: StartInfo) => Effect.Effect<void>
}

/**
 * What {@link RunRequest.onStart} receives: how long the run waited (real milliseconds) between
 * `run` being called and its first step — queueing for a worker and the pool's start-up.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { Sandbox } from "@weft/sandbox"
 * const onStart = (info: Sandbox.StartInfo) => Effect.log(`queued for ${info.queuedMillis.toFixed(1)} ms`)
 * ```
 * @since 0.2.0
 * @category models
 */
export interface StartInfo {
  readonly queuedMillis: number
}

/**
 * The output (the `result` variable if the code assigned or declared it, else the returned value) and the
 * captured `console.log` lines.
 *
 * @example
 * ```ts
 * import type { Sandbox } from "@weft/sandbox"
 * const result: Sandbox.RunResult = { output: 3, logs: ["counted 3 items"] }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface RunResult {
  readonly output: Json | undefined
  readonly logs: ReadonlyArray<string>
}

/**
 * Options of the worker-thread pool driver.
 *
 * @example
 * ```ts
 * import type { Sandbox } from "@weft/sandbox"
 * const options: Sandbox.QuickJsOptions = { workers: 2 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface QuickJsOptions {
  /**
   * Worker threads in the pool (default: `os.availableParallelism()`, at least 2, at most 4).
   * Each runs one step at a time; runs beyond that wait (fairly, see `fairnessKey`).
   */
  readonly workers?: number
  /**
   * Extra real time (ms) a run may overshoot its timeout before its worker is terminated
   * (default: `min(150, 50 + timeout / 2)`). Only code stuck in native calls needs it: the
   * interrupt handler stops ordinary code at its deadline.
   */
  readonly terminateGrace?: number
  /**
   * Runs suspended in host calls (`await fn()`, `sleep`, …) one worker may hold while it serves
   * other runs (default {@link defaultMaxSuspendedPerWorker}, in-thread
   * {@link defaultMaxSuspendedInThread}); each keeps its own QuickJS
   * instance (≥ 16 MiB of address space, a few MiB resident). A run that suspends past it fails
   * with `SandboxSuspendedLimit` (not retryable).
   */
  readonly maxSuspendedPerWorker?: number
}

/**
 * The default bound of runs suspended in host calls per worker of a pool: 64.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * Sandbox.defaultMaxSuspendedPerWorker // 64
 * ```
 * @since 0.2.0
 * @category models
 */
export const defaultMaxSuspendedPerWorker: number = internalDefaultMaxSuspended

/**
 * The in-thread driver's default bound of runs suspended in host calls: 256 (one thread serves
 * every caller; test harnesses run 100 executions at once).
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * Sandbox.defaultMaxSuspendedInThread // 256
 * ```
 * @since 0.2.0
 * @category models
 */
export const defaultMaxSuspendedInThread: number = internalDefaultMaxSuspendedInThread

/**
 * The default size of a worker pool: `os.availableParallelism()`, at least 2, at most 4.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * Sandbox.defaultWorkers() >= 2 // true
 * ```
 * @since 0.2.0
 * @category models
 */
export const defaultWorkers = (): number => Math.max(2, Math.min(4, availableParallelism()))

/**
 * The limits used when a request gives none.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * Sandbox.defaultLimits.timeout // 5000
 * ```
 * @since 0.1.0
 * @category models
 */
export const defaultLimits: Limits = internalDefaultLimits

/**
 * Whether a name can be bound as a guest variable (an identifier that is not a reserved word,
 * `result`, or `__weft_…`).
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * Sandbox.isValidInputName("items") // true
 * Sandbox.isValidInputName("a-b") // false
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isValidInputName = (name: string): boolean => internalIsValidInputName(name)

/**
 * Options of {@link checkSyntax}: `as: "condition"` checks a loop condition (an expression, or
 * else a function body — the way the runtime evaluates it); `label` goes on the error.
 *
 * @example
 * ```ts
 * import type { Sandbox } from "@weft/sandbox"
 * const options: Sandbox.CheckSyntaxOptions = { as: "condition", label: "loop refine" }
 * ```
 * @since 0.2.0
 * @category models
 */
export interface CheckSyntaxOptions {
  readonly as?: "body" | "condition"
  readonly label?: string
}

/**
 * The pure form of {@link checkSyntax}: the `SandboxSyntaxError` (with `line` and `column` in
 * the user's own source, 1-based) when `source` is not a valid code-node body, else
 * `undefined`. V8 compiles the code, never runs it. `import` / `export` are reported as syntax
 * errors here (a run fails with `SandboxUnsupported` for them).
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * Sandbox.checkSyntaxSync("return 1") // undefined
 * Sandbox.checkSyntaxSync("const a = 1\nconst b = ;")?.line // 2
 * Sandbox.checkSyntaxSync("outputs.check.ok", { as: "condition" }) // undefined
 * ```
 * @since 0.2.0
 * @category accessors
 */
export const checkSyntaxSync = (
  source: string,
  options?: CheckSyntaxOptions
): SandboxSyntaxError | undefined => {
  const problem = options?.as === "condition" ? conditionProblem(source) : parseProblem(source)
  if (problem === undefined) return undefined
  return new SandboxSyntaxError({
    ...(options?.label === undefined ? {} : { label: options.label }),
    ...(problem.line === undefined ? {} : { line: problem.line }),
    ...(problem.column === undefined ? {} : { column: problem.column }),
    message: problem.message
  })
}

/**
 * Checks that `source` parses as a code-node body (or, with `as: "condition"`, a loop
 * condition) without running it; fails with `SandboxSyntaxError` carrying `line` and `column`
 * in the user's own source. The runtime calls it for every code node and loop condition before
 * a run starts.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sandbox } from "@weft/sandbox"
 * const error = await Effect.runPromise(Effect.flip(Sandbox.checkSyntax("return (1", { label: "n1" })))
 * // SandboxSyntaxError { label: "n1", line: 1, column: …, message: "…" }
 * ```
 * @since 0.2.0
 * @category accessors
 */
export const checkSyntax = (
  source: string,
  options?: CheckSyntaxOptions
): Effect.Effect<void, SandboxSyntaxError> =>
  Effect.suspend(() => {
    const error = checkSyntaxSync(source, options)
    return error === undefined ? Effect.void : Effect.fail(error)
  })

/**
 * A parse check shaped for `@weft/graph`'s `checkSyntax` option: a message
 * (`"line 2, column 11: …"`) when `source` is not a valid code-node body, else `undefined`.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * Sandbox.syntaxMessage("return 1") // undefined
 * Sandbox.syntaxMessage("return 1 })(); (async () => {") // "The code must be a function body on its own; …"
 * ```
 * @since 0.2.0
 * @category accessors
 */
export const syntaxMessage = (source: string): string | undefined => {
  const error = checkSyntaxSync(source)
  if (error === undefined) return undefined
  if (error.line === undefined) return error.message
  return error.column === undefined
    ? `line ${error.line}: ${error.message}`
    : `line ${error.line}, column ${error.column}: ${error.message}`
}

const layerInThread = (options?: QuickJsOptions): Layer.Layer<Sandbox> =>
  Layer.effect(
    Sandbox,
    Effect.gen(function* () {
      const engine = yield* Effect.acquireRelease(
        Effect.sync(() => makeEngine()),
        (engine) => Effect.sync(() => engine.clear())
      )
      const driver = makeInThreadDriver(
        engine,
        options?.maxSuspendedPerWorker ?? defaultMaxSuspendedInThread
      )
      return Sandbox.of({ run: (request) => runWith(driver, request), stats: driver.stats })
    })
  )

const layerWorkers = (options?: QuickJsOptions): Layer.Layer<Sandbox> =>
  Layer.effect(
    Sandbox,
    Effect.gen(function* () {
      const poolOptions: WorkerPoolOptions = {
        workers: options?.workers ?? defaultWorkers(),
        maxSuspendedPerWorker: options?.maxSuspendedPerWorker ?? defaultMaxSuspendedPerWorker,
        warmSizes: [defaultLimits.memoryBytes],
        ...(options?.terminateGrace === undefined ? {} : { terminateGrace: options.terminateGrace })
      }
      const driver = yield* makeWorkerPool(poolOptions)
      return Sandbox.of({ run: (request) => runWith(driver, request), stats: driver.stats })
    })
  )

/**
 * Occupancy of a sandbox at one moment (see {@link stats}):
 * - `workers`: live worker threads (`1` for the in-thread driver: the calling thread);
 * - `busy`: workers running a step of guest code now (always `0` in-thread: a step runs
 *   synchronously, so nothing can observe it);
 * - `suspended`: runs parked in async host calls, holding their QuickJS instance;
 * - `queued`: runs (new ones and resumes after a host call) waiting for a worker.
 *
 * Utilisation is `busy / workers`.
 *
 * @example
 * ```ts
 * import type { Sandbox } from "@weft/sandbox"
 * const idle: Sandbox.Stats = { workers: 2, busy: 0, suspended: 0, queued: 0 }
 * ```
 * @since 0.2.0
 * @category models
 */
export interface Stats {
  readonly workers: number
  readonly busy: number
  readonly suspended: number
  readonly queued: number
}

/**
 * The sandbox service. `run` validates the request, runs the code and fails with a typed
 * {@link SandboxError}; interrupting the calling fiber stops the guest at once. `stats` (optional:
 * absent on wrappers and fakes that cannot tell) reads the occupancy synchronously and cheaply.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sandbox } from "@weft/sandbox"
 *
 * const program = Effect.gen(function* () {
 *   const sandbox = yield* Sandbox.Sandbox
 *   return yield* sandbox.run({ source: "return a + b", inputs: { a: 1, b: 2 } })
 * })
 * Effect.runPromise(program.pipe(Effect.provide(Sandbox.layerQuickJs()))) // { output: 3, logs: [] }
 * ```
 * @since 0.1.0
 * @category models
 */
export class Sandbox extends Context.Service<
  Sandbox,
  {
    readonly run: (request: RunRequest) => Effect.Effect<RunResult, SandboxError>
    readonly stats?: () => Stats
  }
>()("@weft/sandbox/Sandbox") {
  /** See {@link layerQuickJs}. */
  static readonly layerQuickJs = (options?: QuickJsOptions): Layer.Layer<Sandbox> =>
    layerWorkers(options)
  /** See {@link layerQuickJsInThread}. */
  static get layerQuickJsInThread(): Layer.Layer<Sandbox> {
    inThreadLayer ??= layerInThread()
    return inThreadLayer
  }
  /** See {@link checkSyntax}. */
  static readonly checkSyntax = (
    source: string,
    options?: CheckSyntaxOptions
  ): Effect.Effect<void, SandboxSyntaxError> => checkSyntax(source, options)
}
let inThreadLayer: Layer.Layer<Sandbox> | undefined

/**
 * The default driver: QuickJS in a pool of worker threads. A run that overshoots its timeout
 * (a native-heavy loop ignores QuickJS's interrupt) has its worker terminated and replaced.
 * The pool lives as long as the layer; releasing it terminates every worker.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sandbox } from "@weft/sandbox"
 * const run = Sandbox.Sandbox.use((sandbox) => sandbox.run({ source: "return 1" }))
 * Effect.runPromise(run.pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 2 }))))
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerQuickJs = (options?: QuickJsOptions): Layer.Layer<Sandbox> =>
  layerWorkers(options)

/**
 * QuickJS on the calling thread: the fastest driver, for **trusted code only** (and tests).
 * Memory, stack and output limits hold, but a native-heavy loop (`for (;;) JSON.parse(big)`)
 * cannot be preempted: it overshoots `timeout` and blocks the host's event loop while it does.
 * Never choose it for untrusted input; nothing in this package picks it implicitly.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sandbox } from "@weft/sandbox"
 * const run = Sandbox.Sandbox.use((sandbox) => sandbox.run({ source: "return 1" }))
 * Effect.runPromise(run.pipe(Effect.provide(Sandbox.layerQuickJsInThread)))
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerQuickJsInThread: Layer.Layer<Sandbox> = Sandbox.layerQuickJsInThread

/**
 * {@link layerQuickJsInThread} with options (`maxSuspendedPerWorker` bounds the runs suspended
 * in host calls on this thread). **Trusted code only**, like `layerQuickJsInThread`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sandbox } from "@weft/sandbox"
 * const run = Sandbox.Sandbox.use((sandbox) => sandbox.run({ source: "return 1" }))
 * Effect.runPromise(run.pipe(Effect.provide(Sandbox.layerQuickJsInThreadWith({ maxSuspendedPerWorker: 8 }))))
 * ```
 * @since 0.2.0
 * @category layers
 */
export const layerQuickJsInThreadWith = (
  options: Pick<QuickJsOptions, "maxSuspendedPerWorker">
): Layer.Layer<Sandbox> => layerInThread(options)

/**
 * Runs a request with the service in context.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sandbox } from "@weft/sandbox"
 * Effect.runPromise(Sandbox.run({ source: "return 2 * 21" }).pipe(Effect.provide(Sandbox.layerQuickJsInThread)))
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const run = (request: RunRequest): Effect.Effect<RunResult, SandboxError, Sandbox> =>
  Sandbox.use((sandbox) => sandbox.run(request))

/**
 * The sandbox's occupancy now ({@link Stats}); `None` when the service in context cannot tell
 * (a wrapper or a fake without `stats`).
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Sandbox } from "@weft/sandbox"
 * const program = Effect.map(Sandbox.stats, Option.map((s) => s.busy / Math.max(1, s.workers)))
 * Effect.runPromise(program.pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 1 }))))
 * ```
 * @since 0.2.0
 * @category accessors
 */
export const stats: Effect.Effect<Option.Option<Stats>, never, Sandbox> = Sandbox.use((sandbox) =>
  Effect.sync(() => Option.fromUndefinedOr(sandbox.stats?.()))
)

/**
 * A host function for the Promise facade: returns a value or a Promise of one.
 *
 * @example
 * ```ts
 * import type { Sandbox } from "@weft/sandbox"
 * const lookup: Sandbox.PromiseHostFunction = async (id) => ({ id, name: "Ada" })
 * ```
 * @since 0.1.0
 * @category models
 */
export type PromiseHostFunction = (
  ...args: ReadonlyArray<Json>
) => Json | undefined | Promise<Json | undefined>

/**
 * A request for the Promise facade (host functions return Promises instead of Effects).
 *
 * @example
 * ```ts
 * import type { Sandbox } from "@weft/sandbox"
 * const request: Sandbox.PromiseRunRequest = { source: "return await twice(2)", host: { twice: (n) => Number(n) * 2 } }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface PromiseRunRequest extends Omit<RunRequest, "host" | "resources"> {
  readonly host?: { readonly [name: string]: PromiseHostFunction }
}

/**
 * Options of the Promise facade: which driver to use.
 *
 * @example
 * ```ts
 * import type { Sandbox } from "@weft/sandbox"
 * const options: Sandbox.MakeOptions = { driver: "in-thread" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions extends QuickJsOptions {
  /**
   * `"workers"` (default, for untrusted code) or `"in-thread"` — **trusted code only**: it
   * cannot stop a loop of native calls and blocks this thread while guest code runs.
   */
  readonly driver?: "workers" | "in-thread"
}

/**
 * A sandbox for code that does not use Effect: `run` returns a Promise that rejects with the
 * typed {@link SandboxError}; `close` terminates the workers.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * const sandbox = Sandbox.make()
 * const { output } = await sandbox.run({ source: "return a * 2", inputs: { a: 21 } })
 * await sandbox.close()
 * ```
 * @since 0.1.0
 * @category models
 */
export interface SandboxHandle {
  readonly run: (request: PromiseRunRequest) => Promise<RunResult>
  readonly close: () => Promise<void>
}

const toEffectRequest = (request: PromiseRunRequest): RunRequest => {
  const { host, ...rest } = request
  if (host === undefined) return rest
  const wrapped: Record<string, HostFunction> = {}
  for (const [name, fn] of Object.entries(host)) {
    wrapped[name] = (...args) =>
      Effect.tryPromise({
        try: async () => await fn(...args),
        catch: (error) => error
      })
  }
  return { ...rest, host: wrapped }
}

/**
 * Creates a sandbox handle for Promise users (see {@link SandboxHandle}).
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * const sandbox = Sandbox.make({ driver: "in-thread" })
 * await sandbox.run({ source: "console.log('hi')" }) // { output: undefined, logs: ["hi"] }
 * await sandbox.close()
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: MakeOptions): SandboxHandle => {
  const runtime = ManagedRuntime.make(
    options?.driver === "in-thread" ? layerInThread(options) : layerWorkers(options)
  )
  return {
    run: (request) => runtime.runPromise(run(toEffectRequest(request))),
    close: () => runtime.dispose()
  }
}

/**
 * Runs one request in a fresh sandbox, then disposes it.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * const { output } = await Sandbox.runPromise({ source: "return [1, 2, 3].map((x) => x * x)" })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const runPromise = async (
  request: PromiseRunRequest,
  options?: MakeOptions
): Promise<RunResult> => {
  const sandbox = make(options)
  try {
    return await sandbox.run(request)
  } finally {
    await sandbox.close()
  }
}

let sharedRuntime: ManagedRuntime.ManagedRuntime<Sandbox, never> | undefined

const sharedSandbox = (): ManagedRuntime.ManagedRuntime<Sandbox, never> => {
  sharedRuntime ??= ManagedRuntime.make(layerWorkers())
  return sharedRuntime
}

/**
 * The process-wide sandbox (worker pool with default options) as a layer: created on first use,
 * reused by every layer built from it, never closed by releasing the layer. Its workers are
 * unreferenced while idle, so the process can exit; close it explicitly with
 * {@link closeShared}. `Runtime.run` (`@weft/runtime`) uses it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sandbox } from "@weft/sandbox"
 * const run = Sandbox.run({ source: "return 1" }).pipe(Effect.provide(Sandbox.layerShared))
 * await Effect.runPromise(run) // the pool stays up for the next caller
 * await Sandbox.closeShared()
 * ```
 * @since 0.2.0
 * @category layers
 */
export const layerShared: Layer.Layer<Sandbox> = Layer.effect(
  Sandbox,
  Effect.suspend(() => sharedSandbox().contextEffect).pipe(
    Effect.map((context) => Context.get(context, Sandbox))
  )
)

/**
 * The process-wide sandbox as a Promise handle (see {@link layerShared}); its `close` is
 * {@link closeShared}.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * const { output } = await Sandbox.shared().run({ source: "return 6 * 7" })
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const shared = (): SandboxHandle => ({
  run: (request) => sharedSandbox().runPromise(run(toEffectRequest(request))),
  close: closeShared
})

/**
 * Terminates the process-wide sandbox's workers (runs still in flight fail). The next use
 * creates a new one.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * await Sandbox.closeShared()
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const closeShared = async (): Promise<void> => {
  const runtime = sharedRuntime
  sharedRuntime = undefined
  if (runtime !== undefined) await runtime.dispose()
}
