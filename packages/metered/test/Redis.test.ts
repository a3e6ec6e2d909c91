// Against the real Redis server (WEFT_TEST_REDIS_URL, default redis://127.0.0.1:6379). Every key
// of this suite is under a random prefix, deleted at the end.
import { randomUUID } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { MockLlm } from "@weft/fixtures"
import { Effect } from "effect"
import { Cache, Lock } from "../src/index.js"
import { budgetStore, cacheStore, lockBackend } from "../src/redis.js"
import {
  abandonedExpected,
  abandonedReservation,
  llmPrices,
  perMillion,
  redisServer,
  sharedCustomerBudget,
  sharedCustomerBudgetExpected
} from "./helpers.js"
import { contendingProcesses, holder } from "./processes.js"

const { url, prefix, clients, client } = redisServer()

const prices = llmPrices({ big: perMillion(10, 40) })

describe("Redis budget store", () => {
  it.effect("100 concurrent reservations from two connections: exactly those that fit pass", () =>
    Effect.gen(function* () {
      const stores = [budgetStore(client(), { prefix }), budgetStore(client(), { prefix })]
      const outcomes = yield* Effect.all(
        Array.from({ length: 100 }, (_, i) =>
          stores[i % 2]!.reserve({
            bucket: "run:1",
            amount: 7,
            limit: 250,
            retainMillis: 60_000,
            now: 0,
            holdMillis: 600_000
          })
        ),
        { concurrency: "unbounded" }
      )
      const reserved = outcomes.filter((o) => o._tag === "Reserved")
      assert.strictEqual(reserved.length, 35)
      assert.deepStrictEqual(yield* stores[0]!.state("run:1"), { spent: 0, reserved: 245 })
      for (const outcome of reserved) {
        if (outcome._tag === "Reserved") yield* stores[1]!.settle(outcome.reservation, 5, 60_000)
      }
      assert.deepStrictEqual(yield* stores[0]!.state("run:1"), { spent: 175, reserved: 0 })
      const ttl = yield* Effect.promise(() => clients[0]!.pttl(`${prefix}budget:run:1`))
      assert.isAbove(ttl, 0)
      assert.isAtMost(ttl, 60_000)
    })
  )

  it.effect(
    "two meters (two workers) sharing a customer budget stop the call that would exceed it",
    () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(
          yield* sharedCustomerBudget(prices, () => budgetStore(client(), { prefix })),
          sharedCustomerBudgetExpected
        )
      })
  )
  it.effect("amounts past 1e14 nanos (100,000 USD) stay exact integers", () =>
    Effect.gen(function* () {
      const store = budgetStore(client(), { prefix })
      const bucket = `large:${randomUUID()}`
      const big = 5_000_000_000_000_003
      const outcome = yield* store.reserve({
        bucket,
        amount: big,
        limit: 9_000_000_000_000_000,
        retainMillis: 60_000,
        now: 0,
        holdMillis: 600_000
      })
      assert.strictEqual(outcome._tag, "Reserved")
      assert.deepStrictEqual(yield* store.state(bucket), { spent: 0, reserved: big })
      if (outcome._tag === "Reserved") {
        assert.deepStrictEqual(
          yield* store.settle(outcome.reservation, 4_000_000_000_000_001, 60_000),
          {
            spent: 4_000_000_000_000_001,
            reserved: 0
          }
        )
      }
    })
  )

  it.effect("a reservation of a worker that died mid-call is released after its hold", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(
        yield* abandonedReservation(budgetStore(client(), { prefix }), `abandoned:${randomUUID()}`),
        abandonedExpected
      )
    })
  )
})

