import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Runtime, Trace } from "../src/index.js"
import { code, connect, drive, sandbox, task, workflow } from "./helpers.js"

type Workflow = Runtime.Workflow
type Node = Workflow["nodes"][number]
type Connection = Workflow["connections"][number]

const delay = (id: string, wait: number | { readonly until: string }): Node =>
  typeof wait === "number"
    ? { kind: "delay", id, duration: wait }
    : { kind: "delay", id, until: wait.until }
const event = (id: string, name: string, timeout?: number): Node =>
  timeout === undefined
    ? { kind: "event", id, event: name }
    : { kind: "event", id, event: name, timeout }
const onFailure = (from: string, output: string, to: string, input: string): Connection => ({
  from,
  output,
  to,
  input,
  on: "failure"
})

describe("delay nodes", () => {
  it.effect("wait their duration on the Clock and pass their inputs on unchanged", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "cooldown",
        [task("a"), delay("wait", 5_000), task("b")],
        [connect("a", "", "wait", "order"), connect("wait", "order", "b", "order")]
      )
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          { currency: "EUR" },
          {
            functions: {
              a: () => ({ id: 7 }),
              b: ({ order }: { readonly order: { readonly id: number } }) => ({ shipped: order.id })
            }
          }
        )
      )
      yield* TestClock.adjust(4_999)
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust(1)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "succeeded")
      // workflow-wide params are not part of what a delay passes on
      assert.deepStrictEqual(result.outputs.wait, { order: { id: 7 } })
      assert.deepStrictEqual(result.outputs.b, { shipped: 7 })
      assert.strictEqual(result.duration, 5_000)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "wait until an epoch-ms timestamp from an input; a time in the past fires at once",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(1_000_000)
        const wf = workflow(
          "due",
          [task("plan"), delay("later", { until: "at" }), delay("past", { until: "at" })],
          [connect("plan", "future", "later", "at"), connect("plan", "past", "past", "at")]
        )
        const fiber = yield* Effect.forkChild(
          Runtime.execute(wf, {}, { functions: { plan: () => ({ future: 1_003_000, past: 5 }) } })
        )
        yield* TestClock.adjust(3_000)
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.status, "succeeded")
        const finished = Object.fromEntries(
          Trace.ofType(result.trace, "node-succeeded").map((e) => [e.nodeId, e.at])
        )
        assert.strictEqual(finished.past, 1_000_000)
        assert.strictEqual(finished.later, 1_003_000)
      }).pipe(Effect.provide(sandbox))
  )

  it.effect("fail with a message naming the input when the timestamp is missing", () =>
    Effect.gen(function* () {
      const wf = workflow("bad-until", [delay("wait", { until: "dueAt" })])
      const result = yield* Runtime.execute(wf)
      assert.strictEqual(result.status, "failed")
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "NodeFailed")
      if (error._tag === "NodeFailed") assert.strictEqual(error.errorTag, "InvalidDelayUntil")
      assert.include(error.message, `input "dueAt"`)
    }).pipe(Effect.provide(sandbox))
  )
})

