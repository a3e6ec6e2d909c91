import { writeFileSync, readFileSync } from "node:fs"
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import { Resource, Runtime } from "@weft/runtime"
import { Deferred, Effect, Exit, Layer } from "effect"
import { Durable, type DurableError } from "../src/index.js"
import { connect, postgresUrl, schemaName, task, storeLocations, workflow } from "./helpers.js"

const dirs = storeLocations()

const counting = () => {
  const calls: Record<string, number> = {}
  const runtime = Runtime.make({
    functions: {
      a: ({ base }: { base: number }) => {
        calls.a = (calls.a ?? 0) + 1
        return { n: base }
      },
      b: ({ n }: { n: number }) => {
        calls.b = (calls.b ?? 0) + 1
        return { n: n + 1 }
      }
    }
  })
  return { calls, runtime }
}

const sum = workflow("sum", [task("a"), task("b")], [connect("a", "n", "b", "n")])

const failure = <E>(exit: Exit.Exit<unknown, E>): E => {
  assert.isTrue(Exit.isFailure(exit))
  const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
  assert.isDefined(error, `expected a typed failure, got ${String(exit)}`)
  return (error as unknown as { readonly error: E }).error
}

const stores = {
  sqlite: (name: string, options: Durable.StoreOptions = {}) =>
    Durable.layerSqlite({ filename: dirs.file(`${name}.db`), ...options }),
  postgres: (name: string, options: Durable.StoreOptions = {}) =>
    Durable.layerPostgres({ url: postgresUrl, schema: schemaName(name), ...options })
}

