// The QuickJS engine shared by the in-thread driver and the worker threads.
// Self-contained on purpose: a worker loads this file directly (no relative value imports),
// and everything it exchanges with its driver is plain structured-clone data.
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as variantNamespace from "@jitl/quickjs-wasmfile-release-sync"
import type {
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSSyncVariant,
  QuickJSWASMModule
} from "quickjs-emscripten-core"
import { newQuickJSWASMModuleFromVariant, newVariant } from "quickjs-emscripten-core"

/** Limits of one run, all numbers (ms / bytes / lines). */
export interface EngineLimits {
  readonly timeout: number
  readonly memoryBytes: number
  readonly outputBytes: number
  readonly stackBytes: number
  readonly logLines: number
}

export interface Job {
  readonly source: string
  readonly inputsJson: string
  readonly inputNames: ReadonlyArray<string>
  readonly hostNames: ReadonlyArray<string>
  readonly resources: boolean
  readonly limits: EngineLimits
}

export type HostCallKind = "function" | "acquire" | "resource"

export interface HostCall {
  readonly id: number
  readonly kind: HostCallKind
  readonly name: string
  readonly method: string
  readonly argsJson: string
}

export type HostResult =
  | { readonly id: number; readonly ok: true; readonly valueJson: string | undefined }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly message: string }

export type FailureKind =
  | "syntax"
  | "runtime"
  | "timeout"
  | "memory"
  | "stack"
  | "output"
  | "unsupported"
  | "hostCall"
  | "neverSettles"
  | "suspendedLimit"

export interface Failure {
  readonly kind: FailureKind
  readonly name: string
  readonly message: string
  readonly line: number | undefined
  readonly callId: number | undefined
  readonly size: number | undefined
}

export type Step =
  | { readonly _tag: "pending"; readonly calls: ReadonlyArray<HostCall> }
  | {
      readonly _tag: "done"
      readonly outputJson: string | undefined
      readonly logs: ReadonlyArray<string>
    }
  | { readonly _tag: "failed"; readonly failure: Failure; readonly logs: ReadonlyArray<string> }

const FILE = "code.js"
const MAX_LOG_LINE = 2_000
const MAX_ARGS_CHARS = 16 * 1024 * 1024
const MAX_PENDING_CALLS = 1_000
const BASE_PAGES = 256 // the module's own 16 MiB
const PAGE = 65_536
const IDLE_MODULES_PER_SIZE = 4
const MAX_IDLE_MODULES = 6 // across memory sizes: each may keep up to 16 MiB + REUSE_BELOW_BYTES resident
const MEMORY_SLACK_BYTES = 2 * 1024 * 1024 // "at the limit": less than this left to grow
const REUSE_BELOW_BYTES = 8 * 1024 * 1024 // a module that grew more than this is dropped, not reused

const require = createRequire(import.meta.url)

// WebAssembly's types live in lib.dom; describe the little used here.
/** A compiled WebAssembly module (opaque; structured-clonable to workers). */
export type WasmModule = object
interface WasmMemory {
  readonly buffer: ArrayBuffer
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule
  readonly Memory: new (descriptor: {
    readonly initial: number
    readonly maximum: number
  }) => WasmMemory
}
const Wasm = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly

/** Compiles QuickJS's `.wasm` (do it once per process and share the module with workers). */
export const compileWasm = (): WasmModule =>
  new Wasm.Module(readFileSync(require.resolve("@jitl/quickjs-wasmfile-release-sync/wasm")))

const unwrapVariant = (value: unknown): QuickJSSyncVariant => {
  // The CJS build nests the variant under `default` (sometimes twice); `wasmMemory` is ignored otherwise.
  let current: unknown = value
  for (let i = 0; i < 3; i++) {
    if (typeof current === "object" && current !== null && "importFFI" in current)
      return current as QuickJSSyncVariant
    if (typeof current === "object" && current !== null && "default" in current) {
      current = (current as { readonly default: unknown }).default
    } else break
  }
  throw new Error("@jitl/quickjs-wasmfile-release-sync did not export a QuickJS variant")
}
const baseVariant = unwrapVariant(variantNamespace)
const QUIET = { printErr: () => {}, print: () => {} } as unknown as NonNullable<
  Parameters<typeof newVariant>[1]["emscriptenModule"]
