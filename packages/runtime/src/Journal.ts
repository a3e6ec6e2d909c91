/**
 * The journal: the seam a durable engine plugs into (unstable: for `@weft/durable` and other
 * engines). The runtime's coordinator is a deterministic function of the workflow, its params,
 * the attempt records and the completions of timers and event waits; every one of those passes
 * through the execution's journal, so a journal that records them (and replays them after a
 * restart) makes a run durable.
 *
 * Final interface (C3 of the wave plan, refined):
 * ```ts
 * interface AttemptKey { executionId; workflowId; nodeId; iteration; attempt }
 * interface AttemptRecord {
 *   outcome: { _tag: "Success"; output: Json } | { _tag: "Failure"; error: Json }
 *   startedAt; endedAt; queuedMillis            // Clock ms; queue = waiting for a permit / worker
 *   events: ReadonlyArray<TraceEvent>           // what the attempt emitted (re-emitted on replay)
 *   logs?: ReadonlyArray<string>                // a code node's console lines
 * }
 * interface ExecutionJournal {                  // one per execution, from Journal.open
 *   attempt(key, run: Effect<AttemptRecord>): Effect<AttemptRecord>  // run or replay one attempt
 *   sleep(name, millis): Effect<void>           // "retry:<node>:<iteration>:<attempt>", "delay:<node>:<iteration>"
 *   awaitEvent(waiter, wait: Effect<Option<Json>>): Effect<Option<Json>>  // event nodes; None = timed out
 *   now(name): Effect<number>                   // "delay:<node>:<iteration>" (delay-until)
 *   idempotencyKey({ nodeId, iteration }): string  // ctx.idempotencyKey / global idempotencyKey
 * }
 * interface Journal { open({ executionId, workflowId }): Effect<ExecutionJournal, never, Scope> }
 * ```
 * The engine opens the journal once per execution (in the run's scope) and never reads the wall
 * clock or draws randomness for a decision outside these calls: retry jitter is seeded from the
 * idempotency key and the attempt number. The default, {@link memory}, runs everything live and
 * costs nothing on the hot path.
 *
 * @since 0.2.0
 */
import { Clock, Context, Effect, type Option, type Schema, type Scope } from "effect"
import type { TraceEvent } from "./Trace.js"

type Json = Schema.Json

/**
 * Identifies one attempt of one node in one loop iteration of one execution (all 1-based).
 *
 * @example
 * ```ts
 * import type { Journal } from "@weft/runtime"
 * const key: Journal.AttemptKey = { executionId: "e1", workflowId: "checkout", nodeId: "charge", iteration: 1, attempt: 2 }
 * ```
 * @since 0.2.0
 * @category models
 */
export interface AttemptKey {
  readonly executionId: string
  readonly workflowId: string
  readonly nodeId: string
  readonly iteration: number
  readonly attempt: number
}

/**
 * How an attempt ended: its JSON output, or its error as JSON (`{ _tag, message, ... }`).
 *
 * @example
 * ```ts
 * import type { Journal } from "@weft/runtime"
 * const failed: Journal.AttemptOutcome = { _tag: "Failure", error: { _tag: "HttpError", message: "503" } }
 * ```
 * @since 0.2.0
 * @category models
 */
export type AttemptOutcome =
  | { readonly _tag: "Success"; readonly output: Json }
  | { readonly _tag: "Failure"; readonly error: Json }

/**
 * What one attempt produced. Built by the engine, stored by a durable journal, replayed as is:
 * on replay the engine re-emits `events` (and `logs`) instead of running the node.
 *
 * @example
 * ```ts
 * import type { Journal } from "@weft/runtime"
 * const record: Journal.AttemptRecord = {
 *   outcome: { _tag: "Success", output: { total: 42 } },
 *   startedAt: 1_000, endedAt: 1_012, queuedMillis: 3, events: []
 * }
 * ```
 * @since 0.2.0
 * @category models
 */
export interface AttemptRecord {
  readonly outcome: AttemptOutcome
  /** Clock ms when the attempt started running (after any queueing). */
  readonly startedAt: number
  readonly endedAt: number
  /** How long the attempt waited for a runtime permit or a sandbox worker before it ran. */
  readonly queuedMillis: number
  /** Trace events the attempt emitted (node-started, node-emitted, resource-called, node-waiting, node-resumed). */
  readonly events: ReadonlyArray<TraceEvent>
  /** A code node's console lines. */
  readonly logs?: ReadonlyArray<string>
}

/**
 * Who waits for an event: an event node (or, in a loop, one iteration of it).
 *
 * @example
 * ```ts
 * import type { Journal } from "@weft/runtime"
 * const waiter: Journal.EventWaiter = { nodeId: "approval", iteration: 1, event: "approved", timeoutMillis: 60_000 }
 * ```
 * @since 0.2.0
 * @category models
 */
export interface EventWaiter {
  readonly nodeId: string
  readonly iteration: number
  readonly event: string
  readonly timeoutMillis?: number
}

