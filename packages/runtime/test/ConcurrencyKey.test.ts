import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Runtime } from "../src/index.js"
import { sandbox, task, workflow } from "./helpers.js"

describe("per-key concurrency (NodeOptions.concurrency)", () => {
  it.effect("at most `limit` attempts per resolved key at once, across executions", () =>
    Effect.gen(function* () {
      const running = new Map<string, number>()
      const most = new Map<string, number>()
      const charge = (inputs: { readonly customerId: string }) =>
        Effect.gen(function* () {
          const now = (running.get(inputs.customerId) ?? 0) + 1
          running.set(inputs.customerId, now)
          most.set(inputs.customerId, Math.max(most.get(inputs.customerId) ?? 0, now))
          yield* Effect.sleep(100)
          running.set(inputs.customerId, now - 1)
          return inputs.customerId
        })
      const runtime = Runtime.make({ functions: { charge } })
      const node = (id: string) =>
        task(id, { fn: "charge", concurrency: { key: "customer:{customerId}", limit: 1 } })
      const wf = workflow("charges", [node("c1"), node("c2"), node("c3")])
      const params = (a: string, b: string, c: string) => ({
        c1: { customerId: a },
        c2: { customerId: b },
        c3: { customerId: c }
      })
      const fiber = yield* Effect.forkChild(
        Effect.all(
          [
            runtime.execute(wf, params("ann", "ann", "bob")),
            runtime.execute(wf, params("ann", "cy", "bob"))
          ],
          { concurrency: "unbounded" }
        )
      )
      yield* TestClock.adjust(1_000)
      const [first, second] = yield* Fiber.join(fiber)
      assert.strictEqual(first.status, "succeeded")
      assert.strictEqual(second.status, "succeeded")
      assert.deepStrictEqual(Object.fromEntries(most), { ann: 1, bob: 1, cy: 1 })
      // ann's three charges ran one after the other
      const annFinished = [first.nodes.c1!, first.nodes.c2!, second.nodes.c1!]
        .map((n) => n.finishedAt)
        .sort()
      assert.deepStrictEqual(annFinished, [100, 200, 300])
      assert.isAtLeast(
        Math.max(
          ...[first, second].flatMap((r) => Object.values(r.nodes).map((n) => n.queuedMillis ?? 0))
        ),
        200
      )
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a key whose placeholder is missing from the inputs fails the node, naming it", () =>
    Effect.gen(function* () {
      const wf = workflow("unresolved", [
        task("charge", { concurrency: { key: "customer:{customer.id}", limit: 2 } })
      ])
      const result = yield* Runtime.execute(wf, {}, { functions: { charge: () => 1 } })
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "NodeFailed")
      assert.include(error.message, `"customer.id"`)
    }).pipe(Effect.provide(sandbox))
  )
})
