/**
 * Hooks into one node attempt, for packages that extend the runtime (such as `@weft/metered`):
 *
 * - {@link CurrentAttempt}: the attempt a code node's host function or resource-bridge call runs
 *   for, with `emit` — its events go live into the trace and into the attempt's record
 *   (`Journal.AttemptRecord.events`), so a journal replays them with the attempt.
 * - {@link ConcurrencyLimiter}: who enforces `NodeOptions.concurrency: { key, limit }`. Absent,
 *   the runtime's own in-process limiter does (per runtime); provide one (a Redis or PostgreSQL
 *   lock, say) to enforce it across processes. It is consulted once per attempt of a node with a
 *   `concurrency` option, the slot is held for the attempt only (released during a retry's backoff
 *   and while the attempt waits), and a lease that reports itself lost fails the attempt with the
 *   limiter's error (e.g. `LockLost`).
 *
 * @since 0.2.0
 */
import { Context, type Effect, type Schema, type Scope } from "effect"
import { KeyedLimiter } from "./internal/keyed.js"

type Json = Schema.Json

/**
 * The attempt a host function or resource-bridge call runs for (code nodes).
 *
 * @example
 * ```ts
 * import type { Attempt } from "@weft/runtime"
 * const label = (attempt: Attempt.AttemptHandle) =>
 *   `${attempt.nodeId}#${attempt.iteration}.${attempt.attempt}`
 * ```
 * @since 0.2.0
 * @category models
 */
export interface AttemptHandle {
  readonly executionId: string
  readonly workflowId: string
  readonly nodeId: string
  /** 1-based loop iteration. */
  readonly iteration: number
  /** 1-based attempt number. */
  readonly attempt: number
  /** `<executionId>:<nodeId>:<iteration>` (or the journal's key). */
  readonly idempotencyKey: string
  /**
   * Emits a `node-emitted` trace event now: live listeners see it, and it is part of the
   * attempt's record, so a journal replaying the attempt re-emits it (never twice).
   */
  readonly emit: (event: Json) => void
}

/**
 * The attempt of a code node running now: provided to the node's guest, so its host functions
 * and resource-bridge calls read it (`undefined` elsewhere, including task functions, which have
 * their `context`).
 *
 * @example
 * ```ts
 * import { Attempt } from "@weft/runtime"
 * import { Effect } from "effect"
 * // a host function that notes something in the trace of the attempt calling it
 * const note = (payload: unknown) =>
 *   Effect.map(Effect.service(Attempt.CurrentAttempt), (attempt) => {
 *     attempt?.emit({ type: "note", payload: String(payload) })
 *     return null
 *   })
 * ```
 * @since 0.2.0
 * @category references
 */
export const CurrentAttempt = Context.Reference<AttemptHandle | undefined>(
  "@weft/runtime/Attempt/CurrentAttempt",
  { defaultValue: () => undefined }
)

/**
 * What a limiter is asked for: a slot of the rendered `key` (at most `limit` holders at once),
 * for this attempt.
 *
 * @example
 * ```ts
 * import type { Attempt } from "@weft/runtime"
 * const request: Attempt.SlotRequest = {
 *   key: "customer:42", limit: 1, executionId: "e1", workflowId: "billing",
 *   nodeId: "charge", iteration: 1, attempt: 1
 * }
 * ```
 * @since 0.2.0
 * @category models
 */
export interface SlotRequest {
  readonly key: string
  readonly limit: number
  readonly executionId: string
  readonly workflowId: string
  readonly nodeId: string
  readonly iteration: number
  readonly attempt: number
}

/**
 * A held slot. `lost`, when given, fails if the slot is lost while held (a lock whose lease could
 * not be renewed): the attempt is then interrupted and fails with that error. The slot is
 * released when the scope `take` ran in closes.
 *
 * @example
 * ```ts
 * import type { Attempt } from "@weft/runtime"
 * const forever: Attempt.Slot = {}
 * ```
 * @since 0.2.0
 * @category models
 */
export interface Slot {
  readonly lost?: Effect.Effect<never, LimiterError>
}

/**
 * A limiter's typed failure (`LockTimeout`, `LockLost`, a backend error): the attempt fails with
 * it and the node's retry policy decides.
 *
 * @example
 * ```ts
 * import type { Attempt } from "@weft/runtime"
 * const tagOf = (error: Attempt.LimiterError) => error._tag
 * ```
 * @since 0.2.0
 * @category models
 */
export interface LimiterError {
  readonly _tag: string
  readonly message: string
}

/**
 * Enforces `NodeOptions.concurrency`: `take` waits (interruptibly) for a slot and holds it until
 * its scope closes.
 *
 * @example
 * ```ts
 * import type { Attempt } from "@weft/runtime"
 * import { Effect } from "effect"
 * const unlimited: Attempt.Limiter = { take: () => Effect.succeed({}) }
 * ```
 * @since 0.2.0
 * @category models
 */
export interface Limiter {
  readonly take: (request: SlotRequest) => Effect.Effect<Slot, LimiterError, Scope.Scope>
}

/**
 * The limiter of `NodeOptions.concurrency`; `undefined` (the default) = the runtime's own
 * in-process limiter, shared by that runtime's executions.
 *
 * @example
 * ```ts
 * import { Attempt, Runtime } from "@weft/runtime"
 * import { Effect } from "effect"
 * declare const workflow: Runtime.Workflow
 * const runtime = Runtime.make({})
 * // one limiter shared by two runtimes (the default is per runtime)
 * const shared = Attempt.inProcess()
 * const run = runtime
 *   .execute(workflow)
 *   .pipe(Effect.provideService(Attempt.ConcurrencyLimiter, shared))
 * ```
 * @since 0.2.0
 * @category references
 */
export const ConcurrencyLimiter = Context.Reference<Limiter | undefined>(
  "@weft/runtime/Attempt/ConcurrencyLimiter",
  { defaultValue: () => undefined }
)

/**
 * An in-process limiter (what the runtime uses by default): at most `limit` holders of a key at
 * once, served in the order they asked; `limit` is the key's first holder's.
 *
 * @example
 * ```ts
 * import { Attempt } from "@weft/runtime"
 * const limiter = Attempt.inProcess()
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const inProcess = (): Limiter => {
  const keyed = new KeyedLimiter()
  return { take: (request) => keyed.slot(request.key, request.limit) }
}
