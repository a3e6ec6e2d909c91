/**
 * Connections route a value from one node's output to an input of another node. A *failure*
 * connection (`on: "failure"`) fires instead when its source has failed after its last
 * attempt, and carries the error as JSON (`{ _tag, message, … }`). Several connections may
 * feed the same input: the first one that delivers wins.
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
 * const onError: Connection.Connection = { from: "charge", output: "message", to: "alert", input: "reason", on: "failure" }
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
  /**
   * When it fires: `"success"` (absent means the same) delivers the source's output;
   * `"failure"` delivers the source's final error as JSON, and `output` is a path into it.
   */
  readonly on?: "success" | "failure"
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
  input: Schema.String,
  on: Schema.optionalKey(Schema.Literals(["success", "failure"]))
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
 * Makes a failure connection: when `from` has failed after its last attempt, the value at
 * `output` of its error as JSON (`""` = the whole error, `"message"`, `"_tag"`, …) becomes
 * input `input` of `to`.
 *
 * @example
 * ```ts
 * import { Connection } from "@weft/graph"
 * Connection.failure("charge", "message", "alert", "reason")
 * // { from: "charge", output: "message", to: "alert", input: "reason", on: "failure" }
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const failure = (from: NodeId, output: string, to: NodeId, input: string): Connection => ({
  from,
  output,
  to,
  input,
  on: "failure"
})

/**
 * Whether a connection fires on its source's failure (`on: "failure"`).
 *
 * @example
 * ```ts
 * import { Connection } from "@weft/graph"
 * Connection.isFailure(Connection.failure("a", "", "b", "error")) // true
 * Connection.isFailure(Connection.make("a", "", "b", "x"))        // false
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isFailure = (connection: Connection): boolean => connection.on === "failure"

/**
 * A short human-readable form: `price.result.cents → charge.cents`; failure connections read
 * `charge (on failure).message → alert.reason`.
 *
 * @example
 * ```ts
 * import { Connection } from "@weft/graph"
 * Connection.format(Connection.make("a", "", "b", "x"))          // "a → b.x"
 * Connection.format(Connection.failure("a", "_tag", "b", "tag")) // "a (on failure)._tag → b.tag"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const format = (connection: Connection): string =>
  `${connection.from}${connection.on === "failure" ? " (on failure)" : ""}${connection.output === "" ? "" : `.${connection.output}`} → ${connection.to}.${connection.input}`