>

// Runs once per context, before any user code; captures intrinsics so later tampering by the
// guest only affects the guest. Returns `run(main, inputsJson, outputLimit, hostNames, hasResources)`.
const PRELUDE = `(function (rawCall, rawLog, maxLogLine) {
  "use strict";
  const O = Object, R = Reflect, E = Error, S = String, P = Proxy;
  const gopd = O.getOwnPropertyDescriptor, getProto = O.getPrototypeOf, define = O.defineProperty;
  const stringify = JSON.stringify, parse = JSON.parse, apply = R.apply;
  const then = Promise.prototype.then, slice = S.prototype.slice, join = Array.prototype.join;
  const hostErrors = new WeakMap(), wmGet = WeakMap.prototype.get, wmSet = WeakMap.prototype.set;
  const setGlobal = (name, value) => define(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  const invoke = (kind, name, method, args) => {
    const p = rawCall(stringify([kind, name, S(method), args])); // one string: one copy across the boundary
    return apply(then, p, [(envelope) => {
      const env = parse(envelope);
      if (env.ok) return env.value === undefined ? undefined : parse(env.value);
      const error = new E(env.message);
      define(error, "name", { value: env.name, writable: true, configurable: true, enumerable: false });
      apply(wmSet, hostErrors, [error, env.id]);
      throw error;
    }]);
  };
  const unsupported = (message) => { const e = new E(message); define(e, "name", { value: "SandboxUnsupported", writable: true, configurable: true }); return e; };
  const proxyFor = (resource) => new P({}, {
    get: (_target, method) => typeof method === "symbol" || method === "then" ? undefined
      : (...args) => invoke("resource", resource, method, args),
    set: () => false, defineProperty: () => false, setPrototypeOf: () => false
  });
  const install = (hostNames, hasResources) => {
    for (let i = 0; i < hostNames.length; i++) {
      const name = hostNames[i];
      setGlobal(name, { [name]: (...args) => invoke("function", name, "", args) }[name]);
    }
    if (hasResources) {
      setGlobal("getResource", (name) => {
        const resource = S(name);
        return apply(then, invoke("acquire", resource, "", []), [() => proxyFor(resource)]);
      });
    }
  };
  setGlobal("require", () => { throw unsupported("require() is not available in code nodes; use the host functions and getResource() instead"); });
  const show = (value) => {
    if (typeof value === "string") return value;
    try { const s = stringify(value); return s === undefined ? S(value) : s; } catch (_) {
      try { return S(value); } catch (_) { return "[unprintable]"; }
    }
  };
  const log = (...args) => {
    const parts = [];
    for (let i = 0; i < args.length; i++) parts[i] = show(args[i]);
    let line = apply(join, parts, [" "]);
    if (line.length > maxLogLine) line = apply(slice, line, [0, maxLogLine]) + "…";
    rawLog(stringify(line)); // JSON keeps NUL and lone surrogates intact across the boundary
  };
  setGlobal("console", { log, info: log, warn: log, error: log, debug: log, trace: log });
  const readString = (value, key) => {
    let o = value;
    for (let i = 0; i < 16 && o !== null && (typeof o === "object" || typeof o === "function"); i++) {
      const d = gopd(o, key);
      if (d !== undefined) return "value" in d && typeof d.value === "string" ? d.value : undefined;
      o = getProto(o);
    }
    return undefined;
  };
  const describe = (error) => {
    if (error === null || (typeof error !== "object" && typeof error !== "function")) {
      let message; try { message = S(error); } catch (_) { message = typeof error; }
      return { __proto__: null, kind: "throw", name: "Error", message, stack: "", hostCall: undefined };
    }
    const name = readString(error, "name"), message = readString(error, "message"), stack = readString(error, "stack");
    return {
      __proto__: null,
      kind: "throw",
      name: name === undefined ? "Error" : apply(slice, name, [0, 200]),
      message: message === undefined ? "(the thrown value has no readable message)" : apply(slice, message, [0, 4000]),
      stack: stack === undefined ? "" : apply(slice, stack, [0, 2000]),
      hostCall: apply(wmGet, hostErrors, [error])
    };
  };
  // The outcome is read by the host, so the guest must not be able to forge it: envelopes have
  // no prototype (an Object.prototype.then cannot adopt them) and the main promise gets its own
  // undefined constructor (a replaced Promise species cannot stand in for the derived promise).
  return (main, inputsJson, outputLimit, hostNames, hasResources) => {
    install(hostNames, hasResources);
    const running = main(parse(inputsJson));
    define(running, "constructor", { value: undefined });
    return apply(then, running, [(pair) => {
    const value = pair[0] !== undefined ? pair[0] : pair[1];
    if (value === undefined) return { __proto__: null, kind: "done", output: undefined };
    if (typeof value === "string" && value.length + 2 > outputLimit) return { __proto__: null, kind: "tooLarge", size: value.length + 2 };
    let json;
    try { json = stringify(value); } catch (error) { const d = describe(error); d.message = "The output could not be turned into JSON: " + d.message; return d; }
    if (json === undefined) return { __proto__: null, kind: "done", output: undefined };
    if (json.length > outputLimit) return { __proto__: null, kind: "tooLarge", size: json.length };
    return { __proto__: null, kind: "done", output: json };
  }, describe]);
  };
})`

