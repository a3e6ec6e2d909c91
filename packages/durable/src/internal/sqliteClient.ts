// A `SqlClient` on `node:sqlite` (Node >= 22.13). The published `@effect/sql-sqlite-node` has no
// release for effect 4.1 (its 4.0 betas import `effect/unstable/*`, which moved), so this is a
// port of its client (MIT, Effect contributors) to the 4.1 module paths, trimmed to what the
// cluster's SQL storage and Weft's own tables use: one serialized connection, a prepared-statement
// cache, WAL, a busy timeout so other processes (status readers, event senders) wait for the
// writer instead of failing, and `BEGIN IMMEDIATE` so a transaction takes the write lock up front.
import { DatabaseSync, type StatementSync } from "node:sqlite"
import { Context, Effect, Fiber, Layer, Scope, Semaphore, Stream } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient, type SqlConnection, SqlError, Statement } from "effect/sql"

export interface SqliteOptions {
  readonly filename: string
  readonly readonly?: boolean
  /** `normal` (default): commits survive a process crash; `full`: also a power cut (an fsync per commit). */
  readonly synchronous?: "normal" | "full"
  /** Milliseconds a statement waits for another process's write lock (default 5 000). */
  readonly busyTimeoutMillis?: number
}

const classify = (cause: unknown, message: string, operation: string) => {
  if (typeof cause === "object" && cause !== null && "errcode" in cause && !("errno" in cause)) {
    Object.assign(cause, { errno: (cause as { readonly errcode: unknown }).errcode })
  }
  return new SqlError.SqlError({
    reason: SqlError.classifySqliteError(cause, { message, operation })
  })
}

type Params = Array<never>

/** Opens the database file (synchronously, so "not a database" surfaces here) and checks it. */
export const openDatabase = (options: SqliteOptions): DatabaseSync => {
  const db = new DatabaseSync(options.filename, { readOnly: options.readonly ?? false })
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMillis ?? 5_000))}`)
    // Reading the schema fails with SQLITE_NOTADB on a file that is not a SQLite database.
    db.prepare("SELECT count(*) AS n FROM sqlite_master").get()
    if (options.readonly !== true) {
      db.exec("PRAGMA journal_mode = WAL")
      // WAL + NORMAL: every commit survives a process crash; a power cut may lose the last
      // commits (the file stays consistent). FULL also fsyncs every commit.
      db.exec(`PRAGMA synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`)
    }
  } catch (cause) {
    db.close()
    throw cause
  }
  return db
}

/** Builds the client on an open database; closing the scope closes the database. */
export const make = (
  db: DatabaseSync
): Effect.Effect<SqlClient.SqlClient, never, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function* () {
    yield* Effect.addFinalizer(() => Effect.sync(() => db.isOpen && db.close()))
    const compiler = Statement.makeCompilerSqlite()
    const cache = new Map<string, StatementSync>()
    const prepare = (sql: string) =>
      Effect.try({
        try: () => {
          let statement = cache.get(sql)
          if (statement === undefined) {
            statement = db.prepare(sql)
            if (cache.size >= 500) cache.delete(cache.keys().next().value as string)
            cache.set(sql, statement)
          }
          return statement
        },
        catch: (cause) => classify(cause, "Failed to prepare statement", "prepare")
      })

    const run = (
      statement: StatementSync,
      params: ReadonlyArray<unknown>,
      mode: "rows" | "raw" | "values"
    ) =>
      Effect.withFiber<ReadonlyArray<never>, SqlError.SqlError>((fiber) =>
        Effect.try({
          try: () => {
            statement.setReadBigInts(Context.get(fiber.context, SqlClient.SafeIntegers))
            statement.setReturnArrays(mode === "values")
            try {
              if (statement.columns().length > 0)
                return statement.all(...(params as Params)) as Array<never>
              const result = statement.run(...(params as Params))
              return (
                mode === "raw"
                  ? { changes: result.changes, lastInsertRowid: result.lastInsertRowid }
                  : []
              ) as Array<never>
            } finally {
              if (mode === "values") statement.setReturnArrays(false)
            }
          },
          catch: (cause) => classify(cause, "Failed to execute statement", "execute")
        })
      )

    const unprepared = (sql: string) =>
      Effect.try({
        try: () => db.prepare(sql),
        catch: (cause) => classify(cause, "Failed to prepare statement", "prepare")
      })

    const connection: SqlConnection.Connection = {
      execute: (sql, params, transformRows) =>
        Effect.flatMap(prepare(sql), (s) => run(s, params, "rows")).pipe(
          transformRows === undefined ? (e) => e : Effect.map(transformRows)
        ),
      executeRaw: (sql, params) => Effect.flatMap(prepare(sql), (s) => run(s, params, "raw")),
      executeValues: (sql, params) => Effect.flatMap(prepare(sql), (s) => run(s, params, "values")),
      executeValuesUnprepared: (sql, params) =>
        Effect.flatMap(unprepared(sql), (s) => run(s, params, "values")),
      executeUnprepared: (sql, params, transformRows) =>
        Effect.flatMap(unprepared(sql), (s) => run(s, params ?? [], "rows")).pipe(
          transformRows === undefined ? (e) => e : Effect.map(transformRows)
        ),
      executeStream: () => Stream.die("executeStream is not supported by Weft's node:sqlite client")
    }

    const semaphore = yield* Semaphore.make(1)
    const acquirer = semaphore.withPermits(1)(Effect.succeed(connection))
    // A transaction holds the only connection until its scope closes.
    const transactionAcquirer = Effect.uninterruptibleMask((restore) => {
      const fiber = Fiber.getCurrent()!
      const scope = Context.getUnsafe(fiber.context, Scope.Scope)
      return Effect.as(
        Effect.tap(restore(semaphore.take(1)), () =>
          Scope.addFinalizer(scope, semaphore.release(1))
        ),
        connection
      )
    })
    return yield* SqlClient.make({
      acquirer,
      transactionAcquirer,
      compiler,
      driver: "sqlite-node",
      beginTransaction: "BEGIN IMMEDIATE",
      spanAttributes: [["db.system.name", "sqlite"]]
    })
  })

/** What `make` needs besides the database. */
export const reactivity = Reactivity.layer

/** The client as a layer (tests, tools): opens `filename`, closes it with the layer. */
export const layer = (
  options: SqliteOptions
): Layer.Layer<SqlClient.SqlClient, SqlError.SqlError> =>
  Layer.effect(
    SqlClient.SqlClient,
    Effect.flatMap(
      Effect.try({
        try: () => openDatabase(options),
        catch: (cause) => classify(cause, `Cannot open ${options.filename}`, "open")
      }),
      make
    )
  ).pipe(Layer.provide(Reactivity.layer))
