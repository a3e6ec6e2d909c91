// The store: Weft's tables, the generic durable workflow `WeftRun` registered with Effect's
// workflow engine, and the operations of the public `Durable` service on top of them.
import { createHash, randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { Journal, type Resource, type Runtime, type Trace } from "@weft/runtime"
import type { Sandbox } from "@weft/sandbox"
import { Clock, type Context, Deferred, Effect, Fiber, Schedule, Schema, type Scope } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { Workflow, WorkflowEngine } from "effect/workflow"
import {
  DefinitionCorrupted,
  ExecutionKeyConflict,
  ExecutionNotFound,
  NotARunner,
  RunnerAlreadyActive,
  StoreFailed
} from "../DurableError.js"
import * as JournalImpl from "./journal.js"
import * as DurableMetrics from "./metrics.js"
import * as RunnerResources from "./runnerResources.js"
import * as Mailbox from "./mailbox.js"
import { decodeResult } from "./result.js"
import type { ExecutionRow } from "./tables.js"

export type DurableStatus = "running" | Trace.ExecutionStatus

export interface ExecutionInfo {
  readonly key: string
  readonly workflowId: string
  readonly status: DurableStatus
  readonly definitionHash: string
  readonly createdAt: number
  readonly finishedAt?: number
  readonly cancelRequested: boolean
}

export interface StoreConfig {
  readonly store: string
  readonly runtime: Runtime.Runtime
  readonly runner: boolean
  readonly resume: boolean
  readonly pollIntervalMillis: number
  readonly shutdownTimeoutMillis: number
  readonly resources: { readonly [name: string]: Resource.ResourceInput }
  readonly retention?:
    | { readonly finishedOlderThanMillis: number; readonly everyMillis: number }
    | undefined
}

export interface StartOptions {
  readonly key?: string
}

export interface Store {
  readonly start: (
    workflow: Runtime.Workflow,
    params?: Runtime.Params,
    options?: StartOptions
  ) => Effect.Effect<
    { readonly key: string; readonly attached: boolean },
    ExecutionKeyConflict | NotARunner | StoreFailed
  >
  readonly result: (
    key: string
  ) => Effect.Effect<Runtime.ExecutionResult, ExecutionNotFound | DefinitionCorrupted | StoreFailed>
  readonly status: (key: string) => Effect.Effect<ExecutionInfo, ExecutionNotFound | StoreFailed>
  readonly list: (filter?: {
    readonly status?: DurableStatus
  }) => Effect.Effect<ReadonlyArray<ExecutionInfo>, StoreFailed>
  readonly send: (
    key: string,
    event: string,
    payload?: Schema.Json
  ) => Effect.Effect<void, ExecutionNotFound | StoreFailed>
  readonly cancel: (key: string) => Effect.Effect<void, ExecutionNotFound | StoreFailed>
  readonly purge: (options: {
    readonly finishedOlderThanMillis: number
  }) => Effect.Effect<number, StoreFailed>
  /** Stops starting new attempts and waits (at most `shutdownTimeout`) for running ones; the store's close does it. */
  readonly suspend: Effect.Effect<void>
}

/** The one durable workflow every Weft execution runs as: its payload names what to run. */
export const WeftRun = Workflow.make("WeftRun", {
  payload: { key: Schema.String, definitionHash: Schema.String, paramsHash: Schema.String },
  idempotencyKey: (payload) => payload.key
})

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0
          )
        )
      : v
  )

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

const toNumber = (value: unknown): number => Number(value)

const infoOf = (row: ExecutionRow): ExecutionInfo => ({
  key: row.execution_key,
  workflowId: row.workflow_id,
  status: row.status as DurableStatus,
  definitionHash: row.definition_hash,
  createdAt: toNumber(row.created_at),
  ...(row.finished_at === null ? {} : { finishedAt: toNumber(row.finished_at) }),
  cancelRequested: Number(row.cancel_requested) !== 0
})

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const HEARTBEAT_MILLIS = 1_000
const STALE_MILLIS = 10_000

