import { Cause, Duration, Effect, Exit, Queue, type Scope } from "effect"
import type { HostFunction, Json, Limits, RunRequest, RunResult } from "../Sandbox.js"
import {
  type SandboxError,
  SandboxHostCallFailed,
  SandboxInvalidInput,
  SandboxMemoryLimit,
  SandboxOutputTooLarge,
  SandboxRuntimeError,
  SandboxStackOverflow,
  SandboxSuspendedLimit,
  SandboxSyntaxError,
  SandboxTimeout,
  SandboxUnsupported
} from "../SandboxError.js"
import type { Failure, HostCall, HostResult, Job, Step } from "./engine.js"
import { type ParseProblem, parseProblem } from "./syntax.js"

/** One running session, stepped by the run loop. */
export interface SessionHandle {
  readonly start: Effect.Effect<Step>
  readonly resume: (results: ReadonlyArray<HostResult>) => Effect.Effect<Step>
}

/** How a run is queued and reported. */
export interface OpenOptions {
  readonly label: string
  /** Fair-queueing key (runs of one key are served round robin against other keys). */
  readonly key: string
  /** Runs in the caller's fiber when the run leaves the queue, just before its first step. */
  readonly onStart: Effect.Effect<void>
}

/** Where sessions run (this thread, a worker). Closing the scope frees the session at once. */
export interface Driver {
  readonly open: (
    job: Job,
    options: OpenOptions
  ) => Effect.Effect<SessionHandle, never, Scope.Scope>
  /** Suspended sessions a worker (or this thread) may hold. */
  readonly maxSuspended: number
  /** A snapshot of the driver's occupancy (see `Sandbox.Stats`). */
  readonly stats: () => DriverStats
}

/** Occupancy of a driver at one moment. */
export interface DriverStats {
  readonly workers: number
  readonly busy: number
  readonly suspended: number
  readonly queued: number
}

/** Default bound of sessions suspended in host calls per worker (each keeps its own instance). */
export const defaultMaxSuspendedPerWorker = 64

/** The in-thread driver's default: one thread serves every caller (test harnesses run 100+). */
export const defaultMaxSuspendedInThread = 256

export const defaultLimits: Limits = {
  timeout: 5_000,
  memoryBytes: 64 * 1024 * 1024,
  outputBytes: 8 * 1024 * 1024,
  stackBytes: 256 * 1024,
  logLines: 1_000
}

const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "yield let static implements interface package private protected public await arguments eval undefined NaN " +
    "Infinity result"
  ).split(" ")
)

/** Whether `name` can be bound as a variable in the guest. */
export const isValidInputName = (name: string): boolean =>
  /^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED.has(name) && !name.startsWith("__weft_")

const jsonProblem = (
  value: unknown,
  path: string,
  seen: Set<object>,
  depth: number
): string | undefined => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined
  if (typeof value === "number")
    return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot hold`
  if (typeof value !== "object") return `${path} is a ${typeof value}, which is not JSON`
  if (depth > 512) return `${path} is nested more than 512 levels deep`
  if (seen.has(value)) return `${path} refers back to itself (a cycle)`
  const proto: unknown = Object.getPrototypeOf(value)
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    return `${path} is a ${value.constructor?.name ?? "class instance"}, not a plain object`
  }
  seen.add(value)
  try {
    for (const [key, item] of Object.entries(value)) {
      const problem = jsonProblem(
        item,
        Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`,
        seen,
        depth + 1
      )
      if (problem !== undefined) return problem
    }
  } finally {
    seen.delete(value)
  }
  return undefined
}

const limitsOf = (request: RunRequest, label: string | undefined): Limits | SandboxInvalidInput => {
  const limits =
    request.limits === undefined ? defaultLimits : { ...defaultLimits, ...request.limits }
  if (limits === defaultLimits) return limits
  for (const [key, value] of Object.entries(limits)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      return new SandboxInvalidInput({
        ...(label === undefined ? {} : { label }),
        input: `limits.${key}`,
        message: `limits.${key} must be a positive number of ${key === "timeout" ? "milliseconds" : key === "logLines" ? "lines" : "bytes"}, got ${String(value)}`
      })
    }
  }
  return limits
}

