/**
 * The workflow model: plain, immutable, JSON-friendly data described with effect `Schema`,
 * an immutable fluent builder, validation that reports every problem at once, the JSON form,
 * and (re-exported from `Analysis`) questions about the graph.
 *
 * @since 0.1.0
 */
import { Effect, Result, Schema } from "effect"
import type { Duration } from "effect"
import * as Analysis from "./Analysis.js"
import { type Connection, ConnectionSchema } from "./Connection.js"
import { BuilderImpl } from "./internal/builder.js"
import { checkIssues } from "./internal/check.js"
import { schemaIssues } from "./internal/decode.js"
import { fastDecode } from "./internal/fastDecode.js"
import {
  type Issue as IssueData,
  type IssueCode as IssueCodeData,
  IssueSchema,
  sortIssues
} from "./internal/issue.js"
import type { Json as JsonData } from "./internal/json.js"
import { type Loop, LoopSchema } from "./Loop.js"
import type { Convergence } from "./Loop.js"
import { type Node, NodeSchema } from "./Node.js"

/**
 * The result of `criticalPath`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const path: Workflow.CriticalPath = Workflow.criticalPath(Workflow.make("w").task("a").build())
 * ```
 * @since 0.1.0
 * @category models
 */
export type CriticalPath = Analysis.CriticalPath

/**
 * JSON data: `null | boolean | number | string | Json[] | { [key: string]: Json }` (readonly).
 *
 * @example
 * ```ts
 * import type { Workflow } from "@weft/graph"
 * const value: Workflow.Json = { rows: [1, "two", null, { ok: true }] }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Json = JsonData

/**
 * How a workflow runs. Durations are milliseconds.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.make("w").task("a").sequential().timeout("1 minute").build().settings
 * // { mode: "sequential", concurrency: "unbounded", timeout: 60000, failureMode: "fail-fast" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  /** Default `"parallel"`. */
  readonly mode: "parallel" | "sequential"
  /** Most nodes running at once; default `"unbounded"`. */
  readonly concurrency: number | "unbounded"
  /** Whole-workflow timeout (ms). */
  readonly timeout?: number
  /** Default timeout per node (ms); a node's own `timeout` wins. */
  readonly nodeTimeout?: number
  /** How long nothing may progress before the run fails as deadlocked (ms); the runtime defaults to {@link defaultDeadlockTimeout}. */
  readonly deadlockTimeout?: number
  /** `"fail-fast"` interrupts running siblings on a failure; `"continue"` runs independent branches on. Default `"fail-fast"`. */
  readonly failureMode: "fail-fast" | "continue"
}

/**
 * A workflow: nodes, the connections between them, loops and settings. Plain immutable data;
 * `toJSON`/`fromJSON` convert it losslessly.
 *
 * `version` is the format version: the builder and `fromJSON` produce `2`. A hand-written
 * value may still say `1`, as long as it uses no version-2 feature (delay and event nodes,
 * failure connections, the `concurrency` node option); validation reports any it finds.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf: Workflow.Workflow = Workflow.make("w").task("a").build()
 * wf.version // 2
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Workflow {
  readonly version: 1 | 2
  readonly id: string
  readonly name?: string
  readonly description?: string
  readonly metadata?: { readonly [key: string]: Json }
  /** In declaration order. */
  readonly nodes: ReadonlyArray<Node>
  readonly connections: ReadonlyArray<Connection>
  readonly loops: ReadonlyArray<Loop>
  readonly settings: Settings
}

/**
 * Workflow-wide parameters, bound as inputs of every node.
 *
 * @example
 * ```ts
 * import type { Workflow } from "@weft/graph"
 * const params: Workflow.Params = { currency: "EUR" }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Params = { readonly [key: string]: Json }

/**
 * Parameters scoped per node: `{ [nodeId]: { ... } }`.
 *
 * @example
 * ```ts
 * import type { Workflow } from "@weft/graph"
 * const params: Workflow.NodeParams = { price: { items: [{ price: 2.5 }] } }
 * ```
 * @since 0.1.0
 * @category models
 */