/** Line 1 of the wrapper; user line N is file line N + 1. */
const wrapperHead = (inputNames: ReadonlyArray<string>): string =>
  `(async function (__weft_inputs) { let result; let { ${inputNames.join(", ")} } = __weft_inputs; ` +
  "const __weft_return = await (async function () {"
// Falling off the end returns `result`: the body's own `const result` if it declares one, else ours.
const WRAPPER_TAIL = "\n;return result;\n}).call(undefined); return [result, __weft_return]; })"

const failure = (
  kind: FailureKind,
  name: string,
  message: string,
  extra?: {
    readonly line?: number | undefined
    readonly callId?: number | undefined
    readonly size?: number
  }
): Failure => ({
  kind,
  name,
  message,
  line: extra?.line,
  callId: extra?.callId,
  size: extra?.size
})

const lineFromStack = (stack: string): number | undefined => {
  const match = /code\.js:(\d+)/.exec(stack)
  if (match === null || match[1] === undefined) return undefined
  const line = Number(match[1]) - 1
  return line >= 1 ? line : undefined
}

const lengthOf = (context: QuickJSContext, handle: QuickJSHandle): number => {
  const length = context.getProp(handle, "length")
  try {
    return context.getNumber(length)
  } finally {
    length.dispose()
  }
}

/** The step a run ends with when no QuickJS instance could be created for it. */
export const instantiationFailed = (error: unknown): Step => ({
  _tag: "failed",
  failure: {
    kind: "memory",
    name: "MemoryLimit",
    message: `Could not create a QuickJS instance: ${error instanceof Error ? error.message : String(error)}`,
    line: undefined,
    callId: undefined,
    size: undefined
  },
  logs: []
})

/** A QuickJS module with its own size-limited memory.*/
interface Instance {
  readonly module: QuickJSWASMModule
  readonly memory: WasmMemory
  readonly memoryBytes: number
  /** The memory's maximum size in bytes. */
  readonly maxBytes: number
}

/** A fresh runtime and context with the prelude evaluated; callbacks go to the session owning it. */
interface Prepared {
  readonly instance: Instance
  readonly runtime: QuickJSRuntime
  readonly context: QuickJSContext
  readonly run: QuickJSHandle
  owner: Session | undefined
}

/** A finished session's context, disposed off the critical path. */
interface Finished {
  readonly prepared: Prepared
  readonly handles: ReadonlyArray<Disposable>
}

/** A QuickJS handle or deferred promise to free. */
interface Disposable {
  readonly alive: boolean
  readonly dispose: () => void
}

