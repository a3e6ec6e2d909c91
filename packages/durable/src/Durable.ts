/**
 * Durable Weft executions on Effect's workflow engine (`effect/workflow` + the cluster workflow
 * engine + `effect/sql`): an execution survives a crash, a deploy or a power cut and resumes
 * where it stopped when a runner opens the store again.
 *
 * - One execution = one durable workflow execution, named by its **key**. `start` with the same
 *   key, definition and params attaches to it; with a different definition or params it fails
 *   with `ExecutionKeyConflict`.
 * - Each node attempt is one activity `(nodeId, iteration, attempt)` whose record (output or
 *   typed error, timing, trace events) is stored: finished attempts are replayed, not re-run; the
 *   attempt that was running when the process died runs again (at least once), with the same
 *   idempotency key (`ctx.idempotencyKey`, or the global `idempotencyKey` in code nodes).
 * - Retry waits and the workflow timeout count wall-clock time, downtime included.
 * - Stores: a SQLite file (`layerSqlite`, embedded, one runner process per file) or a
 *   PostgreSQL schema (`layerPostgres`).
 *
 * The Effect modules underneath are marked unstable by Effect.
 *
 * @since 0.1.0
 */
import { PgClient } from "@effect/sql-pg"
import { type Resource, Runtime } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import { Context, Effect, Exit, Layer, Redacted, type Schema, Scope } from "effect"
import { ClusterWorkflowEngine, SingleRunner } from "effect/cluster"
import { Digest } from "effect/crypto"
import { SqlClient, type SqlError } from "effect/sql"
import {
  type DefinitionCorrupted,
  type ExecutionKeyConflict,
  type ExecutionNotFound,
  type NotARunner,
  type OpenError,
  StoreFailed,
  StoreNotADatabase,
  StoreUnreachable
} from "./DurableError.js"
import * as Sqlite from "./internal/sqliteClient.js"
import * as Store from "./internal/store.js"
import * as Tables from "./internal/tables.js"

/**
 * Where an execution stands: `running` (including suspended while no runner is up), or the
 * runtime's final status.
 *
 * @example
 * ```ts
 * import type { Durable } from "@weft/durable"
 * const done = (status: Durable.Status) => status !== "running"
 * ```
 * @since 0.1.0
 * @category models
 */
export type Status = Store.DurableStatus

/**
 * What the store knows of an execution.
 *
 * @example
 * ```ts
 * import type { Durable } from "@weft/durable"
 * const line = (info: Durable.ExecutionInfo) => `${info.key} ${info.workflowId} ${info.status}`
 * ```
 * @since 0.1.0
 * @category models
 */
export type ExecutionInfo = Store.ExecutionInfo

/**
 * Options of `start`.
 *
 * @example
 * ```ts
 * import type { Durable } from "@weft/durable"
 * const options: Durable.StartOptions = { key: "order-42" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface StartOptions {
  /** The execution key (default: a random UUID). Starting again with it attaches. */
  readonly key?: string
}

/**
 * A started (or attached) execution.
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * import { Effect } from "effect"
 * declare const workflow: Parameters<typeof Durable.start>[0]
 * const program = Effect.gen(function* () {
 *   const execution = yield* Durable.start(workflow, {}, { key: "order-42" })
 *   return yield* execution.result
 * })
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Execution {
  readonly key: string
  /** Whether `start` attached to an execution that already existed under this key. */
  readonly attached: boolean
  readonly result: Effect.Effect<
    Runtime.ExecutionResult,
    ExecutionNotFound | DefinitionCorrupted | StoreFailed
  >
}

/**
 * The durable store service (from `layerSqlite` / `layerPostgres`).
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * import { Effect } from "effect"
 * const running = Effect.flatMap(Durable.Durable, (store) => store.list({ status: "running" }))
 * ```
 * @since 0.1.0
 * @category models
 */
export class Durable extends Context.Service<Durable, Store.Store>()("@weft/durable/Durable") {}