describe("Redis cache store", () => {
  it.effect(
    "100 concurrent identical calls make one upstream call; another process then hits Redis",
    () =>
      Effect.gen(function* () {
        const llm = MockLlm.make()
        const store = cacheStore(client(), { prefix })
        const cache = yield* Cache.make({ store })
        const cached = cache.wrap(llm, { name: "llm", methods: ["complete"], ttl: "1 minute" })
        const request = { model: "big", prompt: randomUUID() }
        const replies = yield* Effect.all(
          Array.from({ length: 100 }, () => Effect.promise(() => cached.complete(request))),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(llm.callCount(), 1)
        assert.strictEqual(new Set(replies.map((r) => r.id)).size, 1)
        const other = yield* Cache.make({ store: cacheStore(client(), { prefix }) })
        const again = yield* Effect.promise(() =>
          other.wrap(llm, { name: "llm", methods: ["complete"], ttl: "1 minute" }).complete(request)
        )
        assert.deepStrictEqual(again, replies[0])
        assert.strictEqual(other.stats().hits, 1)
        const ttl = yield* Effect.promise(() =>
          clients[clients.length - 1]!.pttl(`${prefix}${cache.keyOf("llm", "complete", [request])}`)
        )
        assert.isAbove(ttl, 0)
        assert.isAtMost(ttl, 60_000)
        assert.strictEqual(yield* cache.invalidateEffect("llm", "complete"), 1)
        yield* Effect.promise(() => cached.complete(request))
        assert.strictEqual(llm.callCount(), 2)
      })
  )
})

describe("Redis locks (@sesamecare-oss/redlock)", () => {
  it.live("two processes contending for one lock never overlap", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* Effect.promise(() => contendingProcesses("redis", url)), {
        held: 12,
        overlapping: []
      })
    })
  )

  it.live(
    "release is token-checked: an expired holder's late release does not free the next holder's lock",
    () =>
      Effect.gen(function* () {
        const key = `token:${randomUUID()}`
        const a = lockBackend(client(), { prefix })
        const b = lockBackend(client(), { prefix })
        const first = yield* a.tryAcquire(key, 0, 200)
        assert.isDefined(first)
        yield* Effect.sleep(400) // no renewal: the lease runs out
        const second = yield* b.tryAcquire(key, 0, 10_000)
        assert.isDefined(second)
        yield* Effect.ignore(first!.release)
        assert.isUndefined(yield* a.tryAcquire(key, 0, 10_000))
        yield* second!.release
        const third = yield* a.tryAcquire(key, 0, 10_000)
        assert.isDefined(third)
        yield* third!.release
      })
  )

  it.live("renewal keeps a 3 s operation locked with a 1 s lease", () =>
    Effect.gen(function* () {
      const key = `renewed:${randomUUID()}`
      const backend = lockBackend(client(), { prefix })
      const rival = lockBackend(client(), { prefix })
      const probes: Array<boolean> = []
      yield* Lock.withLock(
        backend,
        key,
        Effect.gen(function* () {
          for (let i = 0; i < 3; i++) {
            yield* Effect.sleep(1000)
            // past the first lease: only renewal keeps the rival out
            const handle = yield* rival.tryAcquire(key, 0, 1000)
            probes.push(handle === undefined)
            if (handle !== undefined) yield* handle.release
          }
        }),
        { leaseMillis: 1000 }
      )
      assert.deepStrictEqual(probes, [true, true, true])
      const after = yield* rival.tryAcquire(key, 0, 1000)
      assert.isDefined(after)
      if (after !== undefined) yield* after.release
    })
  )

  it.live("a killed holder's lock expires and another process takes it", () =>
    Effect.gen(function* () {
      const key = `killed:${randomUUID()}`
      const victim = holder(["redis", url, key, 0, 0, 1000])
      const exited = victim.done.catch(() => [])
      yield* Effect.promise(() => victim.locked)
      const backend = lockBackend(client(), { prefix: "weft-test:" })
      assert.isUndefined(yield* backend.tryAcquire(key, 0, 1000))
      victim.child.kill("SIGKILL")
      const killedAt = Date.now()
      const took = yield* Effect.scoped(
        Effect.map(
          Lock.acquire(backend, key, { waitMillis: 5_000, retryMillis: 20, leaseMillis: 1000 }),
          () => Date.now()
        )
      )
      // the lease (1 s) runs out; no renewal from a dead process
      assert.isAtMost(took - killedAt, 5_000)
      yield* Effect.promise(() => exited)
    })
  )

  it.live(
    "a lost Redis lock (key deleted behind the holder's back) interrupts it with LockLost",
    () =>
      Effect.gen(function* () {
        const key = `lost:${randomUUID()}`
        const redis = client()
        const backend = lockBackend(redis, { prefix })
        const error = yield* Effect.flip(
          Lock.withLock(
            backend,
            key,
            Effect.andThen(
              Effect.promise(() => redis.del(`${prefix}lock:${key}#0`)),
              Effect.never
            ),
            { leaseMillis: 300, nodeId: "charge" }
          )
        ).pipe(Effect.timeout("5 seconds"))
        assert.strictEqual(error._tag, "LockLost")
        assert.include(error.message, key)
      })
  )
})