/** Takes the store's runner slot (one runner per SQLite file / PostgreSQL schema) and keeps it fresh. */
export const acquireRunnerSlot = (
  sql: SqlClient.SqlClient,
  store: string
): Effect.Effect<void, RunnerAlreadyActive | SqlError.SqlError, Scope.Scope> =>
  Effect.gen(function* () {
    const owner = `${hostname()}:${process.pid}:${randomUUID()}`
    const host = hostname()
    const take = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const rows = yield* sql<{ owner: string; pid: number; host: string; heartbeat_at: unknown }>`
        SELECT owner, pid, host, heartbeat_at FROM weft_runner WHERE id = 1`
      const current = rows[0]
      if (current !== undefined) {
        const fresh = now - toNumber(current.heartbeat_at) < STALE_MILLIS
        const deadHere = current.host === host && !pidAlive(Number(current.pid))
        if (fresh && !deadHere) {
          return yield* new RunnerAlreadyActive({
            store,
            owner: `${current.host} pid ${current.pid}`,
            message: `another runner (${current.host} pid ${current.pid}) holds ${store}; open it with runner: false to read statuses and send events, or stop that process`
          })
        }
        yield* sql`UPDATE weft_runner SET owner = ${owner}, pid = ${process.pid}, host = ${host}, heartbeat_at = ${now} WHERE id = 1`
      } else {
        yield* sql`INSERT INTO weft_runner (id, owner, pid, host, heartbeat_at) VALUES (1, ${owner}, ${process.pid}, ${host}, ${now})`
      }
    })
    yield* sql.withTransaction(
      sql.onDialectOrElse({
        pg: () =>
          Effect.andThen(
            sql`SELECT pg_advisory_xact_lock(hashtext('weft:runner:' || current_schema()))`,
            take
          ),
        orElse: () => take
      })
    )
    yield* Effect.addFinalizer(() =>
      Effect.ignore(sql`DELETE FROM weft_runner WHERE id = 1 AND owner = ${owner}`)
    )
    yield* Effect.forkScoped(
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.ignore(
          sql`UPDATE weft_runner SET heartbeat_at = ${now} WHERE id = 1 AND owner = ${owner}`
        )
      ).pipe(Effect.repeat(Schedule.spaced(HEARTBEAT_MILLIS)))
    )
  })

export const make = (
  config: StoreConfig
): Effect.Effect<
  Store,
  StoreFailed,
  SqlClient.SqlClient | Scope.Scope | WorkflowEngine.WorkflowEngine | Sandbox.Sandbox
> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const engine = yield* WorkflowEngine.WorkflowEngine
    const sandbox = yield* Effect.context<Sandbox.Sandbox>()
    return yield* makeWith(config, sql, engine, sandbox)
  })

/** A store opened with `runner: false`: statuses, results, events and cancel requests only. */
export const makeReader = (config: StoreConfig): Effect.Effect<Store, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql) => {
    const client = makeClient(config, sql, new Mailbox.Signals())
    return {
      start: () =>
        Effect.fail(
          new NotARunner({
            operation: "start",
            message: `${config.store} was opened with runner: false: it can read statuses and send events, not start executions`
          })
        ),
      result: client.result,
      status: client.status,
      list: client.list,
      send: client.send,
      cancel: client.cancel,
      purge: () =>
        Effect.fail(
          new StoreFailed({
            store: config.store,
            operation: "purge",
            message: "purge runs on the runner (runner: true)"
          })
        ),
      suspend: Effect.void
    }
  })

const failed =
  (store: string, operation: string) =>
  (error: SqlError.SqlError): StoreFailed =>
    new StoreFailed({ store, operation, message: error.message })

