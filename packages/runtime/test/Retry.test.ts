import { assert, describe, it } from "@effect/vitest"
import { Policy } from "@weft/retry"
import { Effect, Fiber, Logger } from "effect"
import { TestClock } from "effect/testing"
import { Runtime, Trace } from "../src/index.js"
import { code, drive, sandbox, task, workflow } from "./helpers.js"

class ConnectionError extends Error {
  readonly _tag = "ConnectionError"
}

const retry = (policy: Policy.Policy) => policy as unknown as { readonly [key: string]: null }

describe("retries", () => {
  it.effect("retries a flaky node per its policy, recording every attempt", () =>
    Effect.gen(function* () {
      let attempts = 0
      const policy = Policy.exponential({ base: "200 millis", maxAttempts: 5, jitter: "none" })
      const wf = workflow("retry_test", [task("charge", { retry: retry(policy) })])
      const lines: Array<string> = []
      const logger = Logger.make(({ message }) => {
        lines.push((message as Array<unknown>).join(" "))
      })
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          {
            functions: {
              charge: async () => {
                attempts++
                if (attempts < 3) throw new ConnectionError("reset")
                return { success: true, attempts }
              }
            }
          }
        ).pipe(Effect.provide(Logger.layer([logger])))
      )
      const result = yield* drive(fiber, 100)
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.charge, { success: true, attempts: 3 })
      assert.strictEqual(result.nodes.charge!.attempts, 3)
      assert.strictEqual(result.counts.charge, 3)
      const retrying = Trace.ofType(result.trace, "node-retrying")
      assert.deepStrictEqual(
        retrying.map((e) => [e.attempt, e.delay, e.error]),
        [
          [1, 200, "ConnectionError"],
          [2, 400, "ConnectionError"]
        ]
      )
      assert.deepStrictEqual(
        Trace.ofType(result.trace, "node-started").map((e) => e.attempt),
        [1, 2, 3]
      )
      assert.include(lines, "node charge attempt 2/5 failed: ConnectionError; retrying in 400ms")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("records RetriesExhausted with the last error when every attempt fails", () =>
    Effect.gen(function* () {
      const policy = Policy.fixed({ delay: "1 second", maxAttempts: 3 })
      const wf = workflow("exhausted", [task("charge", { retry: retry(policy) })])
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          { functions: { charge: () => Effect.fail(new ConnectionError("down")) } }
        )
      )
      yield* TestClock.adjust("2 seconds")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "failed")
      assert.strictEqual(result.counts.charge, 3)
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "RetriesExhausted")
      if (error._tag === "RetriesExhausted") {
        assert.strictEqual(error.attempts, 3)
        assert.strictEqual(error.elapsed, 2000)
        assert.deepInclude(error.lastError as object, {
          _tag: "NodeFailed",
          errorTag: "ConnectionError"
        })
      }
      assert.strictEqual(JSON.parse(JSON.stringify(result.errors))[0]._tag, "RetriesExhausted")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("does not retry errors outside retryOn", () =>
    Effect.gen(function* () {
      const policy = Policy.fixed({ delay: 10, maxAttempts: 5, retryOn: ["ConnectionError"] })
      const wf = workflow("retry-on", [task("a", { retry: retry(policy) })])
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          functions: { a: () => Effect.fail({ _tag: "ValidationError", message: "bad input" }) }
        }
      )
      assert.strictEqual(result.counts.a, 1)
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "NodeFailed")
      if (error._tag === "NodeFailed") assert.strictEqual(error.errorTag, "ValidationError")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("retries a code node whose host call failed, by the host error's tag", () =>
    Effect.gen(function* () {
      let calls = 0
      const payments = {
        post: async () => {
          calls++
          if (calls < 3) throw new ConnectionError("reset")
          return { id: "ch_1" }
        }
      }
      const policy = Policy.exponential({ base: 100, maxAttempts: 5, retryOn: ["ConnectionError"] })
      const wf = workflow("charge", [
        code(
          "charge",
          `const p = await getResource("payments"); result = await p.post("/charges")`,
          {
            retry: retry(policy)
          }
        )
      ])
      const fiber = yield* Effect.forkChild(Runtime.execute(wf, {}, { resources: { payments } }))
      const result = yield* drive(fiber, 50)
      assert.strictEqual(result.status, "succeeded")
      assert.deepStrictEqual(result.outputs.charge, { id: "ch_1" })
      assert.strictEqual(result.nodes.charge!.attempts, 3)
    }).pipe(Effect.provide(sandbox))
  )
})
