/**
 * The typed errors of `@weft/metered`. Each is a `Schema.TaggedError` with JSON fields, so it keeps
 * its `_tag` and fields through a workflow result, a database row or a worker boundary — and a
 * failure edge (`on: "failure"`) can route on it.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Usage named a meter the price table does not have.
 *
 * @example
 * ```ts
 * import { MeteredError } from "@weft/metered"
 * new MeteredError.UnknownMeter({ meter: "llm", known: ["sms"], message: 'meter "llm" is not in the price table; known: sms' })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class UnknownMeter extends Schema.TaggedError<UnknownMeter>()("UnknownMeter", {
  meter: Schema.String,
  known: Schema.Array(Schema.String),
  message: Schema.String
}) {
  /** Bad input: retrying cannot help. */
  readonly retryable = false
}

/**
 * The price table has the meter but no prices for this model.
 *
 * @example
 * ```ts
 * import { MeteredError } from "@weft/metered"
 * new MeteredError.ModelNotPriced({ meter: "llm", model: "gpt-9", known: ["gpt-4o"], message: 'model "gpt-9" has no prices under meter "llm"' })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class ModelNotPriced extends Schema.TaggedError<ModelNotPriced>()("ModelNotPriced", {
  meter: Schema.String,
  model: Schema.String,
  known: Schema.Array(Schema.String),
  message: Schema.String
}) {
  /** Bad input: retrying cannot help. */
  readonly retryable = false
}

/**
 * A quantity in a usage record is not a finite number ≥ 0, or the price table has no price for it.
 *
 * @example
 * ```ts
 * import { MeteredError } from "@weft/metered"
 * new MeteredError.InvalidQuantity({ meter: "llm", model: "gpt-4o", quantity: "input", value: "-3", message: "quantity input of llm/gpt-4o is -3; quantities are finite numbers >= 0" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class InvalidQuantity extends Schema.TaggedError<InvalidQuantity>()("InvalidQuantity", {
  meter: Schema.String,
  model: Schema.String,
  quantity: Schema.String,
  /** The offending value as text (NaN and Infinity are not JSON). */
  value: Schema.String,
  message: Schema.String
}) {
  /** Bad input: retrying cannot help. */
  readonly retryable = false
}

/**
 * A price table or a budget definition is malformed; `path` names the entry.
 *
 * @example
 * ```ts
 * import { MeteredError } from "@weft/metered"
 * new MeteredError.InvalidConfig({ path: "meters.llm.models.gpt-4o.input.per", message: "per must be a positive number, got 0" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class InvalidConfig extends Schema.TaggedError<InvalidConfig>()("InvalidConfig", {
  path: Schema.String,
  message: Schema.String
}) {
  /** Bad input: retrying cannot help. */
  readonly retryable = false
}

/**
 * A metered call was refused: its estimated cost does not fit in the budget (or the budget was
 * already overrun by an earlier call). The call was not made. Amounts are in the price table's
 * currency. Not retryable; route it with a failure edge (e.g. to a cheaper model).
 *
 * @example
 * ```ts
 * import { MeteredError } from "@weft/metered"
 * const error = new MeteredError.BudgetExceeded({
 *   budget: "per-run", bucket: "execution:e1", limit: 0.05, spent: 0.049, reserved: 0, estimate: 0.002,
 *   nodeId: "summarize", executionId: "e1", message: "budget per-run: spent 0.049 + estimate 0.002 > limit 0.05"
 * })
 * error.retryable // false
 * ```
 * @since 0.1.0
 * @category errors
 */
export class BudgetExceeded extends Schema.TaggedError<BudgetExceeded>()("BudgetExceeded", {
  budget: Schema.String,
  /** The budget's bucket: `execution:<id>`, or `<key>:<value>:<period>` for keyed budgets. */
  bucket: Schema.String,
  limit: Schema.Number,
  spent: Schema.Number,
  /** Reserved by calls in flight when this one was refused. */
  reserved: Schema.Number,
  estimate: Schema.Number,
  nodeId: Schema.String,
  executionId: Schema.String,
  message: Schema.String
}) {
  /** More attempts cannot make the budget bigger. */
  readonly retryable = false
}

/**
 * A metered operation ran outside a metered execution (no node to attribute it to).
 *
 * @example
 * ```ts
 * import { MeteredError } from "@weft/metered"
 * new MeteredError.NotMetered({ operation: "llm.complete", message: "llm.complete was called outside a node of Meter.execute" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class NotMetered extends Schema.TaggedError<NotMetered>()("NotMetered", {
  operation: Schema.String,
  message: Schema.String
}) {
  /** A wiring mistake: retrying cannot help. */
  readonly retryable = false
}

/**
 * A held lock was lost (its lease could not be renewed, or another holder took it after it
 * expired). The node's attempt is interrupted; a retry policy may run it again.
 *
 * @example
 * ```ts
 * import { MeteredError } from "@weft/metered"
 * new MeteredError.LockLost({ key: "customer:42", nodeId: "charge", message: "lock customer:42 was lost while charge ran" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class LockLost extends Schema.TaggedError<LockLost>()("LockLost", {
  key: Schema.String,
  nodeId: Schema.String,
  message: Schema.String
}) {}

/**
 * A lock could not be acquired within its wait timeout.
 *
 * @example
 * ```ts
 * import { MeteredError } from "@weft/metered"
 * new MeteredError.LockTimeout({ key: "customer:42", nodeId: "charge", waited: 5000, message: "lock customer:42 not acquired within 5000ms" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class LockTimeout extends Schema.TaggedError<LockTimeout>()("LockTimeout", {
  key: Schema.String,
  nodeId: Schema.String,
  waited: Schema.Number,
  message: Schema.String
}) {}

/**
 * A backend (Redis, PostgreSQL) failed; `backend` and `operation` say which call.
 *
 * @example
 * ```ts
 * import { MeteredError } from "@weft/metered"
 * new MeteredError.BackendFailed({ backend: "redis", operation: "budget.reserve", message: "connection refused" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class BackendFailed extends Schema.TaggedError<BackendFailed>()("BackendFailed", {
  backend: Schema.String,
  operation: Schema.String,
  message: Schema.String
}) {}