const SLEEP: HostFunction = (ms) =>
  typeof ms === "number" && Number.isFinite(ms) && ms >= 0
    ? Effect.as(Effect.sleep(Duration.millis(ms)), undefined)
    : Effect.fail(
        new RangeError(
          `sleep(ms) needs a non-negative number of milliseconds, got ${JSON.stringify(ms)}`
        )
      )

const DEFAULT_HOST: Readonly<Record<string, HostFunction>> = { sleep: SLEEP }
const DEFAULT_HOST_NAMES: ReadonlyArray<string> = ["sleep"]

/** A request turned into an engine job, with its host functions. */
export interface Prepared {
  readonly job: Job
  readonly host: Readonly<Record<string, HostFunction>>
}

const TAKEN = new Set(["console", "require"])
const TAKEN_WITH_RESOURCES = new Set(["console", "require", "getResource"])

/** Validates a request and turns it into an engine job (synchronous: on every run's path). */
export const prepareSync = (request: RunRequest): Prepared | SandboxError => {
  const label = request.label
  const withLabel = label === undefined ? {} : { label }
  const inputs = request.inputs ?? {}
  const inputNames = Object.keys(inputs)
  for (const name of inputNames) {
    if (!isValidInputName(name)) {
      return new SandboxInvalidInput({
        ...withLabel,
        input: name,
        message: `Input ${JSON.stringify(name)} cannot be a variable name: use letters, digits, _ or $, not starting with a digit, and not a reserved word (or "result")`
      })
    }
    const problem = jsonProblem(inputs[name], name, new Set(), 0)
    if (problem !== undefined) {
      return new SandboxInvalidInput({ ...withLabel, input: name, message: `Input ${problem}` })
    }
  }
  const host: Record<string, HostFunction> =
    request.host === undefined ? DEFAULT_HOST : { sleep: SLEEP, ...request.host }
  if (host !== DEFAULT_HOST) {
    const taken = request.resources === undefined ? TAKEN : TAKEN_WITH_RESOURCES
    for (const name of Object.keys(host)) {
      if (taken.has(name)) {
        return new SandboxInvalidInput({
          ...withLabel,
          input: `host.${name}`,
          message: `Host function ${JSON.stringify(name)} would replace the guest's own ${name}; give it another name`
        })
      }
      if (!/^[A-Za-z_$][\w$]*$/.test(name) || RESERVED.has(name)) {
        return new SandboxInvalidInput({
          ...withLabel,
          input: `host.${name}`,
          message: `Host function ${JSON.stringify(name)} needs a plain identifier as its name`
        })
      }
    }
  }
  const limits = limitsOf(request, label)
  if (limits instanceof SandboxInvalidInput) return limits
  const problem = cachedParseProblem(request.source)
  if (problem !== undefined) {
    const line = problem.line === undefined ? {} : { line: problem.line }
    const column = problem.column === undefined ? {} : { column: problem.column }
    return problem.kind === "unsupported"
      ? new SandboxUnsupported({
          ...withLabel,
          ...line,
          feature: problem.feature,
          message: problem.message
        })
      : new SandboxSyntaxError({ ...withLabel, ...line, ...column, message: problem.message })
  }
  return {
    job: {
      source: request.source,
      inputsJson: JSON.stringify(inputs),
      inputNames,
      hostNames: host === DEFAULT_HOST ? DEFAULT_HOST_NAMES : Object.keys(host),
      resources: request.resources !== undefined,
      limits
    },
    host
  }
}

/** Validates a request and turns it into an engine job. */
export const prepare = (request: RunRequest): Effect.Effect<Prepared, SandboxError> =>
  Effect.suspend(() => {
    const prepared = prepareSync(request)
    return "job" in prepared ? Effect.succeed(prepared) : Effect.fail(prepared)
  })