export type NodeParams = { readonly [nodeId: string]: Params }

/**
 * The deadlock timeout the runtime applies when `settings.deadlockTimeout` is absent (ms).
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").build()
 * wf.settings.deadlockTimeout ?? Workflow.defaultDeadlockTimeout // 30000
 * ```
 * @since 0.1.0
 * @category constants
 */
export const defaultDeadlockTimeout = 30_000

/**
 * Schema of the settings. In the JSON form every field may be omitted and takes its default.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Workflow } from "@weft/graph"
 * Schema.decodeUnknownSync(Workflow.SettingsSchema)({}) // { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast" }
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const SettingsSchema = Schema.Struct({
  mode: Schema.Literals(["parallel", "sequential"]).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed("parallel" as const))
  ),
  concurrency: Schema.Union([Schema.Number, Schema.Literal("unbounded")]).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed("unbounded" as const))
  ),
  timeout: Schema.optionalKey(Schema.Number),
  nodeTimeout: Schema.optionalKey(Schema.Number),
  deadlockTimeout: Schema.optionalKey(Schema.Number),
  failureMode: Schema.Literals(["fail-fast", "continue"]).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed("fail-fast" as const))
  )
})

/**
 * Schema of a workflow. Its encoded side is the JSON form: `version` is `1` or `2` (kept as
 * given; `fromJSON` reports version-2 features in a version-1 document and returns version
 * 2); `connections`, `loops` and `settings` may be omitted (empty / defaults).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Workflow } from "@weft/graph"
 * const wf = Schema.decodeUnknownSync(Workflow.WorkflowSchema)({
 *   version: 2, id: "w", nodes: [{ kind: "task", id: "a", function: "a" }]
 * })
 * wf.settings.mode // "parallel"
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const WorkflowSchema = Schema.Struct({
  version: Schema.Literals([1, 2]),
  id: Schema.String,
  name: Schema.optionalKey(Schema.String),
  description: Schema.optionalKey(Schema.String),
  metadata: Schema.optionalKey(Schema.JsonObject),
  nodes: Schema.Array(NodeSchema),
  connections: Schema.Array(ConnectionSchema).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed([]))
  ),
  loops: Schema.Array(LoopSchema).pipe(Schema.withDecodingDefaultKey(Effect.succeed([]))),
  settings: SettingsSchema.pipe(Schema.withDecodingDefaultKey(Effect.succeed({})))
})

/**
 * The JSON form of a workflow as accepted by `fromJSON` (optional parts may be omitted).
 *
 * @example
 * ```ts
 * import type { Workflow } from "@weft/graph"
 * const json: Workflow.WorkflowJson = { version: 2, id: "w", nodes: [] }
 * ```
 * @since 0.1.0
 * @category models
 */
export type WorkflowJson = typeof WorkflowSchema.Encoded

/**
 * What an issue is about; stable strings a tool can switch on.
 *
 * @example
 * ```ts
 * import type { Workflow } from "@weft/graph"
 * const isReference = (code: Workflow.IssueCode) => code === "UnknownNode"
 * ```
 * @since 0.1.0
 * @category errors
 */
export type IssueCode = IssueCodeData

/**
 * One problem: its `code`, where it is (`path`, e.g. `nodes[2].id`, `connections[0].from`)
 * and a `message` a person can act on.
 *
 * @example
 * ```ts
 * import type { Workflow } from "@weft/graph"
 * const format = (issue: Workflow.Issue) => `${issue.path}: ${issue.message}`
 * ```
 * @since 0.1.0
 * @category errors
 */
export type Issue = IssueData

/**
 * The workflow is invalid; `issues` lists every problem at once, each with its location.
 * Its `message` lists them too, one per line.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * try {
 *   Workflow.make("w").task("a").connect("a", "", "missing", "x").build()
 * } catch (error) {
 *   if (Workflow.isWorkflowInvalid(error)) error.issues[0]?.path // "connections[0].to"
 * }
 * ```
 * @since 0.1.0
 * @category errors
 */