const READY_PER_SIZE = 2 // fresh contexts kept prepared per memory size

/**
 * Owns the compiled module and the reusable QuickJS instances. Every run gets a fresh QuickJS
 * runtime and context (its own job queue and globals) on an instance (its own
 * `WebAssembly.Memory`) that no other live session uses. Contexts are prepared ahead and
 * finished ones disposed when the thread is idle; an instance that ran out of memory, timed out
 * or trapped is dropped whole.
 */
export class Engine {
  readonly wasmModule: WasmModule
  private readonly abort: Int32Array | undefined
  private readonly ready = new Map<number, Array<Prepared>>()
  private readonly spare = new Map<number, Array<Instance>>()
  private finished: Array<Finished> = []
  private housekeeping = false
  private cleared = false
  constructor(wasmModule: WasmModule, abort?: Int32Array) {
    this.wasmModule = wasmModule
    this.abort = abort
  }

  /** A session on a context prepared ahead (or on an idle instance), if one is at hand. */
  openReady(job: Job, sid: number): Session | undefined {
    const size = job.limits.memoryBytes
    const prepared = this.ready.get(size)?.pop()
    if (prepared !== undefined) {
      this.schedule()
      return new Session(this, prepared, job, sid)
    }
    const instance = this.spare.get(size)?.pop() ?? this.reclaim(size)
    return instance === undefined ? undefined : new Session(this, this.prepare(instance), job, sid)
  }

  /** Under sustained load the idle-time cleanup has not run yet: free a finished context now. */
  private reclaim(size: number): Instance | undefined {
    for (let i = this.finished.length - 1; i >= 0; i--) {
      const entry = this.finished[i]
      if (entry === undefined || entry.prepared.instance.memoryBytes !== size) continue
      this.finished.splice(i, 1)
      if (!this.dispose(entry.prepared, entry.handles)) continue
      return entry.prepared.instance
    }
    return undefined
  }

  /** Creates a session for one run on a prepared context (or a new instance). */
  async open(job: Job, sid = 0): Promise<Session> {
    const ready = this.openReady(job, sid)
    if (ready !== undefined) return ready
    const instance = await this.instantiate(job.limits.memoryBytes)
    this.schedule() // prepare the next one ahead for the next run of this size
    return new Session(this, this.prepare(instance), job, sid)
  }

  /** Instantiates and prepares contexts for these memory sizes ahead of the first run. */
  async warm(sizes: ReadonlyArray<number>): Promise<void> {
    for (const size of sizes) {
      const list = this.ready.get(size) ?? []
      this.ready.set(size, list)
      while (list.length < READY_PER_SIZE && !this.cleared) {
        try {
          list.push(this.prepare(await this.instantiate(size)))
        } catch {
          return
        }
      }
    }
  }

  /** Number of instances kept for reuse. */
  idleCount(): number {
    let count = 0
    for (const list of this.ready.values()) count += list.length
    for (const list of this.spare.values()) count += list.length
    return count
  }

  /** Forgets every idle instance (their memory is released by GC). */
  clear(): void {
    this.cleared = true
    this.ready.clear()
    this.spare.clear()
    this.finished = []
  }

  private async instantiate(memoryBytes: number): Promise<Instance> {
    const maximum = Math.min(BASE_PAGES + Math.ceil(memoryBytes / PAGE), 65_536)
    const memory = new Wasm.Memory({ initial: BASE_PAGES, maximum })
    const module = await newQuickJSWASMModuleFromVariant(
      newVariant(baseVariant, {
        wasmModule: this.wasmModule,
        wasmMemory: memory,
        // An abort (OOM, a failed assertion while freeing) is handled by dropping the instance;
        // Emscripten would otherwise print it to stderr.
        emscriptenModule: QUIET
      })
    )
    return { module, memory, memoryBytes, maxBytes: maximum * PAGE }
  }

