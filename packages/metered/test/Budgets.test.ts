import { assert, describe, it } from "@effect/vitest"
import { Fixture, MockLlm } from "@weft/fixtures"
import { Policy } from "@weft/retry"
import { Runtime } from "@weft/runtime"
import { Effect, Fiber, Metric } from "effect"
import { TestClock } from "effect/testing"
import { Meter, type PriceTable } from "../src/index.js"
import { sandbox, task, workflow } from "./helpers.js"

// USD per million tokens
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

const meteredLlm = (meter: Meter.Meter, llm: MockLlm.MockLlm) =>
  meter.client(llm, {
    complete: {
      meter: "llm",
      model: (request) => request.model,
      estimate: (request) => ({ input: request.prompt.length, output: request.maxTokens ?? 100 }),
      usage: (reply) => reply.usage
    }
  })

const prompt = "p".repeat(100)

interface FailedCause {
  readonly _tag: string
  readonly budget: string
  readonly spent: number
  readonly estimate: number
  readonly nodeId: string
  readonly limit: number
  readonly message: string
}

const causeOf = (result: Meter.MeteredResult, nodeId: string) => {
  const error = result.nodes[nodeId]?.error as
    | { readonly errorTag?: string; readonly cause?: FailedCause }
    | undefined
  return { tag: error?.errorTag, cause: error?.cause }
}