/**
 * The journal of one execution.
 *
 * @example
 * ```ts
 * import type { Journal } from "@weft/runtime"
 * import { Effect } from "effect"
 * // a journal that logs every attempt and otherwise behaves like the in-memory one
 * const logging = (inner: Journal.ExecutionJournal): Journal.ExecutionJournal => ({
 *   ...inner,
 *   attempt: (key, run) => Effect.andThen(Effect.log(`${key.nodeId}#${key.attempt}`), inner.attempt(key, run))
 * })
 * ```
 * @since 0.2.0
 * @category models
 */
export interface ExecutionJournal {
  /** Runs (or replays) one node attempt; `run` runs it live and produces its record. */
  readonly attempt: (
    key: AttemptKey,
    run: Effect.Effect<AttemptRecord>
  ) => Effect.Effect<AttemptRecord>
  /** A durable timer: retry waits (`retry:<node>:<iteration>:<attempt>`) and delay nodes (`delay:<node>:<iteration>`). */
  readonly sleep: (name: string, millis: number) => Effect.Effect<void>
  /** An event node's wait; `wait` is the live wait on the execution's mailbox. `None` = timed out. */
  readonly awaitEvent: (
    waiter: EventWaiter,
    wait: Effect.Effect<Option.Option<Json>>
  ) => Effect.Effect<Option.Option<Json>>
  /** A deterministic "now" (Clock ms), named like the timer that reads it (`delay:<node>:<iteration>`). */
  readonly now: (name: string) => Effect.Effect<number>
  /** The idempotency key of a node execution, the same for all its attempts. */
  readonly idempotencyKey: (key: { readonly nodeId: string; readonly iteration: number }) => string
}

/**
 * The journal service: opens the journal of an execution (in the run's scope).
 *
 * @example
 * ```ts
 * import { Journal } from "@weft/runtime"
 * import { Effect } from "effect"
 * const counting = (counter: { attempts: number }): Journal.Journal => ({
 *   open: (execution) =>
 *     Effect.map(Journal.memory.open(execution), (inner) => ({
 *       ...inner,
 *       attempt: (key, run) => Effect.andThen(Effect.sync(() => counter.attempts++), inner.attempt(key, run))
 *     }))
 * })
 * ```
 * @since 0.2.0
 * @category models
 */
export interface Journal {
  readonly open: (execution: {
    readonly executionId: string
    readonly workflowId: string
  }) => Effect.Effect<ExecutionJournal, never, Scope.Scope>
}

const runLive = (_key: AttemptKey, run: Effect.Effect<AttemptRecord>) => run

/**
 * The in-memory journal: every attempt, timer and event wait runs live on the Clock; nothing is
 * recorded. Idempotency keys are `<executionId>:<nodeId>:<iteration>`.
 *
 * @example
 * ```ts
 * import { Journal } from "@weft/runtime"
 * import { Effect } from "effect"
 * const program = Effect.scoped(
 *   Effect.map(Journal.memory.open({ executionId: "e1", workflowId: "w" }), (journal) =>
 *     journal.idempotencyKey({ nodeId: "charge", iteration: 1 })
 *   )
 * ) // "e1:charge:1"
 * ```
 * @since 0.2.0
 * @category layers
 */
export const memory: Journal = {
  open: ({ executionId }) =>
    Effect.succeed({
      attempt: runLive,
      sleep: (_name, millis) => (millis > 0 ? Effect.sleep(millis) : Effect.void),
      awaitEvent: (_waiter, wait) => wait,
      now: () => Clock.currentTimeMillis,
      idempotencyKey: ({ nodeId, iteration }) => `${executionId}:${nodeId}:${iteration}`
    })
}

/**
 * Whether `journal` runs every attempt live (the in-memory journal's `attempt`): the engine then
 * skips building attempt keys.
 *
 * @example
 * ```ts
 * import { Journal } from "@weft/runtime"
 * import { Effect } from "effect"
 * const live = Effect.scoped(Effect.map(Journal.memory.open({ executionId: "e", workflowId: "w" }), Journal.runsLive)) // true
 * ```
 * @since 0.2.0
 * @category guards
 */
export const runsLive = (journal: ExecutionJournal): boolean => journal.attempt === runLive

/**
 * The journal executions use (default {@link memory}); provide another to make runs durable.
 *
 * @example
 * ```ts
 * import { Journal, Runtime } from "@weft/runtime"
 * import { Effect } from "effect"
 * declare const workflow: Runtime.Workflow
 * declare const durable: Journal.Journal
 * const program = Runtime.execute(workflow).pipe(Effect.provideService(Journal.CurrentJournal, durable))
 * ```
 * @since 0.2.0
 * @category layers
 */
export const CurrentJournal: Context.Reference<Journal> = Context.Reference<Journal>(
  "@weft/runtime/Journal",
  { defaultValue: () => memory }
)
