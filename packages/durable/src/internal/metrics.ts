// Metrics of a durable store (issue 18): executions resumed when a runner opens its store, and node
// attempts answered from the store instead of run. Recorded into the metric registry of the
// context the store was opened in (Effect's global one unless `Metric.MetricRegistry` is
// replaced), labelled by the store's kind. Listed in @weft/runtime's README next to its metrics.
import type { Journal } from "@weft/runtime"
import { Context, Effect, Metric } from "effect"
import type { SqlClient } from "effect/sql"

/** `weft.durable.resumes` (`weft.durable.store`). */
export const resumes: Metric.Counter<number> = Metric.counter("weft.durable.resumes", {
  description: "Weft executions a durable runner resumed when it opened its store",
  attributes: { unit: "{execution}" },
  incremental: true
})

/** `weft.durable.replays` (`weft.durable.store`). */
export const replays: Metric.Counter<number> = Metric.counter("weft.durable.replays", {
  description: "Weft node attempts answered from a durable store instead of run",
  attributes: { unit: "{attempt}" },
  incremental: true
})

export interface Recorder {
  /** `count` executions resumed by this runner at open. */
  readonly resumed: (count: number) => Effect.Effect<void>
  /** The journal, counting the attempts it answers without running them. */
  readonly counting: (journal: Journal.ExecutionJournal) => Journal.ExecutionJournal
}

const kindOf = (sql: SqlClient.SqlClient): string =>
  sql.onDialectOrElse({ pg: () => "postgres", sqlite: () => "sqlite", orElse: () => "sql" })

/** A recorder for the store `sql` opened in the current context (its registry, its kind). */
export const make = (sql: SqlClient.SqlClient): Effect.Effect<Recorder> =>
  Effect.gen(function* () {
    const registry = yield* Metric.MetricRegistry
    const context = Context.make(Metric.MetricRegistry, registry)
    const labels = { "weft.durable.store": kindOf(sql) }
    const resumesSeries = Metric.withAttributes(resumes, labels)
    const replaysSeries = Metric.withAttributes(replays, labels)
    return {
      resumed: (count) =>
        Effect.sync(() => {
          if (count > 0) resumesSeries.updateUnsafe(count, context)
        }),
      counting: (journal) => ({
        ...journal,
        attempt: (key, run) =>
          Effect.suspend(() => {
            let ran = false
            const live = Effect.suspend(() => {
              ran = true
              return run
            })
            return Effect.tap(journal.attempt(key, live), () =>
              Effect.sync(() => {
                if (!ran) replaysSeries.updateUnsafe(1, context)
              })
            )
          })
      })
    } satisfies Recorder
  })
