// Against the real PostgreSQL server (WEFT_TEST_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/test), in a schema of its own, dropped at the end.
import { randomUUID } from "node:crypto"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { MockLlm } from "@weft/fixtures"
import { Runtime } from "@weft/runtime"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import pg from "pg"
import { Cache, Lock, Meter } from "../src/index.js"
import {
  budgetStore,
  cacheStore,
  costLedger,
  lockBackend,
  lockId,
  migrate
} from "../src/postgres.js"
import {
  abandonedExpected,
  abandonedReservation,
  llmPrices,
  perMillion,
  sandbox,
  sharedCustomerBudget,
  sharedCustomerBudgetExpected,
  task,
  workflow
} from "./helpers.js"
import { contendingProcesses, holder } from "./processes.js"

const url = process.env.WEFT_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const schema = `weft_metered_${randomUUID().replaceAll("-", "").slice(0, 12)}`
const pool = new pg.Pool({ connectionString: url, max: 20 })

beforeAll(async () => {
  await Effect.runPromise(migrate(pool, { schema }))
})

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  await pool.end()
})

const prices = llmPrices({ big: perMillion(10, 40), small: perMillion(0.15, 0.6) })

describe("PostgreSQL budget store", () => {
  it.effect("100 concurrent reservations on 20 connections: exactly those that fit pass", () =>
    Effect.gen(function* () {
      const store = budgetStore(pool, { schema })
      const bucket = `run:${randomUUID()}`
      const outcomes = yield* Effect.all(
        Array.from({ length: 100 }, () =>
          store.reserve({
            bucket,
            amount: 7,
            limit: 250,
            retainMillis: 0,
            now: 0,
            holdMillis: 600_000
          })
        ),
        { concurrency: "unbounded" }
      )
      const reserved = outcomes.filter((o) => o._tag === "Reserved")
      assert.strictEqual(reserved.length, 35)
      assert.deepStrictEqual(yield* store.state(bucket), { spent: 0, reserved: 245 })
      yield* Effect.forEach(
        reserved,
        (o) =>
          o._tag === "Reserved" ? Effect.asVoid(store.settle(o.reservation, 9, 0)) : Effect.void,
        { concurrency: 10 }
      )
      // settled past the limit: marked exceeded, nothing fits any more
      assert.deepStrictEqual(yield* store.state(bucket), { spent: 315, reserved: 0 })
      const after = yield* store.reserve({
        bucket,
        amount: 0,
        limit: 250,
        retainMillis: 0,
        now: 0,
        holdMillis: 600_000
      })
      assert.strictEqual(after._tag, "Refused")
    })
  )
  it.effect(
    "two meters sharing a customer budget in PostgreSQL stop the calls that would exceed it",
    () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(
          yield* sharedCustomerBudget(prices, () => budgetStore(pool, { schema })),
          sharedCustomerBudgetExpected
        )
      })
  )

  it.effect("a reservation of a worker that died mid-call is released after its hold", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(
        yield* abandonedReservation(budgetStore(pool, { schema }), `abandoned:${randomUUID()}`),
        abandonedExpected
      )
    })
  )
})