describe("event nodes", () => {
  it.effect("output the payload of the named event; one sent before anyone waits is kept", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "approval",
        [task("request"), event("approved", "approval"), task("ship")],
        [connect("request", "", "approved", "x"), connect("approved", "by", "ship", "by")]
      )
      const execution = yield* Runtime.start(
        wf,
        {},
        {
          functions: {
            request: () => ({ sent: true }),
            ship: ({ by }: { readonly by: string }) => ({ by })
          }
        }
      )
      yield* execution.send("other", { by: "nobody" })
      yield* execution.send("approval", { by: "ada" })
      const result = yield* execution.result
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.ship, { by: "ada" })
      const received = Trace.ofType(result.trace, "event-received").map((e) => e.name)
      assert.deepStrictEqual(received, ["other", "approval"])
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("each event completes exactly one waiter, in the order they started waiting", () =>
    Effect.gen(function* () {
      const wf = workflow("two-waiters", [event("first", "tick"), event("second", "tick")], [], {
        mode: "sequential"
      })
      const execution = yield* Runtime.start(wf)
      yield* Effect.yieldNow
      yield* execution.send("tick", 1)
      yield* execution.send("tick", 2)
      const result = yield* execution.result
      assert.deepStrictEqual(result.outputs, { first: 1, second: 2 })
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("an event node and a guest nextEvent(name) share the queue: one event each", () =>
    Effect.gen(function* () {
      const wf = workflow("shared-queue", [
        event("node", "job"),
        code("guest", `result = await nextEvent("job")`)
      ])
      const execution = yield* Runtime.start(wf)
      const fiber = yield* Effect.forkChild(execution.result)
      // let the guest reach its wait
      for (let i = 0; i < 50; i++) {
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
        if (execution.trace().filter((e) => e.type === "node-waiting").length === 2) break
      }
      yield* execution.send("job", "a")
      yield* execution.send("job", "b")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "succeeded")
      assert.sameMembers([result.outputs.node, result.outputs.guest], ["a", "b"])
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("time out with EventTimedOut; a failure connection routes the escalation", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "escalate",
        [event("approval", "approved", 60_000), task("escalate"), task("ship")],
        [onFailure("approval", "", "escalate", "why"), connect("approval", "", "ship", "approval")]
      )
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          {
            functions: {
              escalate: ({ why }: { readonly why: { readonly _tag: string } }) => ({
                paged: why._tag
              }),
              ship: () => "shipped"
            }
          }
        )
      )
      yield* TestClock.adjust(60_000)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.nodes.approval!.status, "timed-out")
      assert.strictEqual(result.nodes.approval!.error?._tag, "EventTimedOut")
      assert.deepStrictEqual(result.outputs.escalate, { paged: "EventTimedOut" })
      assert.strictEqual(result.nodes.ship!.status, "skipped")
      assert.deepStrictEqual(result.errors, [])
      assert.deepStrictEqual(
        result.handled.map((e) => e._tag),
        ["EventTimedOut"]
      )
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("inside a loop, each iteration waits for its own event", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "per-iteration",
        [event("next", "page"), task("sum")],
        [connect("next", "", "sum", "page"), connect("sum", "total", "sum", "before")],
        {},
        [
          {
            id: "pages",
            nodes: ["next", "sum"],
            maxIterations: 3,
            until: { kind: "condition", source: "outputs.sum.done" },
            onMaxIterations: "succeed"
          }
        ]
      )
      const execution = yield* Runtime.start(
        wf,
        { sum: { before: 0 } },
        {
          functions: {
            sum: (inputs: { readonly page: number; readonly before: number }) => ({
              total: inputs.before + inputs.page,
              done: inputs.page === 0
            })
          }
        }
      )
      yield* execution.send("page", 5)
      yield* execution.send("page", 7)
      yield* execution.send("page", 0)
      const result = yield* execution.result
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.sum, { total: 12, done: true })
      assert.strictEqual(result.nodes.next!.iterations, 3)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a waiting event node holds no slot: sequential runs go on around it", () =>
    Effect.gen(function* () {
      const wf = workflow("around", [event("wait", "go"), task("work")], [], { mode: "sequential" })
      const execution = yield* Runtime.start(wf, {}, { functions: { work: () => "worked" } })
      for (let i = 0; i < 20 && !execution.trace().some((e) => e.type === "node-succeeded"); i++) {
        yield* Effect.yieldNow
      }
      assert.isTrue(
        execution.trace().some((e) => e.type === "node-succeeded" && e.nodeId === "work")
      )
      yield* execution.send("go", true)
      const result = yield* execution.result
      assert.deepStrictEqual(result.outputs, { wait: true, work: "worked" })
    }).pipe(Effect.provide(sandbox))
  )
})

