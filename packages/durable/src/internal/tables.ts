// Weft's own tables beside the cluster's (`cluster_*`): the definitions by content hash, one row
// per execution (its key, status and final result), the event mailbox, event waiters' deadlines
// and the runner guard. Plain SQL for SQLite and PostgreSQL (the two dialects the store opens).
import { Effect } from "effect"
import type { SqlClient, SqlError } from "effect/sql"

export const migrate = (sql: SqlClient.SqlClient): Effect.Effect<void, SqlError.SqlError> => {
  const id = sql.onDialectOrElse({
    pg: () => "id BIGSERIAL PRIMARY KEY",
    orElse: () => "id INTEGER PRIMARY KEY AUTOINCREMENT"
  })
  const statements = [
    `CREATE TABLE IF NOT EXISTS weft_definitions (hash TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, body TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS weft_executions (
      execution_key TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, definition_hash TEXT NOT NULL,
      params TEXT NOT NULL, params_hash TEXT NOT NULL, engine_id TEXT NOT NULL, status TEXT NOT NULL,
      result TEXT, error TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL, finished_at BIGINT)`,
    `CREATE INDEX IF NOT EXISTS weft_executions_status ON weft_executions (status, finished_at)`,
    `CREATE TABLE IF NOT EXISTS weft_events (${id}, execution_key TEXT NOT NULL, event TEXT NOT NULL,
      payload TEXT NOT NULL, created_at BIGINT NOT NULL, claimed_by TEXT)`,
    `CREATE INDEX IF NOT EXISTS weft_events_waiting ON weft_events (execution_key, event, id)`,
    `CREATE TABLE IF NOT EXISTS weft_waiters (execution_key TEXT NOT NULL, waiter TEXT NOT NULL, deadline BIGINT,
      PRIMARY KEY (execution_key, waiter))`,
    `CREATE TABLE IF NOT EXISTS weft_runner (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, pid INTEGER NOT NULL,
      host TEXT NOT NULL, heartbeat_at BIGINT NOT NULL)`
  ]
  const run = Effect.forEach(statements, (statement) => sql.unsafe(statement).raw, {
    discard: true
  })
  // Concurrent `CREATE TABLE IF NOT EXISTS` races on PostgreSQL: serialize it per schema, under a
  // lock key of Weft's own (never one the cluster uses).
  return sql.onDialectOrElse({
    pg: () =>
      sql.withTransaction(
        Effect.andThen(
          sql`SELECT pg_advisory_xact_lock(hashtext('weft:migrate:' || current_schema()))`,
          run
        )
      ),
    orElse: () => sql.withTransaction(run)
  })
}

export interface ExecutionRow {
  readonly execution_key: string
  readonly workflow_id: string
  readonly definition_hash: string
  readonly params: string
  readonly params_hash: string
  readonly engine_id: string
  readonly status: string
  readonly result: string | null
  readonly error: string | null
  readonly cancel_requested: number | string
  readonly created_at: number | string | bigint
  readonly finished_at: number | string | bigint | null
}