/**
 * Options shared by both stores.
 *
 * @example
 * ```ts
 * import type { Durable } from "@weft/durable"
 * import { type Resource, Runtime } from "@weft/runtime"
 * const options: Durable.StoreOptions = {
 *   runtime: Runtime.make({ functions: { charge: async () => ({ ok: true }) } }),
 *   retention: { finishedOlderThan: 7 * 24 * 3_600_000 }
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface StoreOptions {
  /** Functions and resources of the executions (default: an empty `Runtime.make()`). */
  readonly runtime?: Runtime.Runtime
  /**
   * Resources that belong to the runner process: each recipe (`Resource.make/effect/layer`) is
   * acquired once, on first use by any execution, and released when the store closes. They add
   * to (and override) the `runtime`'s, whose lifetime is per execution.
   */
  readonly resources?: { readonly [name: string]: Resource.ResourceInput }
  /** Run executions in this process (default true). `false`: read statuses, send events, request cancels only. */
  readonly runner?: boolean
  /** Resume unfinished executions when the store opens (default true; runners only). */
  readonly resume?: boolean
  /** How often waits on other processes (results, events, cancels) poll the store, ms (default 200). */
  readonly pollInterval?: number
  /** Delete finished executions older than `finishedOlderThan` ms, every `every` ms (default hourly). A deleted key can start again. */
  readonly retention?: { readonly finishedOlderThan: number; readonly every?: number }
  /** At `close` (and SIGINT/SIGTERM), how long running attempts may finish before they are interrupted, ms (default 5 000). Interrupted ones re-run on resume. Closing the layer's scope directly gives them 1 s. */
  readonly shutdownTimeout?: number
  /** The sandbox for code nodes (default `Sandbox.layerQuickJs()`), built once per runner. */
  readonly sandbox?: Layer.Layer<Sandbox.Sandbox>
}

const configOf = (store: string, options: StoreOptions): Store.StoreConfig => ({
  store,
  runtime: options.runtime ?? Runtime.make(),
  runner: options.runner ?? true,
  resume: options.resume ?? true,
  pollIntervalMillis: options.pollInterval ?? 200,
  shutdownTimeoutMillis: options.shutdownTimeout ?? 5_000,
  resources: options.resources ?? {},
  retention:
    options.retention === undefined
      ? undefined
      : {
          finishedOlderThanMillis: options.retention.finishedOlderThan,
          everyMillis: options.retention.every ?? 3_600_000
        }
})

const build = (
  config: Store.StoreConfig,
  sql: Layer.Layer<SqlClient.SqlClient, OpenError>,
  options: StoreOptions,
  shardingConfig: { readonly shardLockDisableAdvisory?: boolean }
): Layer.Layer<Durable, OpenError> => {
  const failed = (operation: string) => (error: SqlError.SqlError) =>
    new StoreFailed({ store: config.store, operation, message: error.message })
  const prepared: Layer.Layer<never, OpenError, SqlClient.SqlClient> = Layer.effectDiscard(
    Effect.gen(function* () {
      const client = yield* SqlClient.SqlClient
      yield* Tables.migrate(client).pipe(Effect.mapError(failed("migrate")))
      if (config.runner) {
        yield* Store.acquireRunnerSlot(client, config.store).pipe(
          Effect.catchTag("SqlError", (error) =>
            Effect.fail(failed("acquire the runner slot")(error))
          )
        )
      }
    })
  )
  if (!config.runner) {
    return Layer.effect(Durable, Store.makeReader(config)).pipe(
      Layer.provide(prepared),
      Layer.provide(sql)
    )
  }
  const engine = ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(
      SingleRunner.layer({
        runnerStorage: "sql",
        shardingConfig: {
          entityMessagePollInterval: config.pollIntervalMillis,
          entityReplyPollInterval: config.pollIntervalMillis,
          // `close` first lets running attempts finish (`shutdownTimeout`); then the engine stops.
          entityTerminationTimeout: 1_000,
          ...shardingConfig
        }
      })
    ),
    Layer.provide(Digest.layerWebCrypto),
    // ShardingConfig also reads the environment; a malformed variable there is a setup defect.
    Layer.orDie
  )
  return Layer.effect(Durable, Store.make(config)).pipe(
    Layer.provide(engine),
    Layer.provide(options.sandbox ?? Sandbox.layerQuickJs()),
    Layer.provide(prepared),
    Layer.provide(sql)
  )
}

const sqliteError = (filename: string, cause: unknown): OpenError => {
  const code = (cause as { errcode?: unknown }).errcode
  const message = cause instanceof Error ? cause.message : String(cause)
  if (code === 26)
    return new StoreNotADatabase({
      store: filename,
      message: `${filename} is not a SQLite database (${message}); nothing was written to it`
    })
  if (code === 14)
    return new StoreUnreachable({ store: filename, message: `cannot open ${filename}: ${message}` })
  return new StoreFailed({ store: filename, operation: "open", message })
}