  private prepare(instance: Instance): Prepared {
    const runtime = instance.module.newRuntime()
    const context = runtime.newContext()
    const rawCall = context.newFunction("call", (request) => {
      const owner = prepared.owner
      if (owner === undefined) throw new Error("no run is active")
      return owner.hostCall(request)
    })
    const rawLog = context.newFunction("log", (line) => {
      prepared.owner?.log(line)
    })
    const preludeFn = context.unwrapResult(context.evalCode(PRELUDE, "prelude.js"))
    const maxLine = context.newNumber(MAX_LOG_LINE)
    const run = context.unwrapResult(
      context.callFunction(preludeFn, context.undefined, rawCall, rawLog, maxLine)
    )
    for (const handle of [preludeFn, maxLine, rawCall, rawLog]) handle.dispose()
    const prepared: Prepared = { instance, runtime, context, run, owner: undefined }
    runtime.setInterruptHandler(() => prepared.owner?.shouldInterrupt() ?? false)
    return prepared
  }

  /** @internal whether the parent asked to stop the session with this id */
  abortRequested(sid: number): boolean {
    return this.abort !== undefined && sid !== 0 && Atomics.load(this.abort, 0) === sid
  }

  /** @internal a session ended cleanly: free its context when idle, then reuse the instance */
  release(prepared: Prepared, handles: ReadonlyArray<Disposable>): void {
    this.finished.push({ prepared, handles })
    this.schedule()
  }

  private schedule(): void {
    if (this.housekeeping || this.cleared) return
    this.housekeeping = true
    // Dispose finished contexts and prepare fresh ones when the thread is idle, not while a
    // caller waits.
    setImmediate(() => {
      this.housekeeping = false
      if (this.cleared) return
      const finished = this.finished
      this.finished = []
      for (const { prepared, handles } of finished) {
        if (this.dispose(prepared, handles)) this.keep(prepared.instance)
      }
      for (const [size, instances] of this.spare) {
        const ready = this.ready.get(size) ?? []
        this.ready.set(size, ready)
        for (
          let next = instances.pop();
          next !== undefined;
          next = ready.length < READY_PER_SIZE ? instances.pop() : undefined
        ) {
          try {
            ready.push(this.prepare(next))
          } catch {
            // an instance that cannot host a fresh context is dropped
          }
        }
      }
    }).unref()
  }

  /** Frees a finished context; whether its instance can be reused. */
  private dispose(prepared: Prepared, handles: ReadonlyArray<Disposable>): boolean {
    const { runtime, context, run, instance } = prepared
    try {
      for (const handle of handles) if (handle.alive) handle.dispose()
      run.dispose()
      context.dispose()
      runtime.dispose()
    } catch {
      return false // disposal asserts when something is left over: drop the whole instance instead
    }
    return instance.memory.buffer.byteLength <= BASE_PAGES * PAGE + REUSE_BELOW_BYTES
  }

  /** Keeps an idle instance for reuse, within the caps. */
  private keep(instance: Instance): void {
    if (this.idleCount() >= MAX_IDLE_MODULES) return
    const size = instance.memoryBytes
    const list = this.spare.get(size) ?? []
    if (list.length + (this.ready.get(size)?.length ?? 0) >= IDLE_MODULES_PER_SIZE) return
    list.push(instance)
    this.spare.set(size, list)
  }
}

interface Outstanding {
  readonly resolve: (value: QuickJSHandle) => void
  readonly deferred: Disposable
}

/** One run of guest code. Every method is synchronous and bounded by the run's time budget. */
export class Session {
  private readonly engine: Engine
  private readonly prepared: Prepared
  private readonly job: Job
  private readonly sid: number
  private promise: QuickJSHandle | undefined
  private readonly outstanding = new Map<number, Outstanding>()
  private newCalls: Array<HostCall> = []
  private readonly logs: Array<string> = []
  private droppedLogs = 0
  private nextCallId = 1
  private usedMs = 0
  private deadline = 0
  private interrupted = false
  private started = false
  private closed = false

  constructor(engine: Engine, prepared: Prepared, job: Job, sid: number) {
    this.engine = engine
    this.prepared = prepared
    this.job = job
    this.sid = sid
    prepared.owner = this
  }