describe("PostgreSQL cache store", () => {
  it.effect("entries expire on the Clock, coalesce, and are invalidated by prefix", () =>
    Effect.gen(function* () {
      const llm = yield* Effect.sync(() => MockLlm.make())
      const cache = yield* Cache.make({ store: cacheStore(pool, { schema }), prefix: `${schema}:` })
      const cached = cache.wrap(llm, { name: "llm", methods: ["complete"], ttl: "5 minutes" })
      const request = { model: "big", prompt: "hello" }
      yield* Effect.all(
        Array.from({ length: 100 }, () => Effect.promise(() => cached.complete(request))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(llm.callCount(), 1)
      yield* TestClock.adjust("4 minutes")
      yield* Effect.promise(() => cached.complete(request))
      assert.strictEqual(llm.callCount(), 1)
      yield* TestClock.adjust("1 minute")
      yield* Effect.promise(() => cached.complete(request))
      assert.strictEqual(llm.callCount(), 2)
      assert.strictEqual(yield* cache.invalidateEffect("llm"), 1)
      yield* Effect.promise(() => cached.complete(request))
      assert.strictEqual(llm.callCount(), 3)
    })
  )
})

describe("PostgreSQL advisory locks", () => {
  it.live("two processes contending for one lock never overlap", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* Effect.promise(() => contendingProcesses("postgres", url)), {
        held: 12,
        overlapping: []
      })
    })
  )

  it.live("a killed holder's lock is freed with its connection and another process takes it", () =>
    Effect.gen(function* () {
      const key = `killed:${randomUUID()}`
      const victim = holder(["postgres", url, key, 0, 0, 1000])
      const exited = victim.done.catch(() => [])
      yield* Effect.promise(() => victim.locked)
      const backend = lockBackend(pool)
      assert.isUndefined(yield* backend.tryAcquire(key, 0, 1000))
      victim.child.kill("SIGKILL")
      const held = yield* Effect.scoped(
        Effect.as(Lock.acquire(backend, key, { waitMillis: 10_000, retryMillis: 20 }), true)
      )
      assert.isTrue(held)
      yield* Effect.promise(() => exited)
    })
  )

  it.live("Weft's lock ids cannot collide with effect/cluster's two-key advisory locks", () =>
    Effect.gen(function* () {
      const key = `namespaced:${randomUUID()}`
      const id = BigInt(lockId(key, 0))
      // the cluster's form: pg_try_advisory_lock(int4 namespace, int4 lock) with the same 64 bits
      const high = Number(BigInt.asIntN(32, id >> 32n))
      const low = Number(BigInt.asIntN(32, id & 0xffffffffn))
      const cluster = yield* Effect.promise(() => pool.connect())
      try {
        const taken = yield* Effect.promise(() =>
          cluster.query<{ locked: boolean }>(
            "SELECT pg_try_advisory_lock($1::int4, $2::int4) AS locked",
            [high, low]
          )
        )
        assert.isTrue(taken.rows[0]?.locked)
        const ours = yield* lockBackend(pool).tryAcquire(key, 0, 1000)
        assert.isDefined(ours)
        if (ours !== undefined) yield* ours.release
      } finally {
        yield* Effect.promise(() => cluster.query("SELECT pg_advisory_unlock_all()"))
        cluster.release()
      }
    })
  )

  it.live(
    "a waiter stuck on an exhausted pool can be interrupted, and leaks neither connection nor lock",
    () =>
      Effect.gen(function* () {
        const small = new pg.Pool({ connectionString: url, max: 1 })
        const backend = lockBackend(small)
        const key = `pool:${randomUUID()}`
        try {
          const outcome = yield* Effect.scoped(
            Effect.gen(function* () {
              yield* Lock.acquire(backend, `other:${key}`)
              // the only connection is held: this take waits in pool.connect until interrupted
              return yield* Effect.exit(
                Lock.acquire(backend, key, { waitMillis: 60_000 }).pipe(
                  Effect.scoped,
                  Effect.timeout("300 millis")
                )
              )
            })
          )
          assert.strictEqual(outcome._tag, "Failure")
          // the other lock is released; the abandoned take (if it got through) released its slot
          const again = yield* Effect.scoped(
            Effect.as(Lock.acquire(backend, key, { waitMillis: 5_000, retryMillis: 20 }), true)
          )
          assert.isTrue(again)
          assert.strictEqual(small.totalCount - small.idleCount, 0)
        } finally {
          yield* Effect.promise(() => small.end())
        }
      })
  )

  it.live("limit 2 on PostgreSQL: two holders at once, a third times out with LockTimeout", () =>
    Effect.gen(function* () {
      const key = `limited:${randomUUID()}`
      const backend = lockBackend(pool)
      const result = yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Lock.acquire(backend, key, { limit: 2 })
          yield* Lock.acquire(backend, key, { limit: 2 })
          return yield* Effect.flip(
            Lock.acquire(backend, key, { limit: 2, waitMillis: 200, retryMillis: 20 })
          )
        })
      )
      assert.strictEqual(result._tag, "LockTimeout")
    })
  )
})