export class WorkflowInvalid extends Schema.TaggedError<WorkflowInvalid>()("WorkflowInvalid", {
  workflowId: Schema.String,
  issues: Schema.Array(IssueSchema)
}) {
  override get message(): string {
    const count = this.issues.length
    const head = `Workflow '${this.workflowId}' is invalid (${count} problem${count === 1 ? "" : "s"}):`
    const lines = this.issues
      .slice(0, MAX_LISTED)
      .map(
        (issue) =>
          `  - ${issue.path === "" ? "(root)" : issue.path}: ${issue.message} [${issue.code}]`
      )
    if (count > MAX_LISTED) lines.push(`  … and ${count - MAX_LISTED} more (see .issues)`)
    return [head, ...lines].join("\n")
  }
}

const MAX_LISTED = 50

const nameOf = (workflow: unknown): string => {
  const id = (workflow as { readonly id?: unknown } | null)?.id
  return typeof id === "string" ? id : "(unnamed)"
}

const finish = (
  workflow: Workflow,
  found: ReadonlyArray<Issue>
): Result.Result<Workflow, WorkflowInvalid> =>
  found.length === 0
    ? Result.succeed(workflow)
    : Result.fail(new WorkflowInvalid({ workflowId: nameOf(workflow), issues: [...found] }))

const check = (input: Workflow, options: ValidateOptions | undefined) =>
  finish(input, checkIssues(input, options))

/**
 * Whether `u` is a `WorkflowInvalid` error (by `_tag`, so it works across package copies).
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.isWorkflowInvalid(new Error("x")) // false
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isWorkflowInvalid = (u: unknown): u is WorkflowInvalid =>
  typeof u === "object" &&
  u !== null &&
  (u as { readonly _tag?: unknown })._tag === "WorkflowInvalid"

/**
 * Options of validation.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const options: Workflow.ValidateOptions = { checkSyntax: (source) => (source.includes("{{") ? "unexpected {" : undefined) }
 * Workflow.make("w").code("a", "return 1").build(options)
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ValidateOptions {
  /**
   * A cheap parse check for code node sources and loop conditions: returns an error message,
   * or `undefined` when the source parses (e.g. a thin wrapper around `@weft/sandbox`'s
   * synchronous syntax check). Validation does not parse JavaScript by itself: without a
   * checker, a code node whose source does not parse builds fine, and the runtime reports it
   * before a run starts. A checker that throws is reported as a `SyntaxError` issue, never
   * rethrown.
   */
  readonly checkSyntax?: (source: string) => string | undefined
}

/**
 * Node options as the builder takes them: durations as `Duration.Input`
 * (`"5 seconds"`, `500`, `Duration.seconds(5)`), stored as milliseconds.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const options: Workflow.NodeOptionsInput = { timeout: "5 seconds", resources: ["db"] }
 * Workflow.make("w").task("save", options).build()
 * ```
 * @since 0.1.0
 * @category models
 */
export interface NodeOptionsInput {
  readonly description?: string
  readonly timeout?: Duration.Input
  /** A retry policy as plain JSON data, e.g. a `@weft/retry` `Policy`. */
  readonly retry?: object
  readonly resources?: ReadonlyArray<string>
  /** At most `limit` executions at once per distinct `key` (a template over the node's inputs). */
  readonly concurrency?: { readonly key: string; readonly limit: number }
}

/**
 * What a delay node waits for, as the builder takes it: a duration (`Duration.Input`, stored
 * as milliseconds; `0` passes straight through) or `{ until: inputName }`, the input holding
 * an epoch-ms timestamp.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const fixed: Workflow.DelayInput = "15 minutes"
 * const untilDue: Workflow.DelayInput = { until: "dueAt" }
 * ```
 * @since 0.1.0
 * @category models
 */
export type DelayInput = Duration.Input | { readonly until: string }