  /** Compiles and starts the code; returns the first step. */
  start(): Step {
    return this.guard(() => {
      if (this.started || this.closed) throw new Error("session already started")
      this.started = true
      const { runtime, context, run } = this.prepared
      runtime.setMaxStackSize(this.job.limits.stackBytes)
      runtime.setMemoryLimit(this.job.limits.memoryBytes)
      const compiled = context.evalCode(
        `${wrapperHead(this.job.inputNames)}\n${this.job.source}${WRAPPER_TAIL}`,
        FILE
      )
      if (compiled.error !== undefined)
        return this.fail(this.describeThrown(compiled.error, "syntax"))
      const main = compiled.value
      const inputs = context.newString(this.job.inputsJson)
      const limit = context.newNumber(this.job.limits.outputBytes)
      const names = context.newArray()
      this.job.hostNames.forEach((name, index) => {
        const handle = context.newString(name)
        context.setProp(names, index, handle)
        handle.dispose()
      })
      const resources = this.job.resources ? context.true : context.false
      const begun = context.callFunction(
        run,
        context.undefined,
        main,
        inputs,
        limit,
        names,
        resources
      )
      for (const handle of [main, inputs, limit, names]) handle.dispose()
      if (begun.error !== undefined) return this.fail(this.describeThrown(begun.error, "runtime"))
      this.promise = begun.value
      return this.settle()
    })
  }

  /** Delivers host-call results and runs the guest until it waits again or ends. */
  resume(results: ReadonlyArray<HostResult>): Step {
    return this.guard(() => {
      if (!this.started || this.closed) throw new Error("session is not running")
      const context = this.prepared.context
      for (const result of results) {
        const entry = this.outstanding.get(result.id)
        if (entry === undefined) continue
        this.outstanding.delete(result.id)
        const envelope = result.ok
          ? JSON.stringify({ ok: true, value: result.valueJson })
          : JSON.stringify({ ok: false, id: result.id, name: result.name, message: result.message })
        const handle = context.newString(envelope)
        entry.resolve(handle)
        handle.dispose()
      }
      return this.settle()
    })
  }

  /** Frees the session; the instance is reused only when the run ended cleanly. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.prepared.owner = undefined
    if (this.interrupted) return // after a timeout, OOM or trap: drop the whole instance
    const handles: Array<Disposable> = []
    for (const entry of this.outstanding.values()) handles.push(entry.deferred)
    this.outstanding.clear()
    if (this.promise !== undefined) handles.push(this.promise)
    this.promise = undefined
    this.engine.release(this.prepared, handles)
  }

  /** @internal the interrupt handler's question: has this run used up its time? */
  shouldInterrupt(): boolean {
    if (performance.now() > this.deadline || this.engine.abortRequested(this.sid))
      this.interrupted = true
    return this.interrupted
  }

  /** @internal the guest called a host function: returns the promise it awaits */
  hostCall(request: QuickJSHandle): QuickJSHandle {
    const context = this.prepared.context
    if (this.outstanding.size >= MAX_PENDING_CALLS) {
      throw new RangeError(
        `more than ${MAX_PENDING_CALLS} host calls are pending; await some first`
      )
    }
    const call = this.acceptCall(context, request)
    const deferred = context.newPromise()
    this.outstanding.set(call.id, {
      resolve: (value) => deferred.resolve(value),
      deferred
    })
    this.newCalls.push(call)
    return deferred.handle
  }

  /** @internal a console line from the guest (a JSON string) */
  log(line: QuickJSHandle): void {
    const context = this.prepared.context
    if (this.logs.length >= this.job.limits.logLines) {
      this.droppedLogs++
      return
    }
    if (context.typeof(line) !== "string") return
    if (lengthOf(context, line) > MAX_LOG_LINE * 6 + 16) {
      this.logs.push("[line too long]")
      return
    }
    try {
      const parsed: unknown = JSON.parse(context.getString(line))
      this.logs.push(typeof parsed === "string" ? parsed : "[unreadable line]")
    } catch {
      this.logs.push("[unreadable line]")
    }
  }