/**
 * A store on a SQLite file (created if missing), through `node:sqlite` (Node >= 22.13). One
 * runner process per file: a second one fails with `RunnerAlreadyActive`; processes opened with
 * `runner: false` may read statuses and send events meanwhile.
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * import { type Resource, Runtime } from "@weft/runtime"
 * import { Effect } from "effect"
 * declare const workflow: Runtime.Workflow
 * const program = Effect.gen(function* () {
 *   const execution = yield* Durable.start(workflow, { orderId: 42 }, { key: "order-42" })
 *   return yield* execution.result
 * }).pipe(Effect.provide(Durable.layerSqlite({ filename: "runs.db", runtime: Runtime.make() })))
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerSqlite = (
  options: StoreOptions & { readonly filename: string }
): Layer.Layer<Durable, OpenError> => {
  const sql = Layer.effect(
    SqlClient.SqlClient,
    Effect.flatMap(
      Effect.try({
        try: () => Sqlite.openDatabase({ filename: options.filename }),
        catch: (cause) => sqliteError(options.filename, cause)
      }),
      Sqlite.make
    )
  ).pipe(Layer.provide(Sqlite.reactivity))
  return build(configOf(options.filename, options), sql, options, {})
}

/**
 * A store on PostgreSQL (`@effect/sql-pg`), in `schema` (default `public`; created if missing).
 * Shard locks are rows of the schema's own tables (no server-wide advisory locks), so stores in
 * different schemas of one database never interfere.
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * const layer = Durable.layerPostgres({ url: "postgres://postgres@127.0.0.1:5432/app", schema: "weft" })
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerPostgres = (
  options: StoreOptions & { readonly url: string; readonly schema?: string }
): Layer.Layer<Durable, OpenError> => {
  const schema = options.schema ?? "public"
  const display = redactUrl(options.url) + (schema === "public" ? "" : ` (schema ${schema})`)
  const unreachable = (error: { readonly message: string }) =>
    new StoreUnreachable({
      store: display,
      message: `cannot reach PostgreSQL at ${display}: ${error.message}`
    })
  const quoted = `"${schema.replaceAll('"', '""')}"`
  const sql = Layer.effect(
    SqlClient.SqlClient,
    Effect.gen(function* () {
      // A short-lived connection creates the schema; the store's pool then lives in it.
      yield* Effect.scoped(
        Effect.flatMap(
          PgClient.make({
            url: Redacted.make(options.url),
            connectTimeout: "5 seconds",
            maxConnections: 1
          }),
          (admin) => admin.unsafe(`CREATE SCHEMA IF NOT EXISTS ${quoted}`).raw
        )
      )
      return yield* PgClient.make({
        url: Redacted.make(options.url),
        connectTimeout: "5 seconds",
        startupParameters: { search_path: schema }
      })
    }).pipe(Effect.mapError(unreachable))
  ).pipe(Layer.provide(Sqlite.reactivity))
  return build(configOf(display, options), sql, options, { shardLockDisableAdvisory: true })
}

const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return "postgres://(unparsable url)"
  }
}

/**
 * Starts an execution of `workflow` (or attaches to the one already under `options.key`).
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * import { type Resource, Runtime } from "@weft/runtime"
 * import { Effect } from "effect"
 * declare const workflow: Runtime.Workflow
 * const program = Effect.flatMap(Durable.start(workflow, { id: 1 }, { key: "job-1" }), (execution) => execution.result)
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const start = (
  workflow: Runtime.Workflow,
  params?: Runtime.Params,
  options?: StartOptions
): Effect.Effect<Execution, ExecutionKeyConflict | NotARunner | StoreFailed, Durable> =>
  Effect.flatMap(Durable, (store) =>
    Effect.map(store.start(workflow, params, options), ({ key, attached }) => ({
      key,
      attached,
      result: store.result(key)
    }))
  )

/**
 * Waits for the execution's result (from any process that can open the store).
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * const program = Durable.result("order-42")
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const result = (
  key: string
): Effect.Effect<
  Runtime.ExecutionResult,
  ExecutionNotFound | DefinitionCorrupted | StoreFailed,
  Durable
> => Effect.flatMap(Durable, (store) => store.result(key))

/**
 * What the store knows of one execution.
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * const program = Durable.status("order-42")
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const status = (
  key: string
): Effect.Effect<ExecutionInfo, ExecutionNotFound | StoreFailed, Durable> =>
  Effect.flatMap(Durable, (store) => store.status(key))

/**
 * Executions in the store, oldest first, optionally of one status.
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * const program = Durable.list({ status: "running" })
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const list = (filter?: {
  readonly status?: Status
}): Effect.Effect<ReadonlyArray<ExecutionInfo>, StoreFailed, Durable> =>
  Effect.flatMap(Durable, (store) => store.list(filter))

/**
 * Sends an event to an execution: the oldest waiting `event` node of that name takes it; if none
 * waits yet, the event is kept until one does (one event completes one waiter).
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * const program = Durable.send("order-42", "approved", { by: "ana" })
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const send = (
  key: string,
  event: string,
  payload?: Schema.Json
): Effect.Effect<void, ExecutionNotFound | StoreFailed, Durable> =>
  Effect.flatMap(Durable, (store) => store.send(key, event, payload))

/**
 * Requests cancellation: the runner interrupts the execution (finalizers run) and records its
 * `cancelled` result. The only way to cancel; process shutdown suspends instead.
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * import { Effect } from "effect"
 * const program = Effect.andThen(Durable.cancel("order-42"), Durable.result("order-42"))
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const cancel = (
  key: string
): Effect.Effect<void, ExecutionNotFound | StoreFailed, Durable> =>
  Effect.flatMap(Durable, (store) => store.cancel(key))

/**
 * Deletes finished executions older than `finishedOlderThan` ms (Weft's rows and the engine's
 * messages); returns how many. Their keys can start again.
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * const program = Durable.purge({ finishedOlderThan: 30 * 24 * 3_600_000 })
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const purge = (options: {
  readonly finishedOlderThan: number
}): Effect.Effect<number, StoreFailed, Durable> =>
  Effect.flatMap(Durable, (store) =>
    store.purge({ finishedOlderThanMillis: options.finishedOlderThan })
  )

/**
 * The Promise facade of an open store.
 *
 * @example
 * ```ts
 * import type { Durable } from "@weft/durable"
 * declare const store: Durable.DurableStore
 * const key = await store.start({ id: "w", nodes: [], connections: [], loops: [], settings: { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast" } })
 * ```
 * @since 0.1.0
 * @category models
 */