// Workflows run the same code nodes again and again: remember recent parse checks by source.
const PARSE_CACHE_SIZE = 512
const parseCache = new Map<string, ParseProblem | undefined>()
const cachedParseProblem = (source: string): ParseProblem | undefined => {
  if (parseCache.has(source)) return parseCache.get(source)
  const problem = parseProblem(source)
  if (parseCache.size >= PARSE_CACHE_SIZE) {
    const oldest = parseCache.keys().next()
    if (oldest.done !== true) parseCache.delete(oldest.value)
  }
  parseCache.set(source, problem)
  return problem
}

interface HostFailure {
  readonly function: string
  readonly error: unknown
}

const errorName = (error: unknown): string => {
  if (typeof error === "object" && error !== null) {
    if ("_tag" in error && typeof error._tag === "string") return error._tag
    if ("name" in error && typeof error.name === "string") return error.name
  }
  return "Error"
}

const errorMessage = (error: unknown): string => {
  if (
    typeof error === "object" &&
    error !== null &&
    "message" in error &&
    typeof error.message === "string"
  ) {
    return error.message
  }
  if (typeof error === "string") return error
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

const callHost = (
  call: HostCall,
  request: RunRequest,
  host: Readonly<Record<string, HostFunction>>,
  failures: Map<number, HostFailure>
): Effect.Effect<HostResult> => {
  const fail = (fn: string, error: unknown): HostResult => {
    failures.set(call.id, { function: fn, error })
    return { id: call.id, ok: false, name: errorName(error), message: errorMessage(error) }
  }
  let args: ReadonlyArray<Json>
  try {
    const parsed: unknown = JSON.parse(call.argsJson)
    args = Array.isArray(parsed) ? (parsed as ReadonlyArray<Json>) : []
  } catch {
    args = []
  }
  let fn: string
  let effect: Effect.Effect<Json | undefined, unknown>
  const resources = request.resources
  if (call.kind === "function") {
    fn = call.name
    const implementation = Object.hasOwn(host, call.name) ? host[call.name] : undefined
    if (implementation === undefined) {
      return Effect.succeed(fail(fn, new ReferenceError(`${fn} is not a host function`)))
    }
    effect = Effect.suspend(() => implementation(...args))
  } else if (resources === undefined) {
    return Effect.succeed(fail("getResource", new ReferenceError("no resources are available")))
  } else if (call.kind === "acquire") {
    fn = "getResource"
    effect = Effect.as(
      Effect.suspend(() => resources.acquire(call.name)),
      undefined
    )
  } else {
    fn = `${call.name}.${call.method}`
    effect = Effect.suspend(() => resources.call(call.name, call.method, args))
  }
  return Effect.map(Effect.exit(effect), (exit): HostResult => {
    if (Exit.isFailure(exit)) {
      const error = Cause.squash(exit.cause)
      return fail(fn, error)
    }
    if (exit.value === undefined) return { id: call.id, ok: true, valueJson: undefined }
    try {
      return { id: call.id, ok: true, valueJson: JSON.stringify(exit.value) }
    } catch (error) {
      return fail(
        fn,
        new TypeError(`${fn} returned a value that is not JSON (${errorMessage(error)})`)
      )
    }
  })
}

const toError = (
  failure: Failure,
  limits: Limits,
  label: string | undefined,
  failures: ReadonlyMap<number, HostFailure>,
  logs: ReadonlyArray<string>,
  maxSuspended: number
): SandboxError => {
  const withLabel = {
    ...(label === undefined ? {} : { label }),
    ...(logs.length === 0 ? {} : { logs })
  }
  const line = failure.line === undefined ? {} : { line: failure.line }
  switch (failure.kind) {
    case "syntax":
      return new SandboxSyntaxError({ ...withLabel, ...line, message: failure.message })
    case "timeout":
      return new SandboxTimeout({ ...withLabel, timeout: limits.timeout, message: failure.message })
    case "memory":
      return new SandboxMemoryLimit({
        ...withLabel,
        ...line,
        memoryBytes: limits.memoryBytes,
        message: failure.message
      })
    case "stack":
      return new SandboxStackOverflow({ ...withLabel, ...line, message: failure.message })
    case "output":
      return new SandboxOutputTooLarge({
        ...withLabel,
        outputBytes: limits.outputBytes,
        size: failure.size ?? limits.outputBytes + 1,
        message: failure.message
      })
    case "unsupported":
      return new SandboxUnsupported({
        ...withLabel,
        ...line,
        feature: /import/.test(failure.message) ? "import" : "require",
        message: failure.message
      })
    case "hostCall": {
      const original = failure.callId === undefined ? undefined : failures.get(failure.callId)
      if (original !== undefined) {
        return new SandboxHostCallFailed({
          ...withLabel,
          ...line,
          function: original.function,
          message: `${original.function}() failed: ${failure.message}`,
          cause: original.error
        })
      }
      return new SandboxRuntimeError({
        ...withLabel,
        ...line,
        name: failure.name,
        message: failure.message
      })
    }
    case "suspendedLimit":
      return new SandboxSuspendedLimit({
        ...withLabel,
        maxSuspendedPerWorker: maxSuspended,
        message: failure.message
      })
    case "neverSettles":
    case "runtime":
      return new SandboxRuntimeError({
        ...withLabel,
        ...line,
        name: failure.name,
        message: failure.message
      })
  }
}

/** Runs a request on a driver: validation, the step loop, host calls in the caller's fiber. */
export const runWith = (
  driver: Driver,
  request: RunRequest
): Effect.Effect<RunResult, SandboxError> =>
  Effect.suspend(() => {
    const called = performance.now()
    const prepared = prepareSync(request)
    if (!("job" in prepared)) return Effect.fail(prepared)
    const { job, host } = prepared
    return Effect.scoped(
      Effect.gen(function* () {
        const label = request.label ?? "run"
        const failures = new Map<number, HostFailure>()
        let results: Queue.Queue<HostResult> | undefined
        const onStart = request.onStart
        const session = yield* driver.open(job, {
          label,
          key: request.fairnessKey ?? "",
          onStart:
            onStart === undefined
              ? Effect.void
              : Effect.suspend(() => onStart({ queuedMillis: performance.now() - called }))
        })
        let step = yield* session.start
        let inFlight = 0
        while (step._tag === "pending") {
          const [only] = step.calls
          if (only !== undefined && step.calls.length === 1 && inFlight === 0) {
            // The common case (one awaited call at a time) runs in this fiber: no fork, no queue.
            step = yield* session.resume([yield* callHost(only, request, host, failures)])
            continue
          }
          results ??= yield* Queue.unbounded<HostResult>()
          const queue = results
          for (const call of step.calls) {
            inFlight++
            yield* Effect.forkScoped(
              Effect.flatMap(callHost(call, request, host, failures), (result) =>
                Queue.offer(queue, result)
              )
            )
          }
          const settled = yield* Queue.takeAll(queue)
          inFlight -= settled.length
          step = yield* session.resume(settled)
        }
        if (step._tag === "failed")
          return yield* Effect.fail(
            toError(
              step.failure,
              job.limits,
              request.label,
              failures,
              step.logs,
              driver.maxSuspended
            )
          )
        const outputJson = step.outputJson
        if (outputJson === undefined) return { output: undefined, logs: step.logs }
        try {
          return { output: JSON.parse(outputJson) as Json, logs: step.logs }
        } catch {
          // Only a guest that subverted the engine's own output path gets here: never a host defect.
          return yield* new SandboxRuntimeError({
            ...(request.label === undefined ? {} : { label: request.label }),
            ...(step.logs.length === 0 ? {} : { logs: step.logs }),
            name: "OutputError",
            message: "The code produced an output that is not JSON"
          })
        }
      })
    )
  })