/** The operations that need only the tables (a client process: `runner: false`). */
export const makeClient = (
  config: { readonly store: string; readonly pollIntervalMillis: number },
  sql: SqlClient.SqlClient,
  signals: Mailbox.Signals
) => {
  const store = config.store
  const mailbox = Mailbox.make(sql, signals, config.pollIntervalMillis)

  const row = (key: string, operation: string) =>
    sql<ExecutionRow>`SELECT * FROM weft_executions WHERE execution_key = ${key}`.pipe(
      Effect.mapError(failed(store, operation)),
      Effect.flatMap((rows) =>
        rows[0] === undefined
          ? Effect.fail(
              new ExecutionNotFound({
                key,
                message: `no execution with key ${JSON.stringify(key)} in ${store}`
              })
            )
          : Effect.succeed(rows[0])
      )
    )

  const status = (key: string) => Effect.map(row(key, "status"), infoOf)

  const list = (filter: { readonly status?: DurableStatus } = {}) =>
    (filter.status === undefined
      ? sql<ExecutionRow>`SELECT * FROM weft_executions ORDER BY created_at, execution_key`
      : sql<ExecutionRow>`SELECT * FROM weft_executions WHERE status = ${filter.status} ORDER BY created_at, execution_key`
    ).pipe(
      Effect.map((rows) => rows.map(infoOf)),
      Effect.mapError(failed(store, "list"))
    )

  const result = (key: string) =>
    Effect.gen(function* () {
      while (true) {
        const current = yield* row(key, "result")
        if (current.error !== null) {
          return yield* Effect.fail(
            Schema.decodeUnknownSync(DefinitionCorrupted)(
              JSON.parse(current.error)
            ) as DefinitionCorrupted
          )
        }
        if (current.status !== "running" && current.result !== null)
          return decodeResult(JSON.parse(current.result))
        yield* signals.wait(`finished:${key}`, config.pollIntervalMillis)
      }
    })

  const send = (key: string, event: string, payload: Schema.Json = null) =>
    Effect.andThen(
      row(key, "send"),
      mailbox
        .send(key, event, payload)
        .pipe(Effect.mapError((e) => failed(store, "send")(e as SqlError.SqlError)))
    )

  const cancel = (key: string) =>
    Effect.andThen(
      row(key, "cancel"),
      sql`UPDATE weft_executions SET cancel_requested = 1 WHERE execution_key = ${key}`.pipe(
        Effect.mapError(failed(store, "cancel")),
        Effect.tap(() => Effect.sync(() => signals.notify(`cancel:${key}`)))
      )
    )

  return { row, status, list, result, send, cancel, mailbox }
}

