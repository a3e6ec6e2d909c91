import { assert, describe, it } from "@effect/vitest"
import { Policy } from "@weft/retry"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Runtime } from "../src/index.js"
import { sandbox, task, workflow } from "./helpers.js"

class ConnectionError {
  readonly _tag = "ConnectionError"
  constructor(readonly message: string) {}
}

describe("error messages", () => {
  it.effect("RetriesExhausted names the node and the last error once", () =>
    Effect.gen(function* () {
      const retry = Policy.fixed({ delay: "1 second", maxAttempts: 3 }) as unknown as {
        readonly [k: string]: null
      }
      const wf = workflow("exhausted", [task("charge", { retry })])
      const fiber = yield* Effect.forkChild(
        Runtime.execute(
          wf,
          {},
          { functions: { charge: () => Effect.fail(new ConnectionError("connection refused")) } }
        )
      )
      yield* TestClock.adjust("2 seconds")
      const result = yield* Fiber.join(fiber)
      assert.deepStrictEqual(
        result.errors.map((error) => `${error._tag}: ${error.message}`),
        [
          "RetriesExhausted: node charge failed after 3 attempts in 2000ms; last error: ConnectionError: connection refused"
        ]
      )
    }).pipe(Effect.provide(sandbox))
  )
})