  private acceptCall(context: QuickJSContext, request: QuickJSHandle): HostCall {
    if (context.typeof(request) !== "string") throw new TypeError("malformed host call")
    if (lengthOf(context, request) > MAX_ARGS_CHARS) {
      throw new RangeError(`host call arguments exceed ${MAX_ARGS_CHARS} characters of JSON`)
    }
    const parsed: unknown = JSON.parse(context.getString(request))
    if (!Array.isArray(parsed)) throw new TypeError("malformed host call")
    const [kind, name, method, args] = parsed as ReadonlyArray<unknown>
    return {
      id: this.nextCallId++,
      kind: kind === "acquire" || kind === "resource" ? kind : "function",
      name: typeof name === "string" ? name.slice(0, 1_000) : "",
      method: typeof method === "string" ? method.slice(0, 1_000) : "",
      argsJson: JSON.stringify(Array.isArray(args) ? args : [])
    }
  }

  private settle(): Step {
    const { runtime, context } = this.prepared
    const promise = this.promise
    if (promise === undefined) throw new Error("session not started")
    const jobs = runtime.executePendingJobs()
    if (jobs.error !== undefined) return this.fail(this.describeThrown(jobs.error, "runtime"))
    // An interrupt inside a promise job can leave the chain pending: it is still a timeout.
    if (this.interrupted) return this.fail(this.timeoutFailure())
    const state = context.getPromiseState(promise)
    if (state.type === "pending") {
      const calls = this.newCalls
      this.newCalls = []
      if (calls.length === 0 && this.outstanding.size === 0) {
        return this.fail(
          failure(
            "neverSettles",
            "NeverSettles",
            "The code awaits a promise that nothing can settle (no host call is in flight)"
          )
        )
      }
      return { _tag: "pending", calls }
    }
    if (state.type === "rejected") return this.fail(this.describeThrown(state.error, "runtime"))
    const envelope = state.value
    let outcome: { readonly output: string | undefined } | Failure
    try {
      outcome = this.readEnvelope(context, envelope)
    } finally {
      envelope.dispose()
    }
    return "kind" in outcome ? this.fail(outcome) : this.succeed(outcome.output)
  }

  private readEnvelope(
    context: QuickJSContext,
    envelope: QuickJSHandle
  ): { readonly output: string | undefined } | Failure {
    const str = (key: string, max: number): string | undefined => {
      const handle = context.getProp(envelope, key)
      try {
        if (context.typeof(handle) !== "string") return undefined
        const length = lengthOf(context, handle)
        return length > max ? undefined : context.getString(handle)
      } finally {
        handle.dispose()
      }
    }
    const num = (key: string): number | undefined => {
      const handle = context.getProp(envelope, key)
      try {
        return context.typeof(handle) === "number" ? context.getNumber(handle) : undefined
      } finally {
        handle.dispose()
      }
    }
    const kind = str("kind", 16)
    if (kind === "done") {
      const output = str("output", this.job.limits.outputBytes)
      if (output !== undefined && Buffer.byteLength(output) > this.job.limits.outputBytes) {
        return this.outputTooLarge(Buffer.byteLength(output))
      }
      return { output }
    }
    if (kind === "tooLarge")
      return this.outputTooLarge(num("size") ?? this.job.limits.outputBytes + 1)
    const name = str("name", 200) ?? "Error"
    const message = str("message", 4_100) ?? ""
    const stack = str("stack", 2_100) ?? ""
    return this.classify(name, message, stack, num("hostCall"))
  }

  private outputTooLarge(size: number): Failure {
    return failure(
      "output",
      "OutputTooLarge",
      `The output is at least ${size} bytes of JSON; the limit is ${this.job.limits.outputBytes} bytes`,
      { size }
    )
  }

