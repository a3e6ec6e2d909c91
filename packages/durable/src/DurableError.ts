/**
 * Typed errors of `@weft/durable`: each names the problem and where (the store, the key, the
 * stored definition). All are `Schema.TaggedError`s, so they survive a JSON round trip.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The store file exists but is not a SQLite database (or is damaged beyond opening). Nothing was
 * written to it.
 *
 * @example
 * ```ts
 * import { DurableError } from "@weft/durable"
 * const error = new DurableError.StoreNotADatabase({ store: "./runs.db", message: "file is not a database" })
 * console.log(error._tag) // "StoreNotADatabase"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class StoreNotADatabase extends Schema.TaggedError<StoreNotADatabase>()(
  "StoreNotADatabase",
  {
    store: Schema.String,
    message: Schema.String
  }
) {}

/**
 * The store could not be reached (PostgreSQL server down, wrong host, refused credentials, or a
 * SQLite file in a directory that does not exist).
 *
 * @example
 * ```ts
 * import { DurableError } from "@weft/durable"
 * const error = new DurableError.StoreUnreachable({ store: "postgres://db:5432/app", message: "connection refused" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class StoreUnreachable extends Schema.TaggedError<StoreUnreachable>()("StoreUnreachable", {
  store: Schema.String,
  message: Schema.String
}) {}

/**
 * A statement against the store failed after it was opened (disk full, lost connection...).
 *
 * @example
 * ```ts
 * import { DurableError } from "@weft/durable"
 * const error = new DurableError.StoreFailed({ store: "./runs.db", operation: "start", message: "disk I/O error" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class StoreFailed extends Schema.TaggedError<StoreFailed>()("StoreFailed", {
  store: Schema.String,
  operation: Schema.String,
  message: Schema.String
}) {}

/**
 * Another process already runs executions on this store (one runner per SQLite file or
 * PostgreSQL schema). Open it with `runner: false` to read statuses and send events.
 *
 * @example
 * ```ts
 * import { DurableError } from "@weft/durable"
 * const error = new DurableError.RunnerAlreadyActive({ store: "./runs.db", owner: "host:4242", message: "another runner holds the store" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class RunnerAlreadyActive extends Schema.TaggedError<RunnerAlreadyActive>()(
  "RunnerAlreadyActive",
  {
    store: Schema.String,
    owner: Schema.String,
    message: Schema.String
  }
) {}

/**
 * `start` with a key that already names an execution of a different workflow definition or
 * different params. (Same definition and params attaches to the existing execution instead.)
 *
 * @example
 * ```ts
 * import { DurableError } from "@weft/durable"
 * const error = new DurableError.ExecutionKeyConflict({ key: "order-42", differs: "params", message: "..." })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class ExecutionKeyConflict extends Schema.TaggedError<ExecutionKeyConflict>()(
  "ExecutionKeyConflict",
  {
    key: Schema.String,
    differs: Schema.Literals(["definition", "params"]),
    message: Schema.String
  }
) {}

/**
 * No execution with this key in the store (never started, or deleted by retention).
 *
 * @example
 * ```ts
 * import { DurableError } from "@weft/durable"
 * const error = new DurableError.ExecutionNotFound({ key: "order-42", message: "no execution order-42" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class ExecutionNotFound extends Schema.TaggedError<ExecutionNotFound>()(
  "ExecutionNotFound",
  {
    key: Schema.String,
    message: Schema.String
  }
) {}

/**
 * The stored workflow definition (or params) of an execution does not match its content hash or
 * is not valid JSON: the store was edited or damaged. The execution is not resumed.
 *
 * @example
 * ```ts
 * import { DurableError } from "@weft/durable"
 * const error = new DurableError.DefinitionCorrupted({ key: "order-42", hash: "ab12...", message: "hash mismatch" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class DefinitionCorrupted extends Schema.TaggedError<DefinitionCorrupted>()(
  "DefinitionCorrupted",
  {
    key: Schema.String,
    hash: Schema.String,
    message: Schema.String
  }
) {}

/**
 * The operation needs a runner (`start`), but the store was opened with `runner: false`.
 *
 * @example
 * ```ts
 * import { DurableError } from "@weft/durable"
 * const error = new DurableError.NotARunner({ operation: "start", message: "open the store as a runner to start executions" })
 * ```
 * @since 0.1.0
 * @category errors
 */
export class NotARunner extends Schema.TaggedError<NotARunner>()("NotARunner", {
  operation: Schema.String,
  message: Schema.String
}) {}

/**
 * Any error of opening a store.
 *
 * @example
 * ```ts
 * import type { DurableError } from "@weft/durable"
 * const describe = (error: DurableError.OpenError) => `${error._tag}: ${error.message}`
 * ```
 * @since 0.1.0
 * @category errors
 */
export type OpenError = StoreNotADatabase | StoreUnreachable | StoreFailed | RunnerAlreadyActive
