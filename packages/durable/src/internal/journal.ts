// The durable journal: the runtime's `Journal` seam mapped onto Effect's workflow engine. Every
// node attempt is one Activity named from (node, iteration, attempt) whose stored result is the
// attempt's record; timers and "now" readings are Activities too, so a resumed execution replays
// them instead of running them, and the coordinator (a deterministic function of these results)
// takes the same decisions again.
import type { Journal } from "@weft/runtime"
import { Cause, Clock, type Context, Deferred, Effect, Exit, Option, Schema } from "effect"
import { Activity, type WorkflowEngine } from "effect/workflow"
import type { Mailbox } from "./mailbox.js"

type EngineServices = WorkflowEngine.WorkflowEngine | WorkflowEngine.WorkflowInstance

// Attempt records are JSON (outputs, errors as JSON, trace events); the engine stores them as is.
const RecordJson = Schema.Json

const NowSchema = Schema.Number

const EventOutcome = Schema.Struct({
  received: Schema.Boolean,
  payload: Schema.optional(Schema.Json)
})

/** Live work of the whole runner process, so shutdown can let it finish (bounded) before closing. */
export class Runner {
  suspending = false
  private live = 0
  private idle: Deferred.Deferred<void> | undefined
  enter(): void {
    this.live++
  }
  exit(): void {
    this.live--
    if (this.live === 0 && this.idle !== undefined) Deferred.doneUnsafe(this.idle, Exit.void)
  }
  /** Stops new live work and waits (at most `millis`) for the running work to end. */
  suspend(millis: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.suspending = true
      if (this.live === 0) return Effect.void
      this.idle ??= Deferred.makeUnsafe<void>()
      return Effect.timeoutOption(Deferred.await(this.idle), millis).pipe(Effect.asVoid)
    })
  }
}

export const make = (options: {
  readonly key: string
  readonly context: Context.Context<EngineServices>
  readonly mailbox: Mailbox
  /** Completed by `cancel(key)`: live activities stop (their fibers are interrupted) and record a cancellation. */
  readonly cancelled: Deferred.Deferred<void>
  /** The runner process: once it is shutting down, no new live work starts (the execution suspends). */
  readonly runner: Runner
}): { readonly journal: Journal.ExecutionJournal; readonly drain: Effect.Effect<void> } => {
  const { cancelled, context, key, mailbox, runner } = options
  // When the engine shuts down under a waiting call, the call ends with an interruption that is
  // not the execution's: the runner is suspending, and the call never returns (the run is being
  // torn down, and the next runner replays it). The runtime would report an escaped interruption
  // as a cancelled execution (never a success), but a suspended execution is not cancelled: it
  // must not be recorded at all, which the store's `runner.suspending` check ensures.
  const inEngine = <A, E>(effect: Effect.Effect<A, E, EngineServices>) =>
    Effect.provideContext(effect, context).pipe(
      Effect.catchCause((cause) => {
        if (!Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
        runner.suspending = true
        return Effect.never
      })
    )
  // An activity runs in the engine's own fiber, which interrupting the workflow side does not
  // reach; on cancel, the live work is raced against the cancel signal instead.
  let inFlight = 0
  let drained: Deferred.Deferred<void> | undefined
  const untilCancelled = <A>(
    effect: Effect.Effect<A>,
    onCancel: Effect.Effect<A>
  ): Effect.Effect<A> =>
    Effect.suspend(() => {
      // Shutting down: this work waits for the next runner (the engine interrupts it at close).
      if (runner.suspending) return Effect.never
      inFlight++
      runner.enter()
      return Effect.raceFirst(effect, Effect.andThen(Deferred.await(cancelled), onCancel)).pipe(
        Effect.ensuring(
          Effect.suspend(() => {
            inFlight--
            runner.exit()
            return inFlight === 0 && drained !== undefined
              ? Deferred.succeed(drained, undefined)
              : Effect.void
          })
        )
      )
    })
  const cancelledRecord = Effect.map(
    Clock.currentTimeMillis,
    (at): Journal.AttemptRecord => ({
      outcome: {
        _tag: "Failure",
        error: { _tag: "ExecutionCancelled", message: `execution ${key} was cancelled` }
      },
      startedAt: at,
      endedAt: at,
      queuedMillis: 0,
      events: []
    })
  )

  const now = (name: string): Effect.Effect<number> =>
    inEngine(
      Activity.make({ name: `now:${name}`, success: NowSchema, execute: Clock.currentTimeMillis })
    )

  const journal: Journal.ExecutionJournal = {
    attempt: (attemptKey, run) =>
      inEngine(
        Activity.make({
          name: `attempt:${attemptKey.nodeId}:${attemptKey.iteration}:${attemptKey.attempt}`,
          success: RecordJson,
          execute: untilCancelled(run, cancelledRecord) as unknown as Effect.Effect<Schema.Json>
        })
      ) as unknown as Effect.Effect<Journal.AttemptRecord>,

    // A timer is its start time (recorded once) plus its duration: after a restart only the
    // remaining time is waited, counted on the wall clock, downtime included.
    sleep: (name, millis) =>
      millis <= 0
        ? Effect.void
        : Effect.flatMap(now(`start:${name}`), (startedAt) =>
            inEngine(
              Activity.make({
                name: `sleep:${name}`,
                execute: untilCancelled(
                  Effect.flatMap(Clock.currentTimeMillis, (at) =>
                    Effect.sleep(Math.max(0, startedAt + millis - at))
                  ),
                  Effect.void
                )
              })
            )
          ),

    awaitEvent: (waiter) =>
      Effect.map(
        inEngine(
          Activity.make({
            name: `event:${waiter.nodeId}:${waiter.iteration}`,
            success: EventOutcome,
            execute: untilCancelled(
              mailbox.take({
                key,
                waiter: `${waiter.nodeId}:${waiter.iteration}`,
                event: waiter.event,
                ...(waiter.timeoutMillis === undefined
                  ? {}
                  : { timeoutMillis: waiter.timeoutMillis })
              }),
              Effect.succeed({ received: false })
            )
          })
        ),
        (outcome): Option.Option<Schema.Json> =>
          outcome.received ? Option.some(outcome.payload ?? null) : Option.none()
      ),

    now,

    idempotencyKey: ({ nodeId, iteration }) => `${key}:${nodeId}:${iteration}`
  }
  /** Waits until no activity of this process runs live (after a cancel: their finalizers ran). */
  const drain = Effect.suspend(() => {
    if (inFlight === 0) return Effect.void
    drained ??= Deferred.makeUnsafe<void>()
    return Deferred.await(drained)
  })
  return { journal, drain }
}
