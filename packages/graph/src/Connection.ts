/**
 * Connections route a value from one node's output to an input of another node.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { NodeId } from "./Node.js"

/**
 * A connection: the value at `output` (a dot path into the source's output; `""` = the
 * whole output) of node `from` becomes the input variable `input` of node `to`.
 *
 * @example
 * ```ts
 * import type { Connection } from "@weft/graph"
 * const c: Connection.Connection = { from: "price", output: "result.cents", to: "charge", input: "cents" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Connection {
  readonly from: NodeId
  /** Dot path into the source output; `""` = the whole output (`"rows.0.id"`). */
  readonly output: string
  readonly to: NodeId
  /** Input variable name on the target: a JavaScript identifier. */
  readonly input: string
}

/**
 * Schema of a connection.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Connection } from "@weft/graph"
 * Schema.decodeUnknownSync(Connection.ConnectionSchema)({ from: "a", output: "", to: "b", input: "x" })
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const ConnectionSchema: Schema.Codec<Connection> = Schema.Struct({
  from: Schema.String,
  output: Schema.String,
  to: Schema.String,
  input: Schema.String
})

/**
 * Makes a connection value.
 *
 * @example
 * ```ts
 * import { Connection } from "@weft/graph"
 * Connection.make("price", "result.cents", "charge", "cents")
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (from: NodeId, output: string, to: NodeId, input: string): Connection => ({
  from,
  output,
  to,
  input
})

/**
 * A short human-readable form: `price.result.cents → charge.cents`.
 *
 * @example
 * ```ts
 * import { Connection } from "@weft/graph"
 * Connection.format(Connection.make("a", "", "b", "x")) // "a → b.x"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const format = (connection: Connection): string =>
  `${connection.from}${connection.output === "" ? "" : `.${connection.output}`} → ${connection.to}.${connection.input}`
