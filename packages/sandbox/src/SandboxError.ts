/**
 * The typed errors a sandbox run can fail with. Every error is a `Schema.TaggedError`, so it
 * survives a JSON round trip with its `_tag`, and carries the run's `label` (e.g. a node id),
 * a message a person can act on, where one exists the 1-based `line` in the user's code, and
 * the console `logs` the code wrote before failing (when there were any).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const label = Schema.optionalKey(Schema.String)
const line = Schema.optionalKey(Schema.Number)
/** Console lines the code wrote before it failed (only when there were any). */
const logs = Schema.optionalKey(Schema.Array(Schema.String))

/**
 * The code does not parse (or tries to close the function body it is wrapped in).
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * const error = new SandboxError.SandboxSyntaxError({ message: "Unexpected token ';'", line: 3 })
 * error._tag // "SandboxSyntaxError"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class SandboxSyntaxError extends Schema.TaggedError<SandboxSyntaxError>()(
  "SandboxSyntaxError",
  {
    label,
    message: Schema.String,
    line,
    /** 1-based column in the user's own source, when the parser reports one. */
    column: Schema.optionalKey(Schema.Number),
    logs
  }
) {}

/**
 * The code threw (and did not catch) an error; `name` and `message` are the guest error's.
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * const error = new SandboxError.SandboxRuntimeError({ name: "TypeError", message: "x is not a function", line: 2 })
 * error.name // "TypeError"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class SandboxRuntimeError extends Schema.TaggedError<SandboxRuntimeError>()(
  "SandboxRuntimeError",
  {
    label,
    name: Schema.String,
    message: Schema.String,
    line,
    logs
  }
) {}

/**
 * The code ran longer than `limits.timeout` (time spent waiting on host calls is not counted).
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * new SandboxError.SandboxTimeout({ timeout: 500, message: "The code ran for more than 500 ms" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class SandboxTimeout extends Schema.TaggedError<SandboxTimeout>()("SandboxTimeout", {
  label,
  timeout: Schema.Number,
  message: Schema.String,
  logs
}) {}

/**
 * The code tried to use more than `limits.memoryBytes` of memory.
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * new SandboxError.SandboxMemoryLimit({ memoryBytes: 1 << 26, message: "The code used more than 64 MiB" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class SandboxMemoryLimit extends Schema.TaggedError<SandboxMemoryLimit>()(
  "SandboxMemoryLimit",
  {
    label,
    memoryBytes: Schema.Number,
    message: Schema.String,
    line,
    logs
  }
) {}

/**
 * The code recursed deeper than `limits.stackBytes` allows.
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * new SandboxError.SandboxStackOverflow({ message: "Maximum call stack size exceeded", line: 1 })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class SandboxStackOverflow extends Schema.TaggedError<SandboxStackOverflow>()(
  "SandboxStackOverflow",
  {
    label,
    message: Schema.String,
    line,
    logs
  }
) {}

/**
 * The output's JSON is larger than `limits.outputBytes`; `size` is its size in bytes (at least).
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * new SandboxError.SandboxOutputTooLarge({ outputBytes: 1024, size: 4096, message: "The output is 4096 bytes" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class SandboxOutputTooLarge extends Schema.TaggedError<SandboxOutputTooLarge>()(
  "SandboxOutputTooLarge",
  {
    label,
    outputBytes: Schema.Number,
    size: Schema.Number,
    message: Schema.String,
    logs
  }
) {}

/**
 * A host function (or a resource method) failed and the code did not catch the error.
 * `cause` is the host's original error value, so callers can read its `_tag`, `retryAfter`, ….
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * const error = new SandboxError.SandboxHostCallFailed({ function: "charge", message: "card declined", cause: { _tag: "Declined" } })
 * error.function // "charge"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class SandboxHostCallFailed extends Schema.TaggedError<SandboxHostCallFailed>()(
  "SandboxHostCallFailed",
  {
    label,
    function: Schema.String,
    message: Schema.String,
    cause: Schema.Unknown,
    line,
    logs
  }
) {}

/**
 * The code used something code nodes do not offer (`import`, `require`, …).
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * new SandboxError.SandboxUnsupported({ feature: "require", message: "require() is not available in code nodes" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class SandboxUnsupported extends Schema.TaggedError<SandboxUnsupported>()(
  "SandboxUnsupported",
  {
    label,
    feature: Schema.String,
    message: Schema.String,
    line,
    logs
  }
) {}

/**
 * An input cannot be bound: its name is not a usable identifier, or its value is not JSON.
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * new SandboxError.SandboxInvalidInput({ input: "a-b", message: "\"a-b\" is not a valid JavaScript identifier" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class SandboxInvalidInput extends Schema.TaggedError<SandboxInvalidInput>()(
  "SandboxInvalidInput",
  {
    label,
    input: Schema.String,
    message: Schema.String
  }
) {}

/**
 * The run suspended in a host call while its worker already held `maxSuspendedPerWorker`
 * suspended sessions (each keeps its own QuickJS instance and memory alive). Not retryable as
 * is (`retryable: false`): raise the bound, add workers, or wait at the graph level (delay and
 * event nodes) instead of inside the guest.
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * const error = new SandboxError.SandboxSuspendedLimit({ maxSuspendedPerWorker: 64, message: "too many suspended runs" })
 * error.retryable // false
 * ```
 * @since 0.2.0
 * @category errors
 */
export class SandboxSuspendedLimit extends Schema.TaggedError<SandboxSuspendedLimit>()(
  "SandboxSuspendedLimit",
  {
    label,
    maxSuspendedPerWorker: Schema.Number,
    message: Schema.String,
    logs
  }
) {
  /** Never retried by the runtime: the same run would hit the same bound. */
  readonly retryable = false
}

/**
 * Every error a sandbox run can fail with.
 *
 * @example
 * ```ts
 * import type { SandboxError } from "@weft/sandbox"
 * const describe = (error: SandboxError.SandboxError): string => `${error._tag}: ${error.message}`
 * ```
 * @since 0.1.0
 * @category models
 */
export type SandboxError =
  | SandboxSyntaxError
  | SandboxRuntimeError
  | SandboxTimeout
  | SandboxMemoryLimit
  | SandboxStackOverflow
  | SandboxOutputTooLarge
  | SandboxHostCallFailed
  | SandboxUnsupported
  | SandboxInvalidInput
  | SandboxSuspendedLimit

/**
 * Every `_tag` of {@link SandboxError}.
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * SandboxError.tags.includes("SandboxTimeout") // true
 * ```
 * @since 0.1.0
 * @category models
 */
export const tags: ReadonlyArray<SandboxError["_tag"]> = [
  "SandboxSyntaxError",
  "SandboxRuntimeError",
  "SandboxTimeout",
  "SandboxMemoryLimit",
  "SandboxStackOverflow",
  "SandboxOutputTooLarge",
  "SandboxHostCallFailed",
  "SandboxUnsupported",
  "SandboxInvalidInput",
  "SandboxSuspendedLimit"
]

/**
 * Whether a value is a sandbox error (checks `_tag`, so it works across copies and after JSON).
 *
 * @example
 * ```ts
 * import { SandboxError } from "@weft/sandbox"
 * SandboxError.isSandboxError({ _tag: "SandboxTimeout", timeout: 1, message: "" }) // true
 * SandboxError.isSandboxError(new Error("x")) // false
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isSandboxError = (value: unknown): value is SandboxError =>
  typeof value === "object" &&
  value !== null &&
  "_tag" in value &&
  typeof value._tag === "string" &&
  (tags as ReadonlyArray<string>).includes(value._tag)
