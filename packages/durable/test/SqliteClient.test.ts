import { writeFileSync } from "node:fs"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as Sqlite from "../src/internal/sqliteClient.js"
import { tempDir } from "./helpers.js"

const dirs = tempDir()
afterAll(() => dirs.cleanup())

const withClient = <A, E>(filename: string, effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
  Effect.provide(effect, Sqlite.layer({ filename }))

describe("the node:sqlite SqlClient", () => {
  it.live("runs parameterized statements and returns rows", () =>
    withClient(
      dirs.file("rows.db"),
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`
        yield* sql`INSERT INTO t ${sql.insert([
          { id: 1, name: "a" },
          { id: 2, name: "b'; DROP TABLE t; --" }
        ])}`
        const rows = yield* sql<{
          id: number
          name: string
        }>`SELECT id, name FROM t WHERE id IN ${sql.in([1, 2])} ORDER BY id`
        assert.deepStrictEqual(rows, [
          { id: 1, name: "a" },
          { id: 2, name: "b'; DROP TABLE t; --" }
        ])
        const returned = yield* sql<{
          id: number
        }>`UPDATE t SET name = 'c' WHERE id = 1 RETURNING id`
        assert.deepStrictEqual(returned, [{ id: 1 }])
        const values = yield* sql`SELECT id FROM t ORDER BY id`.values
        assert.deepStrictEqual(values, [[1], [2]])
      })
    )
  )

  it.live("reads big integers as bigint when SafeIntegers is on", () =>
    withClient(
      dirs.file("bigint.db"),
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ n: bigint }>`SELECT 9007199254740993 AS n`.pipe(
          Effect.provideService(SqlClient.SafeIntegers, true)
        )
        assert.strictEqual(rows[0]!.n, 9007199254740993n)
      })
    )
  )

  it.live("commits a transaction, and rolls one back when the effect fails", () =>
    withClient(
      dirs.file("tx.db"),
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE t (n INTEGER)`
        yield* sql.withTransaction(sql`INSERT INTO t VALUES (1)`)
        const failed = yield* Effect.exit(
          sql.withTransaction(Effect.andThen(sql`INSERT INTO t VALUES (2)`, Effect.fail("boom")))
        )
        assert.isTrue(Exit.isFailure(failed))
        const rows = yield* sql<{ n: number }>`SELECT n FROM t`
        assert.deepStrictEqual(rows, [{ n: 1 }])
      })
    )
  )

  it.live(
    "a second connection to the file waits for the writer instead of failing with SQLITE_BUSY",
    () =>
      Effect.gen(function* () {
        const filename = dirs.file("busy.db")
        const first = yield* Layer.build(Sqlite.layer({ filename }))
        const second = yield* Layer.build(Sqlite.layer({ filename }))
        const a = first.mapUnsafe.get(SqlClient.SqlClient.key) as SqlClient.SqlClient
        const b = second.mapUnsafe.get(SqlClient.SqlClient.key) as SqlClient.SqlClient
        yield* a`CREATE TABLE t (n INTEGER)`
        const inside = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const writer = yield* Effect.forkChild(
          a.withTransaction(
            Effect.andThen(
              a`INSERT INTO t VALUES (1)`,
              Effect.andThen(Deferred.succeed(inside, undefined), Deferred.await(release))
            )
          )
        )
        yield* Deferred.await(inside)
        // b's insert blocks on the write lock (busy timeout); it succeeds once a commits.
        const other = yield* Effect.forkChild(b`INSERT INTO t VALUES (2)`)
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(writer)
        yield* Fiber.join(other)
        const rows = yield* a<{ n: number }>`SELECT n FROM t ORDER BY n`
        assert.deepStrictEqual(rows, [{ n: 1 }, { n: 2 }])
      }).pipe(Effect.scoped)
  )

  it.live(
    "opening a file that is not a database fails (SQLITE_NOTADB) and leaves it unchanged",
    () =>
      Effect.gen(function* () {
        const filename = dirs.file("text.db")
        writeFileSync(filename, "x".repeat(4096))
        const exit = yield* Effect.exit(Effect.scoped(Layer.build(Sqlite.layer({ filename }))))
        assert.isTrue(Exit.isFailure(exit))
        assert.include(String(exit), "not a database")
      })
  )
})