/**
 * Options of `Builder.delay`: a delay only waits, so it takes no timeout, retry, resources
 * or concurrency.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const options: Workflow.DelayOptionsInput = { description: "let the card network settle" }
 * Workflow.make("w").delay("settle", "2 seconds", options).build()
 * ```
 * @since 0.1.0
 * @category models
 */
export interface DelayOptionsInput {
  readonly description?: string
}

/**
 * Options of `Builder.event`: how long to wait for the event (the node then fails with
 * `EventTimedOut`, which a failure connection can route) and a description.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const options: Workflow.EventOptionsInput = { timeout: "1 day", description: "manager sign-off" }
 * Workflow.make("w").event("approval", "approved", options).build()
 * ```
 * @since 0.1.0
 * @category models
 */
export interface EventOptionsInput {
  readonly timeout?: Duration.Input
  readonly description?: string
}

/**
 * Options of `Builder.loop`.
 *
 * @example
 * ```ts
 * import { Loop, Workflow } from "@weft/graph"
 * const options: Workflow.LoopOptions = { maxIterations: 10, until: Loop.condition("outputs.check.ok") }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface LoopOptions {
  readonly maxIterations: number
  readonly until: Convergence
  /** Default `"fail"`. */
  readonly onMaxIterations?: "fail" | "succeed"
}

/**
 * An immutable fluent builder: every call returns a new builder, so a partial builder can be
 * reused as a template. Each call is O(1); `build` validates everything once.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const template: Workflow.Builder = Workflow.make("etl").task("extract")
 * const wf = template.task("load").connect("extract", "rows", "load", "rows").build()
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Builder {
  /** The workflow id. */
  readonly id: string
  /** Adds a code node running `source` (a function body; inputs are bound as variables). */
  code(id: string, source: string, options?: NodeOptionsInput): Builder
  /** Adds a task node calling the host function registered under `id`. */
  task(id: string, options?: NodeOptionsInput): Builder
  /** Adds a task node calling the host function registered under `functionName`. */
  task(id: string, functionName: string, options?: NodeOptionsInput): Builder
  /** Adds a delay node: waits a duration, or `{ until: inputName }`; its output is its inputs object. */
  delay(id: string, wait: DelayInput, options?: DelayOptionsInput): Builder
  /** Adds an event node waiting for the next event named `eventName`; its output is the payload. */
  event(id: string, eventName: string, options?: EventOptionsInput): Builder
  /** Feeds the value at `outputPath` of `from` (`""` = whole output) to input `inputName` of `to`. */
  connect(from: string, outputPath: string, to: string, inputName: string): Builder
  /** When `from` has failed after its last attempt, feeds the value at `errorPath` of its error as JSON (`""` = the whole error) to input `inputName` of `to`. */
  onFailure(from: string, errorPath: string, to: string, inputName: string): Builder
  /** Declares a loop over `nodes` (body order matters: backward connections are feedback). */
  loop(id: string, nodes: ReadonlyArray<string>, options: LoopOptions): Builder
  /** Runs independent nodes concurrently (the default). */
  parallel(): Builder
  /** Runs one node at a time, in topological order. */
  sequential(): Builder
  /** Caps how many nodes run at once. */
  concurrency(limit: number | "unbounded"): Builder
  /** Timeout of the whole workflow. */
  timeout(duration: Duration.Input): Builder
  /** Default timeout of each node. */
  nodeTimeout(duration: Duration.Input): Builder
  /** How long nothing may progress before the run is a deadlock. */
  deadlockTimeout(duration: Duration.Input): Builder
  /** On a failure, interrupt running siblings and fail (the default). */
  failFast(): Builder
  /** On a failure, skip its descendants but keep running independent branches. */
  continueOnFailure(): Builder
  /** Validates and returns the workflow; throws `WorkflowInvalid` listing every problem. */
  build(options?: ValidateOptions): Workflow
  /** Validates and returns the workflow, or fails with `WorkflowInvalid` listing every problem. */
  buildEffect(options?: ValidateOptions): Effect.Effect<Workflow, WorkflowInvalid>
}