export interface DurableStore {
  /** Starts (or attaches to) an execution; resolves with its key. */
  readonly start: (
    workflow: Runtime.Workflow,
    params?: Runtime.Params,
    options?: StartOptions
  ) => Promise<string>
  readonly result: (key: string) => Promise<Runtime.ExecutionResult>
  readonly status: (key: string) => Promise<ExecutionInfo>
  readonly list: (filter?: { readonly status?: Status }) => Promise<ReadonlyArray<ExecutionInfo>>
  readonly send: (key: string, event: string, payload?: Schema.Json) => Promise<void>
  readonly cancel: (key: string) => Promise<void>
  readonly purge: (options: { readonly finishedOlderThan: number }) => Promise<number>
  /** Closes the store; unfinished executions are suspended (they resume on the next open). */
  readonly close: () => Promise<void>
}

/**
 * Options of `open`: one store, plus whether SIGINT/SIGTERM close it (default true for runners:
 * executions suspend, then the signal is raised again so the process ends as it would have).
 *
 * @example
 * ```ts
 * import type { Durable } from "@weft/durable"
 * const options: Durable.OpenOptions = { sqlite: { filename: "runs.db" } }
 * ```
 * @since 0.1.0
 * @category models
 */
export type OpenOptions = StoreOptions & { readonly handleSignals?: boolean } & (
    | { readonly sqlite: { readonly filename: string } }
    | { readonly postgres: { readonly url: string; readonly schema?: string } }
  )

/**
 * Opens a store (Promise facade). Rejects with the typed open error.
 *
 * @example
 * ```ts
 * import { Durable } from "@weft/durable"
 * import { type Resource, Runtime } from "@weft/runtime"
 * declare const workflow: Runtime.Workflow
 * const store = await Durable.open({ sqlite: { filename: "runs.db" }, runtime: Runtime.make() })
 * const key = await store.start(workflow, {}, { key: "nightly-2026-12-04" })
 * console.log((await store.result(key)).status)
 * await store.close()
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const open = async (options: OpenOptions): Promise<DurableStore> => {
  const layer =
    "sqlite" in options
      ? layerSqlite({ ...options, ...options.sqlite })
      : layerPostgres({ ...options, ...options.postgres })
  const scope = await Effect.runPromise(ScopeMake)
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope)).catch(
    async (error: unknown) => {
      await Effect.runPromise(ScopeClose(scope))
      throw error
    }
  )
  const store = Context.get(context, Durable)
  const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
  let closed: Promise<void> | undefined
  const close = () => {
    closed ??= (async () => {
      for (const [signal, handler] of handlers) process.off(signal, handler)
      await Effect.runPromise(store.suspend)
      await Effect.runPromise(ScopeClose(scope))
    })()
    return closed
  }
  const handlers: Array<[NodeJS.Signals, () => void]> = []
  if ((options.handleSignals ?? true) && (options.runner ?? true)) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const handler = () => {
        void close().finally(() => process.kill(process.pid, signal))
      }
      handlers.push([signal, handler])
      process.once(signal, handler)
    }
  }
  return {
    start: (workflow, params, startOptions) =>
      run(Effect.map(store.start(workflow, params, startOptions), ({ key }) => key)),
    result: (key) => run(store.result(key)),
    status: (key) => run(store.status(key)),
    list: (filter) => run(store.list(filter)),
    send: (key, event, payload) => run(store.send(key, event, payload)),
    cancel: (key) => run(store.cancel(key)),
    purge: (purgeOptions) =>
      run(store.purge({ finishedOlderThanMillis: purgeOptions.finishedOlderThan })),
    close
  }
}

const ScopeMake: Effect.Effect<Scope.Closeable> = Scope.make()
const ScopeClose = (scope: Scope.Closeable) => Scope.close(scope, Exit.void)
