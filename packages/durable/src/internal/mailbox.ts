// The durable event mailbox. `send` appends a row; a waiter (an event node's activity) claims the
// oldest unclaimed event of its name with a conditional UPDATE, so one event completes one waiter
// and events sent before anyone waits are kept. A claim is keyed by the waiter, so the activity
// re-run after a crash finds the event it had already claimed. Waiting is a poll of the store,
// woken at once by sends from this process.
import { Clock, Effect, type Schema } from "effect"
import type { SqlClient } from "effect/sql"

export interface TakeOptions {
  readonly key: string
  readonly waiter: string
  readonly event: string
  readonly timeoutMillis?: number
}

export interface Mailbox {
  readonly take: (
    options: TakeOptions
  ) => Effect.Effect<{ readonly received: boolean; readonly payload?: Schema.Json }>
  readonly send: (key: string, event: string, payload: Schema.Json) => Effect.Effect<void, unknown>
}

/** In-process wake-ups by topic (execution key); other processes are seen by polling. */
export class Signals {
  private readonly waiting = new Map<string, Set<() => void>>()

  wait(topic: string, millis: number): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      let set = this.waiting.get(topic)
      if (set === undefined) {
        set = new Set()
        this.waiting.set(topic, set)
      }
      const wake = () => resume(Effect.void)
      set.add(wake)
      const timer = setTimeout(wake, Math.max(0, millis))
      const topicSet = set
      return Effect.sync(() => {
        clearTimeout(timer)
        topicSet.delete(wake)
        if (topicSet.size === 0) this.waiting.delete(topic)
      })
    })
  }

  notify(topic: string): void {
    const set = this.waiting.get(topic)
    if (set !== undefined) for (const wake of [...set]) wake()
  }
}

const toNumber = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value)

export const make = (
  sql: SqlClient.SqlClient,
  signals: Signals,
  pollIntervalMillis: number
): Mailbox => {
  const claim = (key: string, waiter: string, event: string) =>
    Effect.gen(function* () {
      const mine = yield* sql<{ payload: string }>`SELECT payload FROM weft_events
        WHERE execution_key = ${key} AND claimed_by = ${waiter} ORDER BY id LIMIT 1`
      if (mine[0] !== undefined) return mine[0].payload
      const claimed = yield* sql<{ payload: string }>`UPDATE weft_events SET claimed_by = ${waiter}
        WHERE id = (SELECT id FROM weft_events WHERE execution_key = ${key} AND event = ${event}
                    AND claimed_by IS NULL ORDER BY id LIMIT 1)
          AND claimed_by IS NULL
        RETURNING payload`
      return claimed[0]?.payload
    })

  const take = (options: TakeOptions) =>
    Effect.gen(function* () {
      const { key, waiter, event } = options
      const now = yield* Clock.currentTimeMillis
      const deadline = options.timeoutMillis === undefined ? null : now + options.timeoutMillis
      // The deadline is written once: a re-run after a crash keeps the first one (wall clock).
      yield* sql`INSERT INTO weft_waiters (execution_key, waiter, deadline) VALUES (${key}, ${waiter}, ${deadline})
        ON CONFLICT DO NOTHING`
      const rows = yield* sql<{ deadline: unknown }>`SELECT deadline FROM weft_waiters
        WHERE execution_key = ${key} AND waiter = ${waiter}`
      const until = toNumber(rows[0]?.deadline)
      while (true) {
        const payload = yield* claim(key, waiter, event)
        if (payload !== undefined)
          return { received: true, payload: JSON.parse(payload) as Schema.Json }
        const at = yield* Clock.currentTimeMillis
        if (until !== null && at >= until) return { received: false }
        yield* signals.wait(
          key,
          until === null ? pollIntervalMillis : Math.min(pollIntervalMillis, until - at)
        )
      }
    }).pipe(
      // A store error inside a wait is retried: the activity must not record a false outcome.
      Effect.retry({ times: 10 }),
      Effect.orDie
    )

  return {
    take: (options) =>
      take(options) as Effect.Effect<{
        readonly received: boolean
        readonly payload?: Schema.Json
      }>,
    send: (key, event, payload) =>
      Effect.gen(function* () {
        const at = yield* Clock.currentTimeMillis
        yield* sql`INSERT INTO weft_events (execution_key, event, payload, created_at)
          VALUES (${key}, ${event}, ${JSON.stringify(payload)}, ${at})`
        signals.notify(key)
      })
  }
}