describe("failure connections", () => {
  const graph = workflow(
    "fallback",
    [task("primary"), task("fallback"), task("next")],
    [
      connect("primary", "", "next", "quote"),
      onFailure("primary", "", "fallback", "error"),
      connect("fallback", "", "next", "quote")
    ]
  )

  it.effect("primary, else fallback: next runs once with the fallback's value", () =>
    Effect.gen(function* () {
      const seen: Array<unknown> = []
      const result = yield* Runtime.execute(
        graph,
        {},
        {
          functions: {
            primary: () => {
              throw Object.assign(new Error("rate limited"), { name: "RateLimited" })
            },
            fallback: ({ error }: { readonly error: { readonly errorTag: string } }) => ({
              price: 9,
              because: error.errorTag
            }),
            next: ({ quote }: { readonly quote: unknown }) => {
              seen.push(quote)
              return quote
            }
          }
        }
      )
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.nodes.primary!.status, "failed")
      assert.deepStrictEqual(seen, [{ price: 9, because: "RateLimited" }])
      assert.deepStrictEqual(result.errors, [])
      assert.deepStrictEqual(
        result.handled.map((e) => e._tag),
        ["NodeFailed"]
      )
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("primary succeeds: the fallback (fed only by a failure connection) is skipped", () =>
    Effect.gen(function* () {
      const result = yield* Runtime.execute(
        graph,
        {},
        {
          functions: {
            primary: () => ({ price: 10 }),
            fallback: () => ({ price: 9 }),
            next: ({ quote }: { readonly quote: unknown }) => quote
          }
        }
      )
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.nodes.fallback!.status, "skipped")
      assert.deepStrictEqual(result.outputs.next, { price: 10 })
      assert.strictEqual(result.counts.next, 1)
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a failure without a failure connection still fails fast", () =>
    Effect.gen(function* () {
      const wf = workflow(
        "unhandled",
        [task("bad"), task("slow"), task("guarded"), task("rescue")],
        [onFailure("guarded", "", "rescue", "e")]
      )
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          {
            functions: {
              bad: () => Effect.andThen(Effect.sleep(10), Effect.fail(new Error("boom"))),
              slow: () => Effect.as(Effect.sleep(10_000), "late"),
              guarded: () => "fine",
              rescue: () => "unused"
            }
          }
        )
      )
      yield* TestClock.adjust(10_000)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "failed")
      assert.strictEqual(result.nodes.slow!.status, "cancelled")
      assert.deepStrictEqual(result.handled, [])
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a retried node's failure connection fires only after its last attempt", () =>
    Effect.gen(function* () {
      let calls = 0
      const wf = workflow(
        "retried",
        [
          task("flaky", {
            retry: { maxAttempts: 3, backoff: { kind: "fixed", delay: 100 }, jitter: "none" }
          }),
          task("alert")
        ],
        [onFailure("flaky", "lastError", "alert", "last")]
      )
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          {
            functions: {
              flaky: () => {
                calls++
                throw Object.assign(new Error(`try ${calls}`), { name: "Busy" })
              },
              alert: ({ last }: { readonly last: { readonly errorTag: string } }) => last.errorTag
            }
          }
        )
      )
      yield* TestClock.adjust(1_000)
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(calls, 3)
      assert.strictEqual(result.outputs.alert, "Busy")
      assert.strictEqual(result.status, "succeeded")
      assert.strictEqual(result.nodes.flaky!.error?._tag, "RetriesExhausted")
    }).pipe(Effect.provide(sandbox))
  )
})

describe("named and unnamed events", () => {
  it.effect("unnamed send/nextEvent keep working beside named ones", () =>
    Effect.gen(function* () {
      const wf = workflow("mixed", [
        code("a", `result = [await nextEvent(), await nextEvent("n")]`)
      ])
      const execution = yield* Runtime.start(wf)
      yield* execution.send("n", "named")
      yield* execution.send({ plain: true })
      const fiber = yield* Effect.forkChild(execution.result)
      const result = yield* drive(fiber, 10)
      assert.deepStrictEqual(result.outputs.a, [{ plain: true }, "named"])
    }).pipe(Effect.provide(sandbox))
  )
})
