/**
 * Nodes: the units of work of a workflow. A code node carries JavaScript source run in the
 * sandbox; a task node names a host function registered with the runtime. Both share
 * {@link NodeOptions}; the `kind` field tells them apart and leaves room for more kinds.
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
 * Options shared by every node kind. Durations are milliseconds.
 *
 * @example
 * ```ts
 * import type { Node } from "@weft/graph"
 * const options: Node.NodeOptions = { timeout: 5_000, resources: ["db"] }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface NodeOptions {
  readonly description?: string
  /** Milliseconds; overrides `settings.nodeTimeout`. */
  readonly timeout?: number
  readonly retry?: RetrySpec
  /** Resources acquired eagerly before the node runs. */
  readonly resources?: ReadonlyArray<string>
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
 * Any node, discriminated by `kind`.
 *
 * @example
 * ```ts
 * import type { Node } from "@weft/graph"
 * const describe = (node: Node.Node) => (node.kind === "code" ? node.source : node.function)
 * ```
 * @since 0.1.0
 * @category models
 */
export type Node = CodeNode | TaskNode

const optionFields = {
  description: Schema.optionalKey(Schema.String),
  timeout: Schema.optionalKey(Schema.Number),
  retry: Schema.optionalKey(Schema.JsonObject),
  resources: Schema.optionalKey(Schema.Array(Schema.String))
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
 * Schema of any node, discriminated by `kind`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Node } from "@weft/graph"
 * Schema.is(Node.NodeSchema)({ kind: "task", id: "a", function: "a" }) // true
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const NodeSchema: Schema.Codec<Node> = Schema.Union([CodeNodeSchema, TaskNodeSchema])

const withOptions = <A extends object>(base: A, options: NodeOptions | undefined): A => {
  if (options === undefined) return base
  const out = { ...base } as Record<string, unknown>
  if (options.description !== undefined) out.description = options.description
  if (options.timeout !== undefined) out.timeout = options.timeout
  if (options.retry !== undefined) out.retry = options.retry
  if (options.resources !== undefined) out.resources = options.resources
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
