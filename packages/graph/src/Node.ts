/**
 * Nodes: the units of work of a workflow. A code node carries JavaScript source run in the
 * sandbox; a task node names a host function registered with the runtime; a delay node waits
 * a duration (or until a timestamp taken from an input); an event node waits for a named event
 * sent to the execution. All share {@link NodeOptions}; the `kind` field tells them apart.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { Json } from "./internal/json.js"

/**
 * A node id: letters, digits, `_` and `-`, starting with a letter or `_`.
 *
 * @example
 * ```ts
 * import type { Node } from "@weft/graph"
 * const id: Node.NodeId = "fetch-user"
 * ```
 * @since 0.1.0
 * @category models
 */
export type NodeId = string

/**
 * A retry policy as plain JSON data (a `@weft/retry` `Policy`); the graph stores it and
 * does not interpret it.
 *
 * @example
 * ```ts
 * import type { Node } from "@weft/graph"
 * const retry: Node.RetrySpec = { maxAttempts: 3, backoff: { kind: "fixed", delay: 100 }, jitter: "none" }
 * ```
 * @since 0.1.0
 * @category models
 */
export type RetrySpec = { readonly [key: string]: Json }

/**
 * A per-key concurrency limit: at most `limit` executions of the node run at once for each
 * distinct key. `key` is a template whose `{path}` placeholders are dot paths into the node's
 * inputs (`"customer:{customerId}"`, `"{order.region}"`); see `ConcurrencyKey` for the syntax
 * and for rendering a key. The graph checks the template and the limit; the runtime enforces it.
 *
 * @example
 * ```ts
 * import type { Node } from "@weft/graph"
 * const perCustomer: Node.Concurrency = { key: "customer:{customerId}", limit: 1 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Concurrency {
  /** A template: literal text and `{path}` placeholders (dot paths into the node's inputs). */
  readonly key: string
  /** Most executions at once per distinct key: a whole number ≥ 1. */
  readonly limit: number
}

/**
 * Options shared by every node kind. Durations are milliseconds. Delay and event nodes take
 * only `description` (and an event node its `timeout`); validation reports the others on them.
 *
 * @example
 * ```ts
 * import type { Node } from "@weft/graph"
 * const options: Node.NodeOptions = {
 *   timeout: 5_000,
 *   resources: ["db"],
 *   concurrency: { key: "customer:{customerId}", limit: 1 }
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface NodeOptions {
  readonly description?: string
  /** Milliseconds; overrides `settings.nodeTimeout`. On an event node: how long to wait for the event. */
  readonly timeout?: number
  readonly retry?: RetrySpec
  /** Resources acquired eagerly before the node runs. */
  readonly resources?: ReadonlyArray<string>
  /** At most `limit` executions at once per distinct rendered `key` (code and task nodes). */
  readonly concurrency?: Concurrency
}

/**
 * A node that runs JavaScript source in the sandbox. Its inputs are bound as variables.
 *
 * @example
 * ```ts
 * import type { Node } from "@weft/graph"
 * const node: Node.CodeNode = { kind: "code", id: "double", source: "return x * 2" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface CodeNode extends NodeOptions {
  readonly kind: "code"
  readonly id: NodeId
  readonly source: string
}

/**
 * A node that calls a host function registered with the runtime under `function`.
 *
 * @example
 * ```ts
 * import type { Node } from "@weft/graph"
 * const node: Node.TaskNode = { kind: "task", id: "send", function: "sendEmail" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface TaskNode extends NodeOptions {
  readonly kind: "task"
  readonly id: NodeId
  readonly function: string
}

/**
 * A node that waits, then passes its inputs object on unchanged as its output: either a
 * fixed `duration` (ms, `0` allowed), or `until` — the name of an input holding an epoch-ms
 * timestamp (a time in the past fires at once). Exactly one of the two is set. Time comes from
 * the runtime's clock, so tests drive it with `TestClock`.
 *
 * A delay with a `duration` cannot fail, so validation rejects failure connections from it; a
 * delay with `until` fails when that input is missing or not a finite number.
 *
 * @example
 * ```ts
 * import type { Node } from "@weft/graph"
 * const cooldown: Node.DelayNode = { kind: "delay", id: "cooldown", duration: 60_000 }
 * const untilDue: Node.DelayNode = { kind: "delay", id: "wait", until: "dueAt" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface DelayNode extends NodeOptions {
  readonly kind: "delay"
  readonly id: NodeId
  /** Milliseconds to wait (≥ 0). */
  readonly duration?: number
  /** Name of the input holding the epoch-ms timestamp to wait for. */
  readonly until?: string
}

