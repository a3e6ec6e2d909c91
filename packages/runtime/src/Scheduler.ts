/**
 * The seam a durable backend plugs into. The orchestration (which node runs when, what it is
 * given, what happens when it fails) is a deterministic function of the workflow, the params and
 * the node results; the unit of work is one *node execution*, identified by
 * `(executionId, nodeId, iteration, attempt)`, whose output is JSON.
 *
 * The default in-memory scheduler runs each attempt directly. A durable backend (e.g. Effect's
 * `effect/workflow` on `effect/cluster`) provides its own `Scheduler` that turns each node
 * execution into a memoized activity and supplies deterministic execution ids.
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Schema } from "effect"

/**
 * Identifies one attempt of one node in one loop iteration of one execution.
 *
 * @example
 * ```ts
 * import type { Scheduler } from "@weft/runtime"
 * const key = (n: Scheduler.NodeExecution) => `${n.executionId}/${n.nodeId}/${n.iteration}/${n.attempt}`
 * ```
 * @since 0.1.0
 * @category models
 */
export interface NodeExecution {
  readonly executionId: string
  readonly workflowId: string
  readonly nodeId: string
  /** 1-based; always 1 outside loops. */
  readonly iteration: number
  /** 1-based. */
  readonly attempt: number
}

/**
 * The scheduler interface.
 *
 * @example
 * ```ts
 * import { Scheduler } from "@weft/runtime"
 * import { Effect } from "effect"
 * const logging: Scheduler.Scheduler = {
 *   executionId: () => crypto.randomUUID(),
 *   runNode: (node, attempt) => Effect.andThen(Effect.log(`running ${node.nodeId}#${node.attempt}`), attempt)
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Scheduler {
  /** A new execution id (a durable backend derives it from an idempotency key). */
  readonly executionId: () => string
  /**
   * Runs one node attempt (inside the node's timeout and retry policy): a durable backend records /
   * replays it; a test harness can replace it to inject failures, hangs or outputs.
   */
  readonly runNode: (
    node: NodeExecution,
    attempt: Effect.Effect<Schema.Json, unknown>
  ) => Effect.Effect<Schema.Json, unknown>
}

/**
 * The in-memory scheduler: random execution ids, attempts run directly.
 *
 * @example
 * ```ts
 * import { Scheduler } from "@weft/runtime"
 * Scheduler.inMemory.executionId().length > 0 // true
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const inMemory: Scheduler = {
  executionId: () => globalThis.crypto.randomUUID(),
  runNode: (_node, attempt) => attempt
}

/**
 * The current scheduler (a `Context.Reference`, default `inMemory`). Provide another with
 * `Effect.provideService(Scheduler.CurrentScheduler, mine)`.
 *
 * @example
 * ```ts
 * import { Scheduler } from "@weft/runtime"
 * import { Effect } from "effect"
 * const program = Effect.map(Scheduler.CurrentScheduler, (s) => s === Scheduler.inMemory)
 * ```
 * @since 0.1.0
 * @category models
 */
export const CurrentScheduler: Context.Reference<Scheduler> = Context.Reference<Scheduler>(
  "@weft/runtime/Scheduler",
  { defaultValue: () => inMemory }
)