/**
 * Starts a workflow builder.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const checkout = Workflow.make("checkout", { description: "Price and charge a cart" })
 *   .code("price", "return { cents: Math.round(items.reduce((s, i) => s + i.price, 0) * 100) }")
 *   .task("charge", "chargeCard", { timeout: "5 seconds", resources: ["payments"] })
 *   .connect("price", "cents", "charge", "cents")
 *   .timeout("10 seconds")
 *   .build()
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  id: string,
  options?: {
    readonly name?: string
    readonly description?: string
    readonly metadata?: { readonly [key: string]: Json }
  }
): Builder => BuilderImpl.make(finish, id, options)

/**
 * Validates a workflow value and returns it unchanged, or fails with `WorkflowInvalid`
 * listing every problem (ids, references, paths, input names, durations, limits, cycles
 * outside loops, misused delay/event nodes and failure connections, concurrency keys, and
 * syntax only through an injected `checkSyntax`, …). O(nodes + connections).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").build()
 * Effect.runSync(Workflow.validate(wf)) === wf // true
 * ```
 * @since 0.1.0
 * @category validation
 */
export const validate = (
  input: Workflow,
  options?: ValidateOptions
): Effect.Effect<Workflow, WorkflowInvalid> =>
  Effect.suspend(() => Effect.fromResult(check(input, options)))

/**
 * Every problem of a workflow value, without failing (`[]` when it is valid).
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").build()
 * Workflow.issues({ ...wf, settings: { ...wf.settings, timeout: -1 } })[0]?.code // "InvalidDuration"
 * ```
 * @since 0.1.0
 * @category validation
 */
export const issues = (input: Workflow, options?: ValidateOptions): ReadonlyArray<Issue> => {
  const result = check(input, options)
  return Result.isFailure(result) ? result.failure.issues : []
}

const decode = Schema.decodeUnknownResult(WorkflowSchema)

const fromJSONResult = (
  json: unknown,
  options: ValidateOptions | undefined
): Result.Result<Workflow, WorkflowInvalid> => {
  let input = json
  if (typeof json === "string") {
    try {
      input = JSON.parse(json)
    } catch (error) {
      return Result.fail(
        new WorkflowInvalid({
          workflowId: "(unnamed)",
          issues: [
            {
              code: "InvalidJson",
              path: "",
              message: `the text is not JSON (${(error as Error).message}); pass a JSON string or a parsed object`
            }
          ]
        })
      )
    }
  }
  const fast = fastDecode(input)
  if (fast !== undefined) return upgrade(check(fast, options))
  const decoded = decode(input, { errors: "all", onExcessProperty: "error" })
  if (Result.isFailure(decoded)) {
    return finish(input as Workflow, sortIssues(schemaIssues(decoded.failure.issue, input)))
  }
  return upgrade(check(decoded.success, options))
}

/** A valid version-1 document has no version-2 feature, so it reads as version 2 unchanged. */
const upgrade = (
  result: Result.Result<Workflow, WorkflowInvalid>
): Result.Result<Workflow, WorkflowInvalid> =>
  Result.isSuccess(result) && result.success.version === 1
    ? Result.succeed({ ...result.success, version: 2 })
    : result

/**
 * Reads a workflow from its JSON form (a parsed value or a JSON string) and validates it.
 * Fails with `WorkflowInvalid` listing every issue with its JSON path: unknown fields, missing
 * or mistyped fields, an unsupported `version`, then everything `validate` checks.
 *
 * Versions 1 and 2 are read; the result is always version 2. A version-1 document using a
 * version-2 feature (delay or event nodes, failure connections, `concurrency`) is rejected
 * with an `UnsupportedVersion` issue at that feature, rather than read as something older
 * readers would misunderstand.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workflow } from "@weft/graph"
 * const wf = Effect.runSync(Workflow.fromJSON({
 *   version: 2, id: "w",
 *   nodes: [{ kind: "task", id: "a", function: "a" }, { kind: "code", id: "b", source: "return x" }],
 *   connections: [{ from: "a", output: "", to: "b", input: "x" }]
 * }))
 * ```
 * @since 0.1.0
 * @category json
 */
