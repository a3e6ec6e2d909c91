/**
 * The sandbox service: runs a code node's JavaScript inside QuickJS compiled to WebAssembly,
 * with limits, captured logs and async host functions that run in the caller's fiber.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, ManagedRuntime } from "effect"
import { makeEngine, makeInThreadDriver } from "./internal/inThread.js"
import {
  defaultLimits as internalDefaultLimits,
  isValidInputName as internalIsValidInputName,
  runWith
} from "./internal/run.js"
import { parseProblem } from "./internal/syntax.js"
import { makeWorkerPool, type WorkerPoolOptions } from "./internal/workerPool.js"
import type { SandboxError } from "./SandboxError.js"

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
  /** Worker threads in the pool (default: 2). Runs beyond this wait for a free worker. */
  readonly workers?: number
  /** Extra real time (ms) a run may overshoot its timeout before its worker is terminated. */
  readonly terminateGrace?: number
}

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
 * A cheap parse check (V8 compiles, never runs): a message when `source` is not a valid
 * code-node body, else `undefined`. Usable as `@weft/graph`'s `checkSyntax`.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * Sandbox.checkSyntax("return 1") // undefined
 * Sandbox.checkSyntax("return 1 })(); (async () => {") // "The code must be a function body on its own; …"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const checkSyntax = (source: string): string | undefined => {
  const problem = parseProblem(source)
  if (problem === undefined) return undefined
  return problem.line === undefined ? problem.message : `line ${problem.line}: ${problem.message}`
}

const layerInThread = (): Layer.Layer<Sandbox> =>
  Layer.effect(
    Sandbox,
    Effect.gen(function* () {
      const engine = yield* Effect.acquireRelease(
        Effect.sync(() => makeEngine()),
        (engine) => Effect.sync(() => engine.clear())
      )
      const driver = makeInThreadDriver(engine)
      return Sandbox.of({ run: (request) => runWith(driver, request) })
    })
  )

const layerWorkers = (options?: QuickJsOptions): Layer.Layer<Sandbox> =>
  Layer.effect(
    Sandbox,
    Effect.gen(function* () {
      const poolOptions: WorkerPoolOptions = {
        workers: options?.workers ?? 2,
        ...(options?.terminateGrace === undefined ? {} : { terminateGrace: options.terminateGrace })
      }
      const driver = yield* makeWorkerPool(poolOptions)
      return Sandbox.of({ run: (request) => runWith(driver, request) })
    })
  )

/**
 * The sandbox service. `run` validates the request, runs the code and fails with a typed
 * {@link SandboxError}; interrupting the calling fiber stops the guest at once.
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
  { readonly run: (request: RunRequest) => Effect.Effect<RunResult, SandboxError> }
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
  static readonly checkSyntax = (source: string): string | undefined => checkSyntax(source)
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
 * QuickJS on the calling thread: the fastest driver, for trusted code and tests. Memory,
 * stack and output limits hold; a native-heavy loop can overshoot `timeout`, blocking the
 * thread while it does.
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
  /** `"workers"` (default, for untrusted code) or `"in-thread"` (trusted code, fastest). */
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
    options?.driver === "in-thread" ? layerInThread() : layerWorkers(options)
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