for (const [kind, store] of Object.entries(stores)) {
  describe(`Durable store (${kind})`, () => {
    it.live("20 concurrent starts with one key make one execution; the other 19 attach", () => {
      const { calls, runtime } = counting()
      return Effect.gen(function* () {
        const starts = yield* Effect.all(
          Array.from({ length: 20 }, () => Durable.start(sum, { base: 1 }, { key: "race" })),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(starts.filter((s) => !s.attached).length, 1)
        const results = yield* Effect.all(
          starts.map((s) => s.result),
          { concurrency: "unbounded" }
        )
        for (const result of results) assert.deepStrictEqual(result.outputs.b, { n: 2 })
        assert.deepStrictEqual(calls, { a: 1, b: 1 })
        assert.strictEqual((yield* Durable.list()).length, 1)
      }).pipe(Effect.provide(store("race", { runtime })))
    })

    it.live("the same key with other params or another definition is an ExecutionKeyConflict", () =>
      Effect.gen(function* () {
        const first = yield* Durable.start(sum, { base: 1 }, { key: "k" })
        yield* first.result
        const params = failure(yield* Effect.exit(Durable.start(sum, { base: 2 }, { key: "k" })))
        assert.strictEqual(params._tag, "ExecutionKeyConflict")
        assert.strictEqual((params as DurableError.ExecutionKeyConflict).differs, "params")
        const other = workflow(
          "sum",
          [task("a"), task("b", { timeout: 5_000 })],
          [connect("a", "n", "b", "n")]
        )
        const definition = failure(
          yield* Effect.exit(Durable.start(other, { base: 1 }, { key: "k" }))
        )
        assert.strictEqual((definition as DurableError.ExecutionKeyConflict).differs, "definition")
        // attaching with the same definition and params still works (key order does not matter)
        const again = yield* Durable.start(
          { ...sum, settings: { ...sum.settings } },
          { base: 1 },
          { key: "k" }
        )
        assert.isTrue(again.attached)
      }).pipe(Effect.provide(store("conflict", counting())))
    )

    it.live("cancel(key) interrupts a running execution, which records a cancelled result", () =>
      Effect.gen(function* () {
        const started = yield* Deferred.make<void>()
        let released = false
        const runtime = Runtime.make({
          functions: {
            wait: (_: unknown, context: Runtime.TaskContext) =>
              new Promise((resolve) => {
                Deferred.doneUnsafe(started, Exit.void)
                context.signal.addEventListener("abort", () => {
                  released = true
                  resolve(null)
                })
              })
          }
        })
        yield* Effect.gen(function* () {
          const execution = yield* Durable.start(
            workflow("blocked", [task("wait")]),
            {},
            { key: "to-cancel" }
          )
          yield* Deferred.await(started)
          yield* Durable.cancel("to-cancel")
          const result = yield* execution.result
          assert.strictEqual(result.status, "cancelled")
          assert.isTrue(released, "the running task saw its abort signal")
          assert.strictEqual((yield* Durable.status("to-cancel")).status, "cancelled")
        }).pipe(Effect.provide(store("cancel", { runtime })))
      })
    )

    it.live("purge deletes finished executions; the key can start again", () => {
      const { calls, runtime } = counting()
      return Effect.gen(function* () {
        yield* Effect.flatMap(Durable.start(sum, { base: 1 }, { key: "old" }), (e) => e.result)
        assert.strictEqual(yield* Durable.purge({ finishedOlderThan: 60_000 }), 0)
        assert.strictEqual(yield* Durable.purge({ finishedOlderThan: -1 }), 1)
        const missing = failure(yield* Effect.exit(Durable.status("old")))
        assert.strictEqual(missing._tag, "ExecutionNotFound")
        const again = yield* Durable.start(sum, { base: 1 }, { key: "old" })
        assert.isFalse(again.attached)
        yield* again.result
        assert.deepStrictEqual(calls, { a: 2, b: 2 })
        assert.deepStrictEqual(
          (yield* Durable.list({ status: "succeeded" })).map((i) => i.key),
          ["old"]
        )
      }).pipe(Effect.provide(store("purge", { runtime })))
    })
  })
}

describe("events", () => {
  it.live(
    "an event sent through another store handle reaches a waiting event node; two waiters take one event each",
    () =>
      Effect.gen(function* () {
        const filename = dirs.file("events.db")
        const wf = workflow(
          "approvals",
          [
            { kind: "event", id: "first", event: "approved" } as never,
            { kind: "event", id: "second", event: "approved" } as never,
            task("after")
          ],
          [connect("first", "by", "after", "a"), connect("second", "by", "after", "b")]
        )
        const runtime = Runtime.make({
          functions: { after: ({ a, b }: { a: string; b: string }) => ({ both: [a, b].sort() }) }
        })
        yield* Effect.gen(function* () {
          const execution = yield* Durable.start(wf, {}, { key: "two-approvals" })
          // a reader handle (runner: false) has its own wake-ups: the runner sees its sends by polling
          yield* Effect.gen(function* () {
            yield* Durable.send("two-approvals", "approved", { by: "ana" })
            yield* Durable.send("two-approvals", "approved", { by: "bo" })
          }).pipe(Effect.provide(Durable.layerSqlite({ filename, runner: false })))
          const result = yield* execution.result
          assert.strictEqual(result.status, "succeeded")
          assert.deepStrictEqual(result.outputs.after, { both: ["ana", "bo"] })
        }).pipe(Effect.provide(Durable.layerSqlite({ filename, runtime, pollInterval: 50 })))
      })
  )
})

describe("wall-clock time", () => {
  it.live(
    "the workflow timeout counts downtime: an execution resumed after its deadline times out at once",
    () =>
      Effect.gen(function* () {
        const filename = dirs.file("downtime.db")
        const started = yield* Deferred.make<void>()
        const hang = (signal: AbortSignal) =>
          new Promise((resolve) => {
            Deferred.doneUnsafe(started, Exit.void)
            signal.addEventListener("abort", () => resolve(null))
          })
        const runtime = Runtime.make({
          functions: { slow: (_: unknown, context: Runtime.TaskContext) => hang(context.signal) }
        })
        const wf = workflow("deadline", [task("slow")], [], { timeout: 3_000 })
        // 1. start it and close the store while `slow` hangs (suspended, still running)
        yield* Effect.gen(function* () {
          yield* Durable.start(wf, {}, { key: "late" })
          yield* Deferred.await(started)
        }).pipe(Effect.provide(Durable.layerSqlite({ filename, runtime, shutdownTimeout: 100 })))
        // 2. stay down past the deadline
        yield* Effect.sleep(3_500)
        // 3. the next runner resumes it: the 3 s were spent while it was down
        const startedAt = Date.now()
        const result = yield* Durable.result("late").pipe(
          Effect.provide(Durable.layerSqlite({ filename, runtime }))
        )
        assert.strictEqual(result.status, "timed-out")
        assert.deepStrictEqual(
          result.errors.map((e) => e._tag),
          ["WorkflowTimedOut"]
        )
        assert.isBelow(
          Date.now() - startedAt,
          3_000,
          "it did not wait a fresh 3 s after the restart"
        )
      })
  )
})

describe("resumed executions", () => {
  it.live(
    "a resumed execution keeps its replayed nodes' recorded times and counts from its first start",
    () =>
      Effect.gen(function* () {
        const filename = dirs.file("resumed-times.db")
        const started = yield* Deferred.make<void>()
        let slowCalls = 0
        const runtime = Runtime.make({
          functions: {
            a: () => ({ n: 1 }),
            slow: (_: unknown, context: Runtime.TaskContext) => {
              slowCalls++
              if (slowCalls > 1) return { done: true }
              return new Promise((resolve) => {
                Deferred.doneUnsafe(started, Exit.void)
                context.signal.addEventListener("abort", () => resolve(null))
              })
            }
          }
        })
        const wf = workflow(
          "resumed-times",
          [task("a"), task("slow")],
          [connect("a", "", "slow", "x")]
        )
        // 1. run `a`, then close the store while `slow` hangs (the execution suspends)
        const before = Date.now()
        yield* Effect.gen(function* () {
          yield* Durable.start(wf, {}, { key: "resumed" })
          yield* Deferred.await(started)
        }).pipe(Effect.provide(Durable.layerSqlite({ filename, runtime, shutdownTimeout: 100 })))
        const closed = Date.now()
        yield* Effect.sleep(200)
        // 2. the next runner replays `a` and runs `slow` again
        const resumedAt = Date.now()
        const result = yield* Durable.result("resumed").pipe(
          Effect.provide(Durable.layerSqlite({ filename, runtime }))
        )
        assert.strictEqual(result.status, "succeeded")
        assert.strictEqual(slowCalls, 2)
        const a = result.nodes.a!
        const slow = result.nodes.slow!
        // `a` ran in the first process: its times are the recorded ones
        assert.isAtLeast(a.startedAt!, before)
        assert.isAtMost(a.finishedAt!, closed)
        assert.strictEqual(a.duration, a.finishedAt! - a.startedAt!)
        assert.isAtLeast(a.duration!, 0)
        assert.isAtLeast(slow.startedAt!, resumedAt)
        assert.isAtLeast(slow.duration!, 0)
        // the execution started when it first started, and its duration covers the downtime
        assert.isAtLeast(result.startedAt, before)
        assert.isAtMost(result.startedAt, a.startedAt!)
        assert.strictEqual(result.duration, result.finishedAt - result.startedAt)
        assert.isAtLeast(result.duration, resumedAt - closed)
      })
  )
})

describe("runner resources", () => {
  it.live(
    "a resource given to the store is acquired once for all executions and released when the store closes",
    () =>
      Effect.gen(function* () {
        const log: Array<string> = []
        const pool = Resource.make(
          async () => {
            log.push("acquire")
            return { query: async (n: number) => n * 2 }
          },
          async () => {
            log.push("release")
          }
        )
        const runtime = Runtime.make({
          functions: {
            use: async ({ n }: { readonly n: number }, context: Runtime.TaskContext) => {
              const db = (await context.getResource("pool")) as {
                query: (n: number) => Promise<number>
              }
              return { doubled: await db.query(n) }
            }
          }
        })
        const wf = workflow("uses-pool", [task("use")])
        yield* Effect.gen(function* () {
          const results = yield* Effect.all(
            [1, 2, 3].map((n) =>
              Effect.flatMap(Durable.start(wf, { n }, { key: `pool-${n}` }), (e) => e.result)
            ),
            { concurrency: "unbounded" }
          )
          assert.deepStrictEqual(
            results.map((r) => r.outputs.use),
            [{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]
          )
          assert.deepStrictEqual(log, ["acquire"])
        }).pipe(
          Effect.provide(
            Durable.layerSqlite({
              filename: dirs.file("resources.db"),
              runtime,
              resources: { pool }
            })
          )
        )
        assert.deepStrictEqual(log, ["acquire", "release"])
      })
  )
})

describe("bad input", () => {
  it.live("a file that is not a database is StoreNotADatabase, and is left as it was", () =>
    Effect.gen(function* () {
      const file = dirs.file("notes.txt")
      writeFileSync(file, "these are my notes, not a database\n".repeat(200))
      const exit = yield* Effect.exit(
        Layer.build(Durable.layerSqlite({ filename: file })).pipe(Effect.scoped)
      )
      const error = failure(exit)
      assert.strictEqual(error._tag, "StoreNotADatabase")
      assert.include(error.message, file)
      assert.strictEqual(
        readFileSync(file, "utf8"),
        "these are my notes, not a database\n".repeat(200)
      )
    })
  )

  it.live("a SQLite file in a missing directory is StoreUnreachable", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Layer.build(Durable.layerSqlite({ filename: dirs.file("no/such/dir/x.db") })).pipe(
          Effect.scoped
        )
      )
      assert.strictEqual(failure(exit)._tag, "StoreUnreachable")
    })
  )

  it.live("a PostgreSQL server that does not answer is StoreUnreachable, naming the server", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Layer.build(
          Durable.layerPostgres({ url: "postgres://postgres:secret@127.0.0.1:1/test" })
        ).pipe(Effect.scoped)
      )
      const error = failure(exit)
      assert.strictEqual(error._tag, "StoreUnreachable")
      assert.include(error.message, "127.0.0.1:1")
      assert.notInclude(error.message, "secret")
    })
  )

  it.live(
    "a second runner on one SQLite file is RunnerAlreadyActive; a reader opens beside it",
    () =>
      Effect.gen(function* () {
        const filename = dirs.file("two-runners.db")
        yield* Effect.gen(function* () {
          yield* Effect.flatMap(Durable.start(sum, { base: 1 }, { key: "one" }), (e) => e.result)
          const second = yield* Effect.exit(
            Layer.build(Durable.layerSqlite({ filename })).pipe(Effect.scoped)
          )
          const error = failure(second)
          assert.strictEqual(error._tag, "RunnerAlreadyActive")
          assert.include(error.message, `pid ${process.pid}`)
          const info = yield* Durable.status("one").pipe(
            Effect.provide(Durable.layerSqlite({ filename, runner: false }))
          )
          assert.strictEqual(info.status, "succeeded")
          const start = yield* Effect.exit(
            Durable.start(sum, {}, { key: "two" }).pipe(
              Effect.provide(Durable.layerSqlite({ filename, runner: false }))
            )
          )
          assert.strictEqual(failure(start)._tag, "NotARunner")
        }).pipe(Effect.provide(Durable.layerSqlite({ filename, runtime: counting().runtime })))
        // once the first runner closed, a new one opens
        const info = yield* Durable.status("one").pipe(
          Effect.provide(Durable.layerSqlite({ filename }))
        )
        assert.strictEqual(info.status, "succeeded")
      })
  )

  it.live(
    "a second runner on one PostgreSQL schema is RunnerAlreadyActive; another schema is independent",
    () =>
      Effect.gen(function* () {
        const schema = schemaName("two_runners")
        yield* Effect.gen(function* () {
          const second = yield* Effect.exit(
            Layer.build(Durable.layerPostgres({ url: postgresUrl, schema })).pipe(Effect.scoped)
          )
          assert.strictEqual(failure(second)._tag, "RunnerAlreadyActive")
          const other = yield* Effect.exit(
            Layer.build(
              Durable.layerPostgres({ url: postgresUrl, schema: schemaName("other") })
            ).pipe(Effect.scoped)
          )
          assert.isTrue(Exit.isSuccess(other))
        }).pipe(Effect.provide(Durable.layerPostgres({ url: postgresUrl, schema })))
      })
  )

  it.live(
    "a corrupted stored definition fails the execution with DefinitionCorrupted instead of resuming it",
    () =>
      Effect.gen(function* () {
        const filename = dirs.file("corrupt.db")
        const started = yield* Deferred.make<void>()
        const blocking = Runtime.make({
          functions: {
            a: () =>
              new Promise(() => {
                Deferred.doneUnsafe(started, Exit.void)
              })
          }
        })
        // 1. start, let it block in `a`, close the store: the execution is suspended (still running)
        yield* Effect.gen(function* () {
          yield* Durable.start(sum, { base: 1 }, { key: "c" })
          yield* Deferred.await(started)
        }).pipe(
          Effect.provide(Durable.layerSqlite({ filename, runtime: blocking, shutdownTimeout: 100 }))
        )
        // 2. damage the stored definition
        const db = new DatabaseSync(filename)
        db.exec(`UPDATE weft_definitions SET body = replace(body, '"sum"', '"hacked"')`)
        db.close()
        // 3. a new runner resumes it: the hash check fails it with DefinitionCorrupted
        yield* Effect.gen(function* () {
          const error = failure(yield* Effect.exit(Durable.result("c")))
          assert.strictEqual(error._tag, "DefinitionCorrupted")
          assert.include(error.message, "does not match its hash")
          assert.strictEqual((yield* Durable.status("c")).status, "failed")
        }).pipe(Effect.provide(Durable.layerSqlite({ filename, runtime: counting().runtime })))
      })
  )
})
