// The durable journal: the runtime's `Journal` seam mapped onto Effect's workflow engine. Every
// node attempt is one Activity named from (node, iteration, attempt) whose stored result is the
// attempt's record; timers and "now" readings are Activities too, so a resumed execution replays
// them instead of running them, and the coordinator (a deterministic function of these results)
// takes the same decisions again.
import type { Journal } from "@weft/runtime"
import { Clock, Context, Effect, Option, Schema } from "effect"
import { Activity, type WorkflowEngine } from "effect/workflow"
import type { Mailbox } from "./mailbox.js"

type EngineServices = WorkflowEngine.WorkflowEngine | WorkflowEngine.WorkflowInstance

// Attempt records are JSON (outputs, errors as JSON, trace events); the engine stores them as is.
const RecordJson = Schema.Json

const NowSchema = Schema.Number

const EventOutcome = Schema.Struct({ received: Schema.Boolean, payload: Schema.optional(Schema.Json) })

export const make = (options: {
  readonly key: string
  readonly context: Context.Context<EngineServices>
  readonly mailbox: Mailbox
}): Journal.ExecutionJournal => {
  const { context, key, mailbox } = options
  const inEngine = <A, E>(effect: Effect.Effect<A, E, EngineServices>) => Effect.provideContext(effect, context)

  const now = (name: string): Effect.Effect<number> =>
    inEngine(Activity.make({ name: `now:${name}`, success: NowSchema, execute: Clock.currentTimeMillis }))

  return {
    attempt: (attemptKey, run) =>
      inEngine(
        Activity.make({
          name: `attempt:${attemptKey.nodeId}:${attemptKey.iteration}:${attemptKey.attempt}`,
          success: RecordJson,
          execute: run as unknown as Effect.Effect<Schema.Json>
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
                execute: Effect.flatMap(Clock.currentTimeMillis, (at) => Effect.sleep(Math.max(0, startedAt + millis - at)))
              })
            )
          ),

    awaitEvent: (waiter) =>
      Effect.map(
        inEngine(
          Activity.make({
            name: `event:${waiter.nodeId}:${waiter.iteration}`,
            success: EventOutcome,
            execute: mailbox.take({
              key,
              waiter: `${waiter.nodeId}:${waiter.iteration}`,
              event: waiter.event,
              ...(waiter.timeoutMillis === undefined ? {} : { timeoutMillis: waiter.timeoutMillis })
            })
          })
        ),
        (outcome): Option.Option<Schema.Json> =>
          outcome.received ? Option.some(outcome.payload ?? null) : Option.none()
      ),

    now,

    idempotencyKey: ({ nodeId, iteration }) => `${key}:${nodeId}:${iteration}`
  }
}