describe("Meter budgets", () => {
  it.effect("the call whose estimate does not fit fails with BudgetExceeded and is not made", () =>
    Effect.gen(function* () {
      const meter = yield* Meter.make({
        prices,
        budgets: [{ name: "per-run", limit: 0.01, scope: "execution" }]
      })
      // each call: estimate = actual = 100 * 10e-6 + 100 * 40e-6 = 0.005
      const llm = MockLlm.make({ usage: { input: 100, output: 100 } })
      const client = meteredLlm(meter, llm)
      const runtime = Runtime.make({
        functions: meter.functions({
          summarize: async () => {
            const texts: Array<string> = []
            for (let i = 0; i < 3; i++) {
              texts.push((await client.complete({ model: "big", prompt, maxTokens: 100 })).text)
            }
            return texts
          }
        })
      })
      const result = yield* meter.execute(runtime, workflow("w", [task("summarize")]))
      assert.strictEqual(result.status, "failed")
      assert.strictEqual(llm.callCount("complete"), 2)
      const { tag, cause } = causeOf(result, "summarize")
      assert.strictEqual(tag, "BudgetExceeded")
      assert.strictEqual(cause?.budget, "per-run")
      assert.strictEqual(cause?.spent, 0.01)
      assert.strictEqual(cause?.estimate, 0.005)
      assert.strictEqual(cause?.limit, 0.01)
      assert.strictEqual(cause?.nodeId, "summarize")
      assert.include(cause?.message, "was not made")
      assert.strictEqual(result.costs.total, 0.01)
      const refusals = yield* Metric.value(
        Metric.withAttributes(Meter.metrics.refusals, { budget: "per-run" })
      )
      const cost = yield* Metric.value(
        Metric.withAttributes(Meter.metrics.cost, { meter: "llm", model: "big" })
      )
      assert.deepStrictEqual([refusals.count, cost.count], [1, 10_000_000])
    }).pipe(Effect.provide(sandbox), Effect.provideService(Metric.MetricRegistry, new Map()))
  )

  it.effect(
    "a usage function that throws fails the call with InvalidConfig and charges the estimate",
    () =>
      Effect.gen(function* () {
        const meter = yield* Meter.make({
          prices,
          budgets: [{ name: "per-run", limit: 1, scope: "execution" }]
        })
        const llm = MockLlm.make()
        const client = meter.client(llm, {
          complete: {
            meter: "llm",
            model: (r) => r.model,
            estimate: () => ({ input: 100, output: 100 }),
            usage: () => {
              throw new Error("reply has no usage field")
            }
          }
        })
        const runtime = Runtime.make({
          functions: meter.functions({ summarize: () => client.complete({ model: "big", prompt }) })
        })
        const result = yield* meter.execute(
          runtime,
          workflow("w", [task("summarize")]),
          {},
          {
            executionId: "broken-usage"
          }
        )
        const error = result.nodes.summarize?.error as {
          readonly errorTag?: string
          readonly message: string
        }
        assert.strictEqual(error.errorTag, "InvalidConfig")
        assert.include(error.message, "reply has no usage field")
        assert.deepStrictEqual(yield* meter.spent("per-run", "broken-usage"), {
          spent: 0.005,
          reserved: 0
        })
      }).pipe(Effect.provide(sandbox))
  )

  it.effect("BudgetExceeded is not retried by the node's retry policy", () =>
    Effect.gen(function* () {
      const meter = yield* Meter.make({
        prices,
        budgets: [{ name: "per-run", limit: 0.001, scope: "execution" }]
      })
      const llm = MockLlm.make()
      const client = meteredLlm(meter, llm)
      const runtime = Runtime.make({
        functions: meter.functions({
          summarize: () => client.complete({ model: "big", prompt, maxTokens: 100 })
        })
      })
      const wf = workflow("w", [
        task("summarize", {
          retry: Policy.fixed({ delay: 0, maxAttempts: 3 }) as unknown as {
            readonly [key: string]: null
          }
        })
      ])
      const result = yield* meter.execute(runtime, wf)
      assert.strictEqual(result.status, "failed", JSON.stringify(result.errors))
      assert.strictEqual(causeOf(result, "summarize").tag, "BudgetExceeded")
      assert.strictEqual(result.counts.summarize, 1)
      assert.strictEqual(llm.callCount(), 0)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "an actual cost past the estimate keeps the result, marks the budget exceeded, and the next call fails",
    () =>
      Effect.gen(function* () {
        const meter = yield* Meter.make({
          prices,
          budgets: [{ name: "per-run", limit: 0.01, scope: "execution" }]
        })
        // estimate 0.0014 (100 in, 10 out); actual 0.0408 (80 in, 1000 out)
        const llm = MockLlm.make({
          replies: [{ text: "long answer", usage: { input: 80, output: 1000 } }]
        })
        const client = meteredLlm(meter, llm)
        const runtime = Runtime.make({
          functions: meter.functions({
            first: async () =>
              (await client.complete({ model: "big", prompt, maxTokens: 10 })).text,
            second: async () =>
              (await client.complete({ model: "big", prompt: "x", maxTokens: 1 })).text
          })
        })
        const wf = workflow(
          "w",
          [task("first"), task("second")],
          [{ from: "first", output: "", to: "second", input: "previous" }]
        )
        const result = yield* meter.execute(runtime, wf)
        assert.strictEqual(result.outputs.first, "long answer")
        assert.strictEqual(result.costs.byNode.first, 0.0408)
        const { tag, cause } = causeOf(result, "second")
        assert.strictEqual(tag, "BudgetExceeded")
        assert.include(cause?.message, "is exceeded")
        assert.strictEqual(llm.callCount(), 1)
      }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "a per-customer daily budget spans executions and resets on the next UTC day (TestClock)",
    () =>
      Effect.gen(function* () {
        const meter = yield* Meter.make({
          prices,
          budgets: [
            { name: "customer-daily", limit: 0.005, scope: { key: "customer", period: "day" } }
          ]
        })
        const llm = MockLlm.make({ usage: { input: 100, output: 100 } })
        const client = meteredLlm(meter, llm)
        const runtime = Runtime.make({
          functions: meter.functions({
            summarize: () => client.complete({ model: "big", prompt, maxTokens: 100 })
          })
        })
        const wf = workflow("w", [task("summarize")])
        const forCustomer = (customer: string) =>
          meter.execute(runtime, wf, {}, { keys: { customer } })
        assert.strictEqual((yield* forCustomer("acme")).status, "succeeded")
        const refused = yield* forCustomer("acme")
        assert.strictEqual(causeOf(refused, "summarize").tag, "BudgetExceeded")
        assert.strictEqual((yield* forCustomer("globex")).status, "succeeded")
        assert.deepStrictEqual(yield* meter.spent("customer-daily", "acme"), {
          spent: 0.005,
          reserved: 0
        })
        yield* TestClock.adjust("1 day")
        assert.strictEqual((yield* forCustomer("acme")).status, "succeeded")
        assert.strictEqual(llm.callCount(), 3)
      }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "concurrent calls cannot both pass on the same remaining budget: 20 nodes, room for 10",
    () =>
      Effect.gen(function* () {
        const meter = yield* Meter.make({
          prices,
          budgets: [{ name: "per-run", limit: 0.05, scope: "execution" }]
        })
        const llm = yield* Fixture.scoped(
          MockLlm.make({ usage: { input: 100, output: 100 }, latency: "1 second" })
        )
        const client = meteredLlm(meter, llm)
        const runtime = Runtime.make({
          functions: meter.functions({
            summarize: () => client.complete({ model: "big", prompt, maxTokens: 100 })
          })
        })
        const ids = Array.from({ length: 20 }, (_, i) => `s${i}`)
        const wf = workflow(
          "w",
          ids.map((id) => task(id, { fn: "summarize" })),
          [],
          { failureMode: "continue" }
        )
        const fiber = yield* Effect.forkChild(meter.execute(runtime, wf))
        // let every node reserve before any reply arrives, then release the replies
        for (let i = 0; i < 50 && llm.callCount() < 10; i++) {
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
        }
        assert.strictEqual(llm.callCount(), 10)
        yield* TestClock.adjust("1 second")
        const result = yield* Fiber.join(fiber).pipe(Effect.timeout("10 seconds"))
        const refused = ids.filter((id) => causeOf(result, id).tag === "BudgetExceeded")
        assert.strictEqual(refused.length, 10)
        assert.strictEqual(Object.keys(result.outputs).length, 10)
        assert.strictEqual(result.costs.total, 0.05)
      }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "a keyed budget without its key in the execution fails with InvalidConfig before running",
    () =>
      Effect.gen(function* () {
        const meter = yield* Meter.make({
          prices,
          budgets: [{ name: "customer-daily", limit: 1, scope: { key: "customer", period: "day" } }]
        })
        const error = yield* Effect.flip(meter.execute(Runtime.make(), workflow("w", [])))
        assert.strictEqual(error._tag, "InvalidConfig")
        assert.strictEqual(error.path, "keys.customer")
        assert.include(error.message, "customer-daily")
      }).pipe(Effect.provide(sandbox))
  )
})
