import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { SqlClient } from "effect/sql"
import * as Mailbox from "../src/internal/mailbox.js"
import * as Sqlite from "../src/internal/sqliteClient.js"
import * as Tables from "../src/internal/tables.js"
import { tempDir } from "./helpers.js"

const dirs = tempDir()
afterAll(() => dirs.cleanup())

const withMailbox = <A, E>(name: string, f: (mailbox: Mailbox.Mailbox) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* Tables.migrate(sql)
    return yield* f(Mailbox.make(sql, new Mailbox.Signals(), 20))
  }).pipe(Effect.provide(Sqlite.layer({ filename: dirs.file(`${name}.db`) })))

describe("the durable event mailbox", () => {
  it.live("keeps an event sent before anyone waits; the first waiter takes it", () =>
    withMailbox("before", (mailbox) =>
      Effect.gen(function* () {
        yield* mailbox.send("k", "approved", { by: "ana" })
        const taken = yield* mailbox.take({ key: "k", waiter: "approve:1", event: "approved" })
        assert.deepStrictEqual(taken, { received: true, payload: { by: "ana" } })
      })
    )
  )

  it.live("one event completes one waiter; the second waits for the next event", () =>
    withMailbox("one-each", (mailbox) =>
      Effect.gen(function* () {
        yield* mailbox.send("k", "go", 1)
        const first = yield* mailbox.take({ key: "k", waiter: "a:1", event: "go" })
        const second = yield* Effect.forkChild(
          mailbox.take({ key: "k", waiter: "b:1", event: "go" })
        )
        yield* mailbox.send("k", "other", "ignored")
        yield* mailbox.send("other-key", "go", "ignored")
        yield* mailbox.send("k", "go", 2)
        assert.deepStrictEqual(first, { received: true, payload: 1 })
        assert.deepStrictEqual(yield* Fiber.join(second), { received: true, payload: 2 })
      })
    )
  )

  it.live(
    "a waiter that takes again (its activity re-ran after a crash) gets the event it already claimed",
    () =>
      withMailbox("re-run", (mailbox) =>
        Effect.gen(function* () {
          yield* mailbox.send("k", "go", "first")
          yield* mailbox.send("k", "go", "second")
          const once = yield* mailbox.take({ key: "k", waiter: "a:1", event: "go" })
          const again = yield* mailbox.take({ key: "k", waiter: "a:1", event: "go" })
          assert.deepStrictEqual(again, once)
          const other = yield* mailbox.take({ key: "k", waiter: "b:1", event: "go" })
          assert.deepStrictEqual(other, { received: true, payload: "second" })
        })
      )
  )

  it.live(
    "a waiter with a timeout gets nothing once its deadline passed, and keeps the first deadline when re-run",
    () =>
      withMailbox("timeout", (mailbox) =>
        Effect.gen(function* () {
          const timedOut = yield* mailbox.take({
            key: "k",
            waiter: "a:1",
            event: "go",
            timeoutMillis: 30
          })
          assert.deepStrictEqual(timedOut, { received: false })
          // the re-run asks for a long timeout, but the deadline written on the first run stands
          const rerun = yield* mailbox.take({
            key: "k",
            waiter: "a:1",
            event: "go",
            timeoutMillis: 3_600_000
          })
          assert.deepStrictEqual(rerun, { received: false })
        })
      )
  )
})
