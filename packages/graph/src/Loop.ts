/**
 * Loops: a set of nodes (the body) that runs repeatedly until a convergence condition holds
 * or `maxIterations` is reached.
 *
 * Feedback rule: a connection between two nodes of the same loop that goes backwards in the
 * body order (or from a node to itself) is a *feedback* connection. In iteration i+1 it
 * delivers the value produced in iteration i; in iteration 1 the target input falls back to
 * params (or is absent). Every other connection is an ordinary DAG edge. Connections from
 * outside into a loop node deliver the same value in every iteration; successors outside the
 * loop see the last iteration's output.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { Connection } from "./Connection.js"
import type { NodeId } from "./Node.js"

/**
 * Stop when the number at `node`/`output` changed by at most `tolerance` since the previous
 * iteration.
 *
 * @example
 * ```ts
 * import { Loop } from "@weft/graph"
 * const until: Loop.Converged = Loop.converged("estimate", "value", 0.001)
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Converged {
  readonly kind: "converged"
  readonly node: NodeId
  readonly output: string
  readonly tolerance: number
}

/**
 * Stop when a JavaScript expression/body, run in the sandbox with `outputs`
 * (`{ [nodeId]: output }` of this iteration) and `iteration` (1-based) bound, is truthy.
 *
 * @example
 * ```ts
 * import { Loop } from "@weft/graph"
 * const until: Loop.Condition = Loop.condition("iteration >= 5 || outputs.check.ok")
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Condition {
  readonly kind: "condition"
  readonly source: string
}

/**
 * When a loop stops.
 *
 * @example
 * ```ts
 * import { Loop } from "@weft/graph"
 * const until: Loop.Convergence = Loop.condition("outputs.review.approved")
 * ```
 * @since 0.1.0
 * @category models
 */
export type Convergence = Converged | Condition

/**
 * A loop over `nodes` (the body, in body order).
 *
 * @example
 * ```ts
 * import { Loop } from "@weft/graph"
 * const loop: Loop.Loop = Loop.make("refine", ["draft", "review"], { maxIterations: 5, until: Loop.condition("outputs.review.ok") })
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Loop {
  readonly id: string
  readonly nodes: ReadonlyArray<NodeId>
  readonly maxIterations: number
  readonly until: Convergence
  /** `"fail"` = the run fails with a typed `LoopDidNotConverge`; `"succeed"` keeps the last iteration. */
  readonly onMaxIterations: "fail" | "succeed"
}

/**
 * Schema of a convergence condition.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Loop } from "@weft/graph"
 * Schema.decodeUnknownSync(Loop.ConvergenceSchema)({ kind: "condition", source: "iteration >= 3" })
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const ConvergenceSchema: Schema.Codec<Convergence> = Schema.Union([
  Schema.Struct({
    kind: Schema.Literal("converged"),
    node: Schema.String,
    output: Schema.String,
    tolerance: Schema.Number
  }),
  Schema.Struct({ kind: Schema.Literal("condition"), source: Schema.String })
])

/**
 * Schema of a loop.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Loop } from "@weft/graph"
 * Schema.decodeUnknownSync(Loop.LoopSchema)({
 *   id: "refine", nodes: ["guess"], maxIterations: 10, onMaxIterations: "fail",
 *   until: { kind: "converged", node: "guess", output: "value", tolerance: 0.01 }
 * })
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const LoopSchema: Schema.Codec<Loop> = Schema.Struct({
  id: Schema.String,
  nodes: Schema.Array(Schema.String),
  maxIterations: Schema.Number,
  until: ConvergenceSchema,
  onMaxIterations: Schema.Literals(["fail", "succeed"])
})

/**
 * Stop when the number at `node`/`output` moves by at most `tolerance` between iterations.
 *
 * @example
 * ```ts
 * import { Loop } from "@weft/graph"
 * Loop.converged("estimate", "value", 0.001)
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const converged = (node: NodeId, output: string, tolerance: number): Converged => ({
  kind: "converged",
  node,
  output,
  tolerance
})

/**
 * Stop when `source` (run in the sandbox with `outputs` and `iteration` bound) is truthy.
 *
 * @example
 * ```ts
 * import { Loop } from "@weft/graph"
 * Loop.condition("outputs.check.done === true")
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const condition = (source: string): Condition => ({ kind: "condition", source })

/**
 * Makes a loop value (not validated; `Workflow.validate` checks it in context).
 *
 * @example
 * ```ts
 * import { Loop } from "@weft/graph"
 * Loop.make("refine", ["draft", "review"], { maxIterations: 5, until: Loop.condition("outputs.review.ok") })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  id: string,
  nodes: ReadonlyArray<NodeId>,
  options: {
    readonly maxIterations: number
    readonly until: Convergence
    readonly onMaxIterations?: "fail" | "succeed"
  }
): Loop => ({
  id,
  nodes: [...nodes],
  maxIterations: options.maxIterations,
  until: options.until,
  onMaxIterations: options.onMaxIterations ?? "fail"
})

/**
 * Whether `connection` is a feedback connection of `loop`: both ends in the body and going
 * backwards in body order (or from a node to itself).
 *
 * @example
 * ```ts
 * import { Connection, Loop } from "@weft/graph"
 * const loop = Loop.make("l", ["a", "b"], { maxIterations: 3, until: Loop.condition("true") })
 * Loop.isFeedback(loop, Connection.make("b", "", "a", "previous")) // true
 * Loop.isFeedback(loop, Connection.make("a", "", "b", "x"))        // false
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isFeedback = (loop: Loop, connection: Connection): boolean => {
  const from = loop.nodes.indexOf(connection.from)
  if (from === -1) return false
  const to = loop.nodes.indexOf(connection.to)
  return to !== -1 && from >= to
}