describe("PostgreSQL cost ledger", () => {
  it.effect(
    "totals by workflow, customer, day and meter are exact sums, and survive a restart",
    () =>
      Effect.gen(function* () {
        const ledger = costLedger(pool, { schema })
        const meter = yield* Meter.make({ prices, sink: ledger })
        const llm = MockLlm.make({
          usage: (request) => ({
            input: request.prompt.length * 37,
            output: (request.maxTokens ?? 1) * 13
          })
        })
        const client = meter.client(llm, {
          complete: { meter: "llm", model: (r) => r.model, usage: (reply) => reply.usage }
        })
        const runtime = Runtime.make({
          functions: meter.functions({
            draft: () => client.complete({ model: "big", prompt: "draft this", maxTokens: 333 }),
            polish: () =>
              client.complete({ model: "small", prompt: "polish that text", maxTokens: 77 })
          })
        })
        const summarise = workflow("summarise", [task("draft"), task("polish")])
        const translate = workflow("translate", [task("polish")])
        const results: Array<Meter.MeteredResult> = []
        const plan = [
          [summarise, "acme"],
          [translate, "acme"],
          [summarise, "globex"],
          [translate, "globex"],
          [summarise, "acme"]
        ] as const
        for (const [day, [wf, customer]] of plan.entries()) {
          if (day === 3) yield* TestClock.adjust("1 day")
          results.push(yield* meter.execute(runtime, wf, {}, { keys: { customer } }))
        }
        assert.isTrue(
          results.every((r) => r.status === "succeeded" && r.costs.sinkErrors.length === 0)
        )
        const sum = (filter: (r: Meter.CostRecord) => boolean) =>
          results
            .flatMap((r) => r.costs.records)
            .filter(filter)
            .reduce((n, r) => n + r.nanos, 0)
        // a new pool: what a restarted process reads
        const restarted = new pg.Pool({ connectionString: url, max: 2 })
        const reader = costLedger(restarted, { schema })
        try {
          const byWorkflow = yield* reader.totals({ groupBy: "workflow" })
          assert.deepStrictEqual(
            byWorkflow.map((r) => [r.group, r.nanos, r.records]),
            [
              ["summarise", sum((r) => r.workflowId === "summarise"), 6],
              ["translate", sum((r) => r.workflowId === "translate"), 2]
            ]
          )
          const byCustomer = yield* reader.totals({ groupBy: { key: "customer" } })
          assert.deepStrictEqual(
            byCustomer.map((r) => [r.group, r.nanos]),
            [
              ["acme", sum((r) => r.keys.customer === "acme")],
              ["globex", sum((r) => r.keys.customer === "globex")]
            ]
          )
          const byDay = yield* reader.totals({
            groupBy: { period: "day" },
            keys: { customer: "globex" }
          })
          assert.deepStrictEqual(
            byDay.map((r) => [r.group, r.nanos]),
            [
              ["1970-01-01", sum((r) => r.keys.customer === "globex" && r.at < 86_400_000)],
              ["1970-01-02", sum((r) => r.keys.customer === "globex" && r.at >= 86_400_000)]
            ]
          )
          const byModel = yield* reader.totals({ groupBy: "model", workflowId: "summarise" })
          assert.deepStrictEqual(
            byModel.map((r) => [r.group, r.nanos]),
            [
              ["llm/big", sum((r) => r.workflowId === "summarise" && r.model === "big")],
              ["llm/small", sum((r) => r.workflowId === "summarise" && r.model === "small")]
            ]
          )
          const total = results.reduce((n, r) => n + r.costs.totalNanos, 0)
          const all = yield* reader.totals({ groupBy: "meter" })
          assert.deepStrictEqual(
            all.map((r) => [r.group, r.nanos]),
            [["llm", total]]
          )
          const bad = yield* Effect.flip(reader.totals({ groupBy: { key: "x'; drop table" } }))
          assert.strictEqual(bad._tag, "InvalidConfig")
        } finally {
          yield* Effect.promise(() => restarted.end())
        }
      }).pipe(Effect.provide(sandbox))
  )
})
