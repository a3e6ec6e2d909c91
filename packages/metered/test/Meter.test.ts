import { assert, describe, it } from "@effect/vitest"
import { Fixture, MockLlm } from "@weft/fixtures"
import { Runtime, Trace } from "@weft/runtime"
import { Effect } from "effect"
import { Meter } from "../src/index.js"
import { code, connect, llmPrices, perMillion, sandbox, task, workflow } from "./helpers.js"

// prices in USD per million tokens: costs are easy to check by hand
const prices = llmPrices(
  { big: perMillion(10, 40), small: perMillion(1, 4) },
  { sms: { models: { default: { messages: { amount: 0.01, per: 1 } } } } }
)

type Llm = MockLlm.MockLlm

const meteredLlm = (meter: Meter.Meter, llm: Llm) =>
  meter.client(llm, {
    complete: {
      meter: "llm",
      model: (request) => request.model,
      estimate: (request) => ({ input: request.prompt.length, output: request.maxTokens ?? 100 }),
      usage: (reply) => reply.usage
    }
  })

describe("Meter", () => {
  it.effect(
    "a task node's client calls are priced and reported per node, per meter and in total",
    () =>
      Effect.gen(function* () {
        const meter = yield* Meter.make({ prices })
        const llm = yield* Fixture.scoped(MockLlm.make({ usage: { input: 1000, output: 250 } }))
        const client = meteredLlm(meter, llm)
        const runtime = Runtime.make({
          functions: meter.functions({
            summarize: async (inputs: { readonly text: string }) => {
              const reply = await client.complete({ model: "big", prompt: inputs.text })
              // a second call after an await is still attributed to this node
              const again = await client.complete({ model: "small", prompt: reply.text })
              return { summary: again.text }
            },
            notify: async (_inputs: unknown, context: Runtime.TaskContext) => {
              await meter.record({ meter: "sms", quantities: { messages: 2 } }, context)
              return { sent: true }
            }
          })
        })
        const wf = workflow(
          "summarise",
          [task("summarize"), task("notify")],
          [connect("summarize", "summary", "notify", "summary")]
        )
        const result = yield* meter.execute(runtime, wf, { summarize: { text: "hello" } })
        assert.strictEqual(result.status, "succeeded")
        // big: 1000 * 10e-6 + 250 * 40e-6 = 0.02; small: 1000 * 1e-6 + 250 * 4e-6 = 0.002; sms: 0.02
        assert.deepStrictEqual(result.costs.byNode, { summarize: 0.022, notify: 0.02 })
        assert.deepStrictEqual(result.costs.byMeter, { llm: 0.022, sms: 0.02 })
        assert.strictEqual(result.costs.total, 0.042)
        assert.strictEqual(result.costs.totalNanos, 42_000_000)
        assert.deepStrictEqual(
          result.costs.records.map((r) => [r.nodeId, r.meter, r.model, r.nanos]),
          [
            ["summarize", "llm", "big", 20_000_000],
            ["summarize", "llm", "small", 2_000_000],
            ["notify", "sms", "default", 20_000_000]
          ]
        )
        const usage = Trace.ofType(result.trace, "node-emitted").map((e) => [e.nodeId, e.event])
        assert.deepStrictEqual(usage[0], [
          "summarize",
          {
            type: "metered.usage",
            meter: "llm",
            model: "big",
            quantities: { input: 1000, output: 250 },
            cost: 0.02,
            nanos: 20_000_000,
            currency: "USD",
            cached: false,
            iteration: 1,
            attempt: 1
          }
        ])
        assert.strictEqual(usage.length, 3)
      }).pipe(Effect.provide(sandbox))
  )

  it.effect("code nodes are metered through getResource and the recordUsage host function", () =>
    Effect.gen(function* () {
      const meter = yield* Meter.make({ prices })
      const llm = MockLlm.make({ usage: { input: 100, output: 10 } })
      const runtime = Runtime.make({
        functions: meter.hostFunctions,
        resources: { llm: meteredLlm(meter, llm) }
      })
      const wf = workflow("code", [
        code(
          "ask",
          `const llm = await getResource("llm")
           const reply = await llm.complete({ model: "small", prompt: "question" })
           const sms = await recordUsage({ meter: "sms", quantities: { messages: 1 } })
           return { text: reply.text, smsCost: sms.cost }`
        )
      ])
      const live: Array<Trace.TraceEvent> = []
      const result = yield* meter.execute(runtime, wf, {}, { onEvent: (e) => live.push(e) })
      assert.strictEqual(result.status, "succeeded", JSON.stringify(result.errors))
      assert.deepStrictEqual(result.outputs.ask, { text: "summary of question", smsCost: 0.01 })
      // both usages (the bridge call's and recordUsage's) reached a live listener
      assert.deepStrictEqual(
        live
          .filter((e) => e.type === "node-emitted")
          .map((e) => (e.type === "node-emitted" ? (e.event as { meter?: unknown }).meter : null)),
        ["llm", "sms"]
      )
      assert.deepStrictEqual(result.costs.byNode, { ask: 0.01014 })
      // code nodes' usage is emitted live (Attempt.CurrentAttempt), between the node's start and end
      const types = Trace.forNode(result.trace, "ask").map((e) => e.type)
      assert.deepStrictEqual(types, [
        "node-scheduled",
        "node-started",
        "resource-acquired",
        "resource-called",
        "node-emitted",
        "node-emitted",
        "node-succeeded"
      ])
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("bad usage from a code node fails the node with a typed error naming the entry", () =>
    Effect.gen(function* () {
      const meter = yield* Meter.make({ prices })
      const runtime = Runtime.make({ functions: meter.hostFunctions })
      const wf = workflow(
        "w",
        [
          code("unknown", `return await recordUsage({ meter: "fax", quantities: { pages: 1 } })`),
          code(
            "negative",
            `return await recordUsage({ meter: "sms", quantities: { messages: -2 } })`
          ),
          code(
            "model",
            `return await recordUsage({ meter: "llm", model: "gpt-9", quantities: { input: 1 } })`
          )
        ],
        [],
        { failureMode: "continue" }
      )
      const result = yield* meter.execute(runtime, wf)
      const failure = (id: string) => {
        const error = result.nodes[id]?.error as {
          readonly errorTag?: string
          readonly message: string
        }
        return [error.errorTag, error.message]
      }
      const [unknownTag, unknownMessage] = failure("unknown")
      assert.strictEqual(unknownTag, "UnknownMeter")
      assert.include(unknownMessage, 'meter "fax"')
      const [negativeTag, negativeMessage] = failure("negative")
      assert.strictEqual(negativeTag, "InvalidQuantity")
      assert.include(negativeMessage, "quantity messages of sms/default is -2")
      const [modelTag, modelMessage] = failure("model")
      assert.strictEqual(modelTag, "ModelNotPriced")
      assert.include(modelMessage, 'model "gpt-9"')
      assert.strictEqual(result.costs.total, 0)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("calls outside a metered execution fail with NotMetered naming the operation", () =>
    Effect.gen(function* () {
      const meter = yield* Meter.make({ prices })
      const client = meteredLlm(meter, MockLlm.make())
      const error = yield* Effect.flip(
        Effect.tryPromise({
          try: () => client.complete({ model: "small", prompt: "x" }),
          catch: (e) => e as { readonly _tag: string; readonly message: string }
        })
      )
      assert.strictEqual(error._tag, "NotMetered")
      assert.include(error.message, "complete")
      const plain = Runtime.make({
        functions: { t: async () => client.complete({ model: "small", prompt: "x" }) }
      })
      const result = yield* plain.execute(workflow("w", [task("t")]))
      assert.strictEqual(result.errors[0]?._tag, "NodeFailed")
      assert.include(result.errors[0]?.message, "NotMetered")
    }).pipe(Effect.provide(sandbox))
  )
})

describe("Meter.client", () => {
  it.effect("wraps class clients with private fields: metered and other methods both work", () =>
    Effect.gen(function* () {
      class Client {
        readonly #key = "secret"
        get region() {
          return this.#key.length > 0 ? "eu" : "us"
        }
        async complete(request: { readonly model: string; readonly prompt: string }) {
          return { text: `${this.#key}:${request.prompt}`, usage: { input: 1000, output: 0 } }
        }
        async ping() {
          return this.#key
        }
      }
      const meter = yield* Meter.make({ prices })
      const client = meter.client(new Client(), {
        complete: { meter: "llm", model: (r) => r.model, usage: (reply) => reply.usage }
      })
      assert.strictEqual(yield* Effect.promise(() => client.ping()), "secret")
      assert.strictEqual(client.region, "eu")
      const runtime = Runtime.make({
        functions: meter.functions({
          ask: async () => (await client.complete({ model: "small", prompt: "q" })).text
        })
      })
      const result = yield* meter.execute(runtime, workflow("w", [task("ask")]))
      assert.strictEqual(result.outputs.ask, "secret:q")
      assert.strictEqual(result.costs.total, 0.001)
    }).pipe(Effect.provide(sandbox))
  )

  it("a method that is not on the client fails with InvalidConfig naming it", () => {
    const meter = Meter.makeUnsafe({ prices })
    assert.throws(
      () =>
        meter.client(
          { complete: async () => ({}) } as {
            complete: () => Promise<object>
            chat?: () => Promise<object>
          },
          {
            chat: { meter: "llm", usage: () => ({}) }
          }
        ),
      /no method "chat"/
    )
  })
})

describe("Meter.run (Promise facade)", () => {
  it("runs a workflow with the default sandbox and returns its costs", async () => {
    const meter = Meter.makeUnsafe({ prices })
    const llm = MockLlm.make({ usage: { input: 1000, output: 0 } })
    const client = meteredLlm(meter, llm)
    const runtime = Runtime.make({
      functions: meter.functions({
        ask: async () => (await client.complete({ model: "small", prompt: "q" })).text
      })
    })
    const wf = workflow(
      "w",
      [task("ask"), code("shout", "return answer.toUpperCase()")],
      [connect("ask", "", "shout", "answer")]
    )
    const result = await meter.run(runtime, wf)
    assert.strictEqual(result.status, "succeeded", JSON.stringify(result.errors))
    assert.strictEqual(result.outputs.shout, "SUMMARY OF Q")
    assert.strictEqual(result.costs.total, 0.001)
  })
})