export const fromJSON = (
  json: unknown,
  options?: ValidateOptions
): Effect.Effect<Workflow, WorkflowInvalid> =>
  Effect.suspend(() => Effect.fromResult(fromJSONResult(json, options)))

/**
 * `fromJSON` for code that does not use Effect: returns the workflow or throws `WorkflowInvalid`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.fromJSONSync('{"version":2,"id":"w","nodes":[]}')
 * ```
 * @since 0.1.0
 * @category json
 */
export const fromJSONSync = (json: unknown, options?: ValidateOptions): Workflow => {
  const result = fromJSONResult(json, options)
  if (Result.isFailure(result)) throw result.failure
  return result.success
}

const clone = <A>(value: A): A => structuredClone(value)

const nodeJson = (node: Node): { [key: string]: Json } => {
  let out: { [key: string]: Json }
  switch (node.kind) {
    case "code":
      out = { kind: "code", id: node.id, source: node.source }
      break
    case "task":
      out = { kind: "task", id: node.id, function: node.function }
      break
    case "delay":
      out = { kind: "delay", id: node.id }
      if (node.duration !== undefined) out.duration = node.duration
      if (node.until !== undefined) out.until = node.until
      break
    case "event":
      out = { kind: "event", id: node.id, event: node.event }
      break
  }
  if (node.description !== undefined) out.description = node.description
  if (node.timeout !== undefined) out.timeout = node.timeout
  if (node.retry !== undefined) out.retry = clone(node.retry)
  if (node.resources !== undefined) out.resources = [...node.resources]
  if (node.concurrency !== undefined) {
    out.concurrency = { key: node.concurrency.key, limit: node.concurrency.limit }
  }
  return out
}

const connectionJson = (c: Connection): { [key: string]: Json } => {
  const out: { [key: string]: Json } = { from: c.from, output: c.output, to: c.to, input: c.input }
  if (c.on !== undefined) out.on = c.on
  return out
}

/**
 * The JSON form of a workflow: fresh plain objects with a stable key order, `version: 2`,
 * durations in milliseconds. `fromJSON(toJSON(w))` gives back an equal workflow.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("w").task("a").timeout("1 minute").build()
 * JSON.stringify(Workflow.toJSON(wf))
 * // {"version":2,"id":"w","nodes":[{"kind":"task","id":"a","function":"a"}],"connections":[],"loops":[],
 * //  "settings":{"mode":"parallel","concurrency":"unbounded","timeout":60000,"failureMode":"fail-fast"}}
 * ```
 * @since 0.1.0
 * @category json
 */
export const toJSON = (workflow: Workflow): Json => {
  const out: { [key: string]: Json } = { version: 2, id: workflow.id }
  if (workflow.name !== undefined) out.name = workflow.name
  if (workflow.description !== undefined) out.description = workflow.description
  if (workflow.metadata !== undefined) out.metadata = clone(workflow.metadata)
  out.nodes = workflow.nodes.map(nodeJson)
  out.connections = workflow.connections.map(connectionJson)
  out.loops = workflow.loops.map((loop) => ({
    id: loop.id,
    nodes: [...loop.nodes],
    maxIterations: loop.maxIterations,
    until:
      loop.until.kind === "converged"
        ? {
            kind: "converged",
            node: loop.until.node,
            output: loop.until.output,
            tolerance: loop.until.tolerance
          }
        : { kind: "condition", source: loop.until.source },
    onMaxIterations: loop.onMaxIterations
  }))
  const s = workflow.settings
  const settings: { [key: string]: Json } = { mode: s.mode, concurrency: s.concurrency }
  if (s.timeout !== undefined) settings.timeout = s.timeout
  if (s.nodeTimeout !== undefined) settings.nodeTimeout = s.nodeTimeout
  if (s.deadlockTimeout !== undefined) settings.deadlockTimeout = s.deadlockTimeout
  settings.failureMode = s.failureMode
  out.settings = settings
  return out
}