const makeWith = (
  config: StoreConfig,
  sql: SqlClient.SqlClient,
  engine: WorkflowEngine.WorkflowEngine["Service"],
  sandbox: Context.Context<Sandbox.Sandbox>
): Effect.Effect<Store, StoreFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const store = config.store
    const signals = new Mailbox.Signals()
    const client = makeClient(config, sql, signals)
    // Closing the store (SIGINT/SIGTERM with `open`) suspends: no new attempt starts, running ones
    // get `shutdownTimeout` to finish, then the engine interrupts them (they re-run on resume).
    const runner = new JournalImpl.Runner()
    const metrics = yield* DurableMetrics.make(sql)
    const resources = RunnerResources.share(config.resources, yield* Effect.scope)
    yield* Effect.addFinalizer(() => runner.suspend(config.shutdownTimeoutMillis))

    const finish = (
      key: string,
      columns: {
        readonly status: string
        readonly result: string | null
        readonly error: string | null
      }
    ) =>
      Effect.flatMap(
        Clock.currentTimeMillis,
        (at) =>
          sql`UPDATE weft_executions SET status = ${columns.status}, result = ${columns.result}, error = ${columns.error},
              finished_at = ${at} WHERE execution_key = ${key} AND status = 'running'`
      ).pipe(
        Effect.tap(() => Effect.sync(() => signals.notify(`finished:${key}`))),
        Effect.orDie
      )

    const loadDefinition = (row: ExecutionRow) =>
      Effect.gen(function* () {
        const corrupted = (message: string) =>
          new DefinitionCorrupted({ key: row.execution_key, hash: row.definition_hash, message })
        const rows = yield* sql<{
          body: string
        }>`SELECT body FROM weft_definitions WHERE hash = ${row.definition_hash}`.pipe(Effect.orDie)
        const body = rows[0]?.body
        if (body === undefined)
          return yield* Effect.fail(
            corrupted(
              `the stored definition ${row.definition_hash} of execution ${row.execution_key} is missing`
            )
          )
        if (sha256(body) !== row.definition_hash) {
          return yield* Effect.fail(
            corrupted(
              `the stored definition of execution ${row.execution_key} does not match its hash ${row.definition_hash} (the store was edited or damaged)`
            )
          )
        }
        if (sha256(row.params) !== row.params_hash) {
          return yield* Effect.fail(
            corrupted(
              `the stored params of execution ${row.execution_key} do not match their hash ${row.params_hash}`
            )
          )
        }
        return yield* Effect.try({
          try: () => ({
            workflow: JSON.parse(body) as Runtime.Workflow,
            params: JSON.parse(row.params) as Runtime.Params
          }),
          catch: (error) =>
            corrupted(
              `the stored definition of execution ${row.execution_key} is not JSON: ${String(error)}`
            )
        })
      })

    const body = (payload: typeof WeftRun.payloadSchema.Type) =>
      Effect.gen(function* () {
        const key = payload.key
        const row = yield* client.row(key, "resume").pipe(Effect.orDie)
        const loaded = yield* Effect.result(loadDefinition(row))
        if (loaded._tag === "Failure") {
          yield* finish(key, {
            status: "failed",
            result: null,
            error: JSON.stringify(loaded.failure)
          })
          return
        }
        const { params } = loaded.success
        const context = yield* Effect.context<
          WorkflowEngine.WorkflowEngine | WorkflowEngine.WorkflowInstance
        >()
        const cancelled = yield* Deferred.make<void>()
        const { drain, journal } = JournalImpl.make({
          key,
          context,
          mailbox: client.mailbox,
          cancelled,
          runner
        })
        // The runtime reads the execution's start through the journal (`now:execution:started`,
        // recorded once): a resumed execution's duration and workflow timeout count from the
        // first start, downtime included.
        const workflow = loaded.success.workflow
        const durable: Journal.Journal = { open: () => Effect.succeed(metrics.counting(journal)) }
        const execution = yield* config.runtime
          .start(workflow, params, { executionId: key, resources })
          .pipe(
            Effect.provideService(Journal.CurrentJournal, durable),
            Effect.provideContext(sandbox)
          )
        const cancelRequested = Effect.gen(function* () {
          while (true) {
            const current = yield* client.row(key, "cancel").pipe(Effect.orDie)
            if (Number(current.cancel_requested) !== 0) return
            yield* signals.wait(`cancel:${key}`, config.pollIntervalMillis)
          }
        })
        const watcher = yield* Effect.forkChild(
          // The runtime marks the execution cancelled first; only then do live activities stop.
          cancelRequested.pipe(
            Effect.andThen(Effect.forkChild(execution.cancel, { startImmediately: true })),
            Effect.andThen(Deferred.succeed(cancelled, undefined))
          )
        )
        const result = yield* execution.result
        yield* Fiber.interrupt(watcher)
        // Shutting down: whatever the interrupted run returned is not this execution's result; the
        // next runner replays it from the journal. Wait here for the engine to interrupt the run.
        if (runner.suspending) return yield* Effect.never
        // Attempts still running when the execution ended (cancelled, timed out, failed fast) run
        // in the engine's fibers: stop them, and end once their finalizers ran.
        yield* Effect.andThen(Deferred.succeed(cancelled, undefined), drain)
        yield* finish(key, { status: result.status, result: JSON.stringify(result), error: null })
      })

    yield* engine.register(WeftRun, body)

    const start = (
      workflow: Runtime.Workflow,
      params: Runtime.Params = {},
      options: StartOptions = {}
    ) =>
      Effect.gen(function* () {
        if (!config.runner) {
          return yield* new NotARunner({
            operation: "start",
            message: `${store} was opened with runner: false: it can read statuses and send events, not start executions`
          })
        }
        const key = options.key ?? randomUUID()
        const definition = canonical(workflow)
        const definitionHash = sha256(definition)
        const paramsText = canonical(params)
        const paramsHash = sha256(paramsText)
        const payload = { key, definitionHash, paramsHash }
        const engineId = yield* WeftRun.executionId(payload)
        const now = yield* Clock.currentTimeMillis
        const write = sql.withTransaction(
          Effect.gen(function* () {
            yield* sql`INSERT INTO weft_definitions (hash, workflow_id, body) VALUES (${definitionHash}, ${workflow.id}, ${definition})
              ON CONFLICT DO NOTHING`
            const inserted = yield* sql<{ execution_key: string }>`INSERT INTO weft_executions
              (execution_key, workflow_id, definition_hash, params, params_hash, engine_id, status, created_at)
              VALUES (${key}, ${workflow.id}, ${definitionHash}, ${paramsText}, ${paramsHash}, ${engineId}, 'running', ${now})
              ON CONFLICT DO NOTHING RETURNING execution_key`
            if (inserted.length > 0) return false
            const existing =
              yield* sql<ExecutionRow>`SELECT * FROM weft_executions WHERE execution_key = ${key}`
            const found = existing[0]!
            if (found.definition_hash !== definitionHash || found.params_hash !== paramsHash) {
              const differs = found.definition_hash !== definitionHash ? "definition" : "params"
              return yield* new ExecutionKeyConflict({
                key,
                differs,
                message: `execution ${JSON.stringify(key)} already exists with a different ${differs === "definition" ? "workflow definition" : "set of params"}; use another key, or the same ${differs} to attach to it`
              })
            }
            return true
          })
        )
        const attached = yield* write.pipe(
          Effect.catchTag("SqlError", (error) => Effect.fail(failed(store, "start")(error)))
        )
        if (!attached)
          yield* engine.execute(WeftRun, { executionId: engineId, payload, discard: true })
        return { key, attached }
      })

    const purge = (options: { readonly finishedOlderThanMillis: number }) =>
      Effect.gen(function* () {
        const cutoff = (yield* Clock.currentTimeMillis) - options.finishedOlderThanMillis
        const rows = yield* sql<{
          execution_key: string
          engine_id: string
        }>`SELECT execution_key, engine_id FROM weft_executions
          WHERE status <> 'running' AND finished_at < ${cutoff}`
        for (const row of rows) {
          yield* sql.withTransaction(
            Effect.gen(function* () {
              yield* sql`DELETE FROM cluster_replies WHERE request_id IN (SELECT id FROM cluster_messages WHERE entity_id = ${row.engine_id})`
              yield* sql`DELETE FROM cluster_messages WHERE entity_id = ${row.engine_id}`
              yield* sql`DELETE FROM weft_events WHERE execution_key = ${row.execution_key}`
              yield* sql`DELETE FROM weft_waiters WHERE execution_key = ${row.execution_key}`
              yield* sql`DELETE FROM weft_executions WHERE execution_key = ${row.execution_key}`
            })
          )
        }
        // Definitions no execution refers to any more.
        yield* sql`DELETE FROM weft_definitions WHERE hash NOT IN (SELECT definition_hash FROM weft_executions)`
        return rows.length
      }).pipe(Effect.mapError(failed(store, "purge")))

    if (config.runner && config.resume) {
      // Stalled-execution recovery: every execution still running resumes on this runner.
      const running =
        yield* sql<ExecutionRow>`SELECT * FROM weft_executions WHERE status = 'running'`.pipe(
          Effect.mapError(failed(store, "resume"))
        )
      for (const row of running) {
        yield* engine.execute(WeftRun, {
          executionId: row.engine_id,
          payload: {
            key: row.execution_key,
            definitionHash: row.definition_hash,
            paramsHash: row.params_hash
          },
          discard: true
        })
      }
      yield* metrics.resumed(running.length)
    }
    if (config.retention !== undefined) {
      const retention = config.retention
      yield* Effect.forkScoped(
        Effect.ignore(purge({ finishedOlderThanMillis: retention.finishedOlderThanMillis })).pipe(
          Effect.repeat(Schedule.spaced(retention.everyMillis))
        )
      )
    }

    return {
      start,
      result: client.result,
      status: client.status,
      list: client.list,
      send: client.send,
      cancel: client.cancel,
      purge,
      suspend: runner.suspend(config.shutdownTimeoutMillis)
    }
  })