/**
 * A node that waits for the next event named `event` sent to the execution; its output is the
 * event's JSON payload. With `timeout` (ms) the runtime fails it with `EventTimedOut` when no
 * event arrives in time, so a failure connection can route the escalation.
 *
 * @example
 * ```ts
 * import type { Node } from "@weft/graph"
 * const approval: Node.EventNode = { kind: "event", id: "approval", event: "approved", timeout: 86_400_000 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface EventNode extends NodeOptions {
  readonly kind: "event"
  readonly id: NodeId
  /** The event name the node waits for. */
  readonly event: string
}

/**
 * Any node, discriminated by `kind`.
 *
 * @example
 * ```ts
 * import type { Node } from "@weft/graph"
 * const describe = (node: Node.Node): string => {
 *   switch (node.kind) {
 *     case "code": return node.source
 *     case "task": return node.function
 *     case "delay": return node.until ?? `${node.duration} ms`
 *     case "event": return node.event
 *   }
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export type Node = CodeNode | TaskNode | DelayNode | EventNode

/**
 * Schema of a node's concurrency option (the template syntax is checked by validation).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Node } from "@weft/graph"
 * Schema.decodeUnknownSync(Node.ConcurrencySchema)({ key: "customer:{customerId}", limit: 2 })
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const ConcurrencySchema: Schema.Codec<Concurrency> = Schema.Struct({
  key: Schema.String,
  limit: Schema.Number
})

const optionFields = {
  description: Schema.optionalKey(Schema.String),
  timeout: Schema.optionalKey(Schema.Number),
  retry: Schema.optionalKey(Schema.JsonObject),
  resources: Schema.optionalKey(Schema.Array(Schema.String)),
  concurrency: Schema.optionalKey(ConcurrencySchema)
}

/**
 * Schema of a code node (its JSON form is the same plain object).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Node } from "@weft/graph"
 * Schema.decodeUnknownSync(Node.CodeNodeSchema)({ kind: "code", id: "a", source: "return 1" })
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const CodeNodeSchema: Schema.Codec<CodeNode> = Schema.Struct({
  kind: Schema.Literal("code"),
  id: Schema.String,
  source: Schema.String,
  ...optionFields
})

/**
 * Schema of a task node.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Node } from "@weft/graph"
 * Schema.decodeUnknownSync(Node.TaskNodeSchema)({ kind: "task", id: "send", function: "sendEmail" })
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const TaskNodeSchema: Schema.Codec<TaskNode> = Schema.Struct({
  kind: Schema.Literal("task"),
  id: Schema.String,
  function: Schema.String,
  ...optionFields
})

/**
 * Schema of a delay node. "Exactly one of `duration` / `until`" is checked by validation,
 * which reports it with the node's path.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Node } from "@weft/graph"
 * Schema.decodeUnknownSync(Node.DelayNodeSchema)({ kind: "delay", id: "wait", duration: 1000 })
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const DelayNodeSchema: Schema.Codec<DelayNode> = Schema.Struct({
  kind: Schema.Literal("delay"),
  id: Schema.String,
  duration: Schema.optionalKey(Schema.Number),
  until: Schema.optionalKey(Schema.String),
  ...optionFields
})

/**
 * Schema of an event node.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Node } from "@weft/graph"
 * Schema.decodeUnknownSync(Node.EventNodeSchema)({ kind: "event", id: "paid", event: "payment.received" })
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const EventNodeSchema: Schema.Codec<EventNode> = Schema.Struct({
  kind: Schema.Literal("event"),
  id: Schema.String,
  event: Schema.String,
  ...optionFields
})

/**
 * Schema of any node, discriminated by `kind`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Node } from "@weft/graph"
 * Schema.is(Node.NodeSchema)({ kind: "task", id: "a", function: "a" }) // true
 * Schema.is(Node.NodeSchema)({ kind: "event", id: "e", event: "go" }) // true
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const NodeSchema: Schema.Codec<Node> = Schema.Union([
  CodeNodeSchema,
  TaskNodeSchema,
  DelayNodeSchema,
  EventNodeSchema
])

const withOptions = <A extends object>(base: A, options: NodeOptions | undefined): A => {
  if (options === undefined) return base
  const out = { ...base } as Record<string, unknown>
  if (options.description !== undefined) out.description = options.description
  if (options.timeout !== undefined) out.timeout = options.timeout
  if (options.retry !== undefined) out.retry = options.retry
  if (options.resources !== undefined) out.resources = options.resources
  if (options.concurrency !== undefined) out.concurrency = options.concurrency
  return out as A
}

/**
 * Makes a code node value (not validated; `Workflow.validate` checks it in context).
 *
 * @example
 * ```ts
 * import { Node } from "@weft/graph"
 * const node = Node.code("price", "return items.length", { timeout: 1_000 })
 * node.kind // "code"
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const code = (id: NodeId, source: string, options?: NodeOptions): CodeNode =>
  withOptions<CodeNode>({ kind: "code", id, source }, options)

/**
 * Makes a task node value; the function name defaults to the id.
 *
 * @example
 * ```ts
 * import { Node } from "@weft/graph"
 * Node.task("send", "sendEmail").function // "sendEmail"
 * Node.task("send").function              // "send"
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const task = (id: NodeId, functionName: string = id, options?: NodeOptions): TaskNode =>
  withOptions<TaskNode>({ kind: "task", id, function: functionName }, options)

/**
 * Makes a delay node value: wait `duration` milliseconds, or `{ until: inputName }` — until
 * the epoch-ms timestamp held by that input. Its output is its inputs object, unchanged.
 *
 * @example
 * ```ts
 * import { Node } from "@weft/graph"
 * Node.delay("cooldown", 30_000)          // { kind: "delay", id: "cooldown", duration: 30000 }
 * Node.delay("wait", { until: "dueAt" })  // { kind: "delay", id: "wait", until: "dueAt" }
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const delay = (
  id: NodeId,
  wait: number | { readonly until: string },
  options?: { readonly description?: string }
): DelayNode =>
  withOptions<DelayNode>(
    typeof wait === "number"
      ? { kind: "delay", id, duration: wait }
      : { kind: "delay", id, until: wait.until },
    options
  )

/**
 * Makes an event node value waiting for the event named `event`; `timeout` (ms) makes the
 * runtime fail it with `EventTimedOut` when none arrives in time.
 *
 * @example
 * ```ts
 * import { Node } from "@weft/graph"
 * Node.event("approval", "approved", { timeout: 3_600_000 })
 * // { kind: "event", id: "approval", event: "approved", timeout: 3600000 }
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const event = (
  id: NodeId,
  eventName: string,
  options?: { readonly timeout?: number; readonly description?: string }
): EventNode => withOptions<EventNode>({ kind: "event", id, event: eventName }, options)

/**
 * Whether a node is a code node.
 *
 * @example
 * ```ts
 * import { Node } from "@weft/graph"
 * Node.isCode(Node.code("a", "return 1")) // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isCode = (node: Node): node is CodeNode => node.kind === "code"

/**
 * Whether a node is a task node.
 *
 * @example
 * ```ts
 * import { Node } from "@weft/graph"
 * Node.isTask(Node.task("a")) // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isTask = (node: Node): node is TaskNode => node.kind === "task"

/**
 * Whether a node is a delay node.
 *
 * @example
 * ```ts
 * import { Node } from "@weft/graph"
 * Node.isDelay(Node.delay("wait", 1_000)) // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isDelay = (node: Node): node is DelayNode => node.kind === "delay"

/**
 * Whether a node is an event node.
 *
 * @example
 * ```ts
 * import { Node } from "@weft/graph"
 * Node.isEvent(Node.event("paid", "payment.received")) // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isEvent = (node: Node): node is EventNode => node.kind === "event"

/**
 * Whether a node can fail, i.e. may be the source of a failure connection. Everything can,
 * except a delay with a fixed `duration` (it only waits).
 *
 * @example
 * ```ts
 * import { Node } from "@weft/graph"
 * Node.canFail(Node.task("charge"))                 // true
 * Node.canFail(Node.delay("wait", 1_000))           // false
 * Node.canFail(Node.delay("due", { until: "at" }))  // true: its input may be missing or not a number
 * ```
 * @since 0.1.0
 * @category guards
 */
export const canFail = (node: Node): boolean => node.kind !== "delay" || node.until !== undefined