// Analysis, also reachable from `Workflow` (the contract names them here).

/**
 * Node ids, dependencies first (feedback connections ignored). Same as `Analysis.topologicalOrder`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.topologicalOrder(Workflow.make("w").task("a").build()) // ["a"]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const topologicalOrder: typeof Analysis.topologicalOrder = Analysis.topologicalOrder

/**
 * Nodes grouped by dependency depth; each level can run in parallel. Same as `Analysis.levels`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.levels(Workflow.make("w").task("a").task("b").build()) // [["a", "b"]]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const levels: typeof Analysis.levels = Analysis.levels

/**
 * The nodes `id` directly depends on. Same as `Analysis.predecessors`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.predecessors(Workflow.make("w").task("a").build(), "a") // []
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const predecessors: typeof Analysis.predecessors = Analysis.predecessors

/**
 * The nodes that directly depend on `id`. Same as `Analysis.successors`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.successors(Workflow.make("w").task("a").build(), "a") // []
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const successors: typeof Analysis.successors = Analysis.successors

/**
 * Every node that depends on `id`, directly or not (what to skip when it fails). Same as `Analysis.descendants`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.descendants(Workflow.make("w").task("a").build(), "a") // []
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const descendants: typeof Analysis.descendants = Analysis.descendants

/**
 * Every node `id` depends on, directly or not. Same as `Analysis.ancestors`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.ancestors(Workflow.make("w").task("a").build(), "a") // []
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const ancestors: typeof Analysis.ancestors = Analysis.ancestors

/**
 * Nodes without incoming (non-feedback) connections. Same as `Analysis.roots`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.roots(Workflow.make("w").task("a").build()) // ["a"]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const roots: typeof Analysis.roots = Analysis.roots

/**
 * Nodes without outgoing (non-feedback) connections. Same as `Analysis.leaves`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.leaves(Workflow.make("w").task("a").build()) // ["a"]
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const leaves: typeof Analysis.leaves = Analysis.leaves

/**
 * The chain with the largest sum of declared timeouts. Same as `Analysis.criticalPath`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.criticalPath(Workflow.make("w").task("a", { timeout: 500 }).build()).duration // 500
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const criticalPath: typeof Analysis.criticalPath = Analysis.criticalPath

/**
 * A cycle of ordinary connections as `[a, b, …, a]`, or `undefined`. Same as `Analysis.findCycle`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.findCycle(Workflow.make("w").task("a").build()) // undefined
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const findCycle: typeof Analysis.findCycle = Analysis.findCycle

/**
 * The node with this id, or `undefined`. Same as `Analysis.getNode`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.getNode(Workflow.make("w").task("a").build(), "a")?.kind // "task"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const getNode: typeof Analysis.getNode = Analysis.getNode

/**
 * The loop whose body contains node `id`, or `undefined`. Same as `Analysis.loopOf`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.loopOf(Workflow.make("w").task("a").build(), "a") // undefined
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const loopOf: typeof Analysis.loopOf = Analysis.loopOf

/**
 * Whether the connection at this index is a loop feedback connection. Same as `Analysis.isFeedback`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.isFeedback(Workflow.make("w").task("a").build(), 0) // false
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const isFeedback: typeof Analysis.isFeedback = Analysis.isFeedback

/**
 * `[index, connection]` pairs of the connections into node `id`. Same as `Analysis.incoming`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.incoming(Workflow.make("w").task("a").build(), "a") // []
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const incoming: typeof Analysis.incoming = Analysis.incoming

/**
 * `[index, connection]` pairs of the connections out of node `id`. Same as `Analysis.outgoing`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.outgoing(Workflow.make("w").task("a").build(), "a") // []
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const outgoing: typeof Analysis.outgoing = Analysis.outgoing

/**
 * A Mermaid flowchart of the workflow. Same as `Analysis.toMermaid`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * Workflow.toMermaid(Workflow.make("w").task("a").build()) // "flowchart TD\n  n0[[\"a\"]]"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const toMermaid: typeof Analysis.toMermaid = Analysis.toMermaid
