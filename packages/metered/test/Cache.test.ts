import { assert, describe, it } from "@effect/vitest"
import { Fixture, MockLlm } from "@weft/fixtures"
import { Runtime, Trace } from "@weft/runtime"
import { Effect, Fiber, Metric } from "effect"
import { TestClock } from "effect/testing"
import { Cache, Meter, type PriceTable } from "../src/index.js"
import { sandbox, task, workflow } from "./helpers.js"

const prices: PriceTable.PriceTable = {
  currency: "USD",
  meters: {
    llm: {
      models: {
        big: { input: { amount: 10, per: 1_000_000 }, output: { amount: 40, per: 1_000_000 } }
      }
    }
  }
}

const ask = (llm: Pick<MockLlm.MockLlm, "complete">, prompt: string) =>
  Effect.promise(() => llm.complete({ model: "big", prompt, maxTokens: 100 }))

describe("Cache", () => {
  it.effect("a repeated call is a hit until its TTL passes on the Clock", () =>
    Effect.gen(function* () {
      const llm = MockLlm.make()
      const cache = yield* Cache.make({ store: Cache.memoryStore() })
      const cached = cache.wrap(llm, { name: "llm", methods: ["complete"], ttl: "10 minutes" })
      const first = yield* ask(cached, "hello")
      const second = yield* ask(cached, "hello")
      assert.deepStrictEqual(second, first)
      assert.strictEqual(llm.callCount(), 1)
      yield* TestClock.adjust("9 minutes")
      yield* ask(cached, "hello")
      assert.strictEqual(llm.callCount(), 1)
      yield* TestClock.adjust("1 minute")
      yield* ask(cached, "hello")
      assert.strictEqual(llm.callCount(), 2)
      assert.deepStrictEqual(cache.stats(), { hits: 2, misses: 2, coalesced: 0, upstream: 2 })
      const count = (outcome: string) =>
        Effect.map(
          Metric.value(
            Metric.withAttributes(Cache.requests, { cache: "llm", method: "complete", outcome })
          ),
          (state) => state.count
        )
      assert.deepStrictEqual([yield* count("hit"), yield* count("miss")], [2, 2])
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map()))
  )

  it.effect(
    "the key is the method and its arguments: other arguments miss, key order does not matter",
    () =>
      Effect.gen(function* () {
        const calls: Array<unknown> = []
        const api = {
          search: async (query: { readonly q: string; readonly page: number }) => {
            calls.push(query)
            return { results: [query.q] }
          }
        }
        const cache = yield* Cache.make({ store: Cache.memoryStore() })
        const cached = cache.wrap(api, { name: "api", methods: ["search"], ttl: "1 hour" })
        yield* Effect.promise(() => cached.search({ q: "a", page: 1 }))
        yield* Effect.promise(() => cached.search({ page: 1, q: "a" }))
        yield* Effect.promise(() => cached.search({ q: "a", page: 2 }))
        assert.strictEqual(calls.length, 2)
        assert.strictEqual(
          cache.keyOf("api", "search", [{ q: "a", page: 1 }]),
          cache.keyOf("api", "search", [{ page: 1, q: "a" }])
        )
      })
  )

  it.effect("invalidate drops one call, one method or a whole client", () =>
    Effect.gen(function* () {
      const llm = MockLlm.make()
      const cache = yield* Cache.make({ store: Cache.memoryStore() })
      const cached = cache.wrap(llm, { name: "llm", methods: ["complete"], ttl: "1 hour" })
      yield* ask(cached, "a")
      yield* ask(cached, "b")
      const one = yield* cache.invalidateEffect("llm", "complete", [
        { model: "big", prompt: "a", maxTokens: 100 }
      ])
      assert.strictEqual(one, 1)
      yield* ask(cached, "a")
      yield* ask(cached, "b")
      assert.strictEqual(llm.callCount(), 3)
      assert.strictEqual(yield* cache.invalidateEffect("llm"), 2)
      yield* ask(cached, "b")
      assert.strictEqual(llm.callCount(), 4)
    })
  )

  it.effect("100 concurrent identical calls make one upstream call", () =>
    Effect.gen(function* () {
      const llm = yield* Fixture.scoped(MockLlm.make({ latency: "1 second" }))
      const cache = yield* Cache.make({ store: Cache.memoryStore() })
      const cached = cache.wrap(llm, { name: "llm", methods: ["complete"], ttl: "1 hour" })
      const fiber = yield* Effect.forkChild(
        Effect.all(
          Array.from({ length: 100 }, () => ask(cached, "same")),
          { concurrency: "unbounded" }
        )
      )
      for (let i = 0; i < 50 && llm.callCount() === 0; i++) {
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
      }
      yield* TestClock.adjust("1 second")
      const replies = yield* Fiber.join(fiber).pipe(Effect.timeout("10 seconds"))
      assert.strictEqual(llm.callCount(), 1)
      assert.strictEqual(new Set(replies.map((r) => r.id)).size, 1)
      assert.deepStrictEqual(cache.stats(), { hits: 0, misses: 1, coalesced: 99, upstream: 1 })
    })
  )

  it.effect(
    "a failed upstream call is not cached and does not poison coalesced callers' next try",
    () =>
      Effect.gen(function* () {
        const llm = MockLlm.make({ replies: [{ error: new Error("rate limited") }] })
        const cache = yield* Cache.make({ store: Cache.memoryStore() })
        const cached = cache.wrap(llm, { name: "llm", methods: ["complete"], ttl: "1 hour" })
        const failed = yield* Effect.exit(
          Effect.tryPromise(() => cached.complete({ model: "big", prompt: "x" }))
        )
        assert.strictEqual(failed._tag, "Failure")
        const ok = yield* Effect.promise(() => cached.complete({ model: "big", prompt: "x" }))
        assert.strictEqual(ok.text, "summary of x")
        assert.strictEqual(llm.callCount(), 2)
      })
  )

  it.effect(
    "a cached reply costs nothing against a budget; hits and misses are in the node's trace",
    () =>
      Effect.gen(function* () {
        // room for exactly one call of 0.005
        const meter = yield* Meter.make({
          prices,
          budgets: [{ name: "per-run", limit: 0.005, scope: "execution" }]
        })
        const llm = MockLlm.make({ usage: { input: 100, output: 100 } })
        const cache = yield* Cache.make({ store: Cache.memoryStore(), meter })
        const client = cache.wrap(
          meter.client(llm, {
            complete: {
              meter: "llm",
              model: (r) => r.model,
              estimate: (r) => ({ input: r.prompt.length, output: r.maxTokens ?? 100 }),
              usage: (reply) => reply.usage
            }
          }),
          { name: "llm", methods: ["complete"], ttl: "1 hour" }
        )
        const request = { model: "big", prompt: "p".repeat(100), maxTokens: 100 }
        const runtime = Runtime.make({
          functions: meter.functions({
            first: () => client.complete(request),
            second: () => client.complete(request)
          })
        })
        const wf = workflow(
          "w",
          [task("first"), task("second")],
          [{ from: "first", output: "id", to: "second", input: "after" }]
        )
        const result = yield* meter.execute(runtime, wf)
        assert.strictEqual(result.status, "succeeded", JSON.stringify(result.errors))
        assert.strictEqual(llm.callCount(), 1)
        assert.deepStrictEqual(result.costs.byNode, { first: 0.005 })
        const notes = Trace.ofType(result.trace, "node-emitted")
          .filter((e) => (e.event as { type?: string }).type === "metered.cache")
          .map((e) => [e.nodeId, (e.event as { outcome: string }).outcome])
        assert.deepStrictEqual(notes, [
          ["first", "miss"],
          ["second", "hit"]
        ])
      }).pipe(Effect.provide(sandbox))
  )
})