  private classify(
    name: string,
    message: string,
    stack: string,
    callId: number | undefined
  ): Failure {
    const line = lineFromStack(stack)
    if (this.interrupted) return this.timeoutFailure()
    if (callId !== undefined) return failure("hostCall", name, message, { line, callId })
    if (name === "InternalError" && /stack overflow/.test(message)) {
      return failure("stack", name, "Maximum call stack size exceeded (stack overflow)", { line })
    }
    // Out of memory while building the error itself, QuickJS throws `null` (or an error it could
    // not finish): such a throw with the memory at its maximum is that, not a guest's `throw null`.
    const outOfMemory =
      (name === "InternalError" && /out of memory|string too long/.test(message)) ||
      ((name === "Error" || name === "InternalError") &&
        (message === "null" || message === "") &&
        this.memoryExhausted())
    if (outOfMemory) {
      this.interrupted = true // an instance that ran out of memory is never reused
      return failure("memory", name, this.memoryMessage(), { line })
    }
    if (name === "SandboxUnsupported") return failure("unsupported", name, message, { line })
    if (/^could not load module/.test(message)) {
      return failure("unsupported", name, `import() is not available in code nodes (${message})`, {
        line
      })
    }
    return failure("runtime", name, message, { line })
  }

  private describeThrown(handle: QuickJSHandle, kind: "syntax" | "runtime"): Failure {
    const context = this.prepared.context
    let name = "Error"
    let message = ""
    let stack = ""
    let lineNumber: number | undefined
    try {
      const dumped: unknown = context.dump(handle)
      if (typeof dumped === "object" && dumped !== null) {
        const record = dumped as Record<string, unknown>
        if (typeof record.name === "string") name = record.name.slice(0, 200)
        if (typeof record.message === "string") message = record.message.slice(0, 4_000)
        if (typeof record.stack === "string") stack = record.stack.slice(0, 2_000)
        if (typeof record.lineNumber === "number") lineNumber = record.lineNumber - 1
      } else {
        message = String(dumped).slice(0, 4_000)
      }
    } catch {
      message = "(the thrown value could not be read)"
    }
    handle.dispose()
    if (this.interrupted || (name === "InternalError" && message === "interrupted"))
      return this.timeoutFailure()
    if (kind === "syntax" && name === "SyntaxError") {
      return failure("syntax", name, message, { line: lineNumber ?? lineFromStack(stack) })
    }
    return this.classify(name, message, stack, undefined)
  }

  private timeoutFailure(): Failure {
    this.interrupted = true
    return failure(
      "timeout",
      "Timeout",
      `The code ran for more than ${this.job.limits.timeout} ms (time spent waiting on host calls is not counted)`
    )
  }

  private memoryExhausted(): boolean {
    const { memory, maxBytes } = this.prepared.instance
    return memory.buffer.byteLength >= maxBytes - MEMORY_SLACK_BYTES
  }

  private memoryMessage(): string {
    return `The code used more than the ${this.job.limits.memoryBytes} bytes of memory it may use`
  }

  private guard(body: () => Step): Step {
    const started = performance.now()
    this.deadline = started + Math.max(0, this.job.limits.timeout - this.usedMs)
    try {
      return body()
    } catch (error) {
      // The engine itself failed (a trap, V8's stack, an assertion): the instance is unusable.
      this.interrupted = true
      const message = error instanceof Error ? error.message : String(error)
      if (performance.now() > this.deadline) return this.fail(this.timeoutFailure())
      if (error instanceof RangeError && /call stack/i.test(message)) {
        return this.fail(
          failure("stack", "StackOverflow", "Maximum call stack size exceeded (stack overflow)")
        )
      }
      if (error instanceof RangeError && /host call arguments/.test(message)) {
        return this.fail(failure("runtime", "RangeError", message))
      }
      return this.fail(failure("memory", "MemoryLimit", `${this.memoryMessage()} (${message})`))
    } finally {
      this.usedMs += performance.now() - started
    }
  }

  private succeed(outputJson: string | undefined): Step {
    const logs = this.finalLogs()
    this.close()
    return { _tag: "done", outputJson, logs }
  }

  private fail(reason: Failure): Step {
    const logs = this.finalLogs()
    this.close()
    return { _tag: "failed", failure: reason, logs }
  }

  private finalLogs(): ReadonlyArray<string> {
    return this.droppedLogs > 0
      ? [...this.logs, `… ${this.droppedLogs} more log lines dropped`]
      : [...this.logs]
  }
}
