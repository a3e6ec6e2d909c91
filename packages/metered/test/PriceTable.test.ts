import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { Budget, PriceTable } from "../src/index.js"
import { abandonedExpected, abandonedReservation } from "./helpers.js"

const table: PriceTable.PriceTable = {
  currency: "USD",
  meters: {
    llm: {
      models: {
        small: { input: { amount: 1, per: 1_000_000 }, output: { amount: 4, per: 1_000_000 } }
      }
    }
  }
}

const failure = <A, E>(result: Result.Result<A, E>): E => {
  if (Result.isSuccess(result)) throw new Error("expected a failure")
  return result.failure
}

describe("PriceTable", () => {
  it("prices quantities per model in exact integer nanos", () => {
    const nanos = PriceTable.costNanos(table, {
      meter: "llm",
      model: "small",
      quantities: { input: 1234, output: 567 }
    })
    // 1 USD per million tokens = 1,000 nano-USD per token
    assert.strictEqual(Result.getOrThrow(nanos), (1234 + 4 * 567) * 1000)
    // the example table prices gpt-4o at 2.5 / 10 USD per million tokens
    const example = PriceTable.cost(PriceTable.example, {
      meter: "llm",
      model: "gpt-4o",
      quantities: { input: 1_000_000, output: 100_000 }
    })
    assert.strictEqual(Result.getOrThrow(example), 3.5)
  })

  it("an unknown meter fails with UnknownMeter naming it and the known ones", () => {
    const error = failure(
      PriceTable.costNanos(table, { meter: "sms", quantities: { messages: 1 } })
    )
    assert.strictEqual(error._tag, "UnknownMeter")
    assert.strictEqual(error._tag === "UnknownMeter" && error.meter, "sms")
    assert.include(error.message, 'meter "sms"')
    assert.include(error.message, "known: llm")
  })

  it("a model missing from the table fails with ModelNotPriced naming meter and model", () => {
    const error = failure(
      PriceTable.costNanos(table, { meter: "llm", model: "gpt-9", quantities: { input: 1 } })
    )
    assert.strictEqual(error._tag, "ModelNotPriced")
    assert.include(error.message, 'model "gpt-9"')
    assert.include(error.message, 'meter "llm"')
    assert.include(error.message, "priced: small")
  })

  it("negative, NaN and unpriced quantities fail with InvalidQuantity naming the quantity", () => {
    for (const [quantities, named] of [
      [{ input: -3 }, "quantity input of llm/small is -3"],
      [{ output: Number.NaN }, "quantity output of llm/small is NaN"],
      [{ cached: 10 }, "quantity cached has no price under llm/small"]
    ] as const) {
      const error = failure(
        PriceTable.costNanos(table, { meter: "llm", model: "small", quantities })
      )
      assert.strictEqual(error._tag, "InvalidQuantity")
      assert.include(error.message, named)
    }
  })

  it("validate names the malformed entry of a table read from JSON", () => {
    const bad = JSON.parse(
      '{"currency":"USD","meters":{"llm":{"models":{"small":{"input":{"amount":1,"per":0}}}}}}'
    )
    const error = failure(PriceTable.validate(bad))
    assert.strictEqual(error.path, "meters.llm.models.small.input.per")
    assert.isTrue(Result.isSuccess(PriceTable.validate(PriceTable.example)))
  })
})

describe("Budget", () => {
  it("periods are calendar periods in UTC unless a time zone is given", () => {
    const lateEvening = Date.UTC(2026, 11, 4, 23, 30)
    assert.strictEqual(Budget.periodLabel("day", lateEvening), "2026-12-04")
    assert.strictEqual(Budget.periodLabel("day", lateEvening, "Europe/Berlin"), "2026-12-05")
    assert.strictEqual(Budget.periodLabel("hour", lateEvening), "2026-12-04T23")
    assert.strictEqual(Budget.periodLabel("week", lateEvening), "week:2026-11-30")
    assert.strictEqual(Budget.periodLabel("month", lateEvening), "2026-12")
  })

  it.effect("validate names the bad entry of a budget list", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Budget.validate([
          { name: "ok", limit: 1, scope: "execution" },
          { name: "daily", limit: 1, scope: { key: "customer", period: "fortnight" as "day" } }
        ])
      )
      assert.strictEqual(error.path, "budgets[1].scope.period")
      const negative = yield* Effect.flip(
        Budget.validate([{ name: "n", limit: -1, scope: "execution" }])
      )
      assert.strictEqual(negative.path, "budgets[0].limit")
    })
  )

  it.effect(
    "the memory store refuses a reservation that would pass the limit, and settles actual amounts",
    () =>
      Effect.gen(function* () {
        const store = Budget.memoryStore()
        const a = yield* store.reserve({
          bucket: "b",
          amount: 6,
          limit: 10,
          retainMillis: 0,
          now: 0,
          holdMillis: 600_000
        })
        const b = yield* store.reserve({
          bucket: "b",
          amount: 5,
          limit: 10,
          retainMillis: 0,
          now: 0,
          holdMillis: 600_000
        })
        assert.strictEqual(a._tag, "Reserved")
        assert.deepStrictEqual(b, { _tag: "Refused", spent: 0, reserved: 6 })
        if (a._tag !== "Reserved") return
        assert.deepStrictEqual(yield* store.settle(a.reservation, 12, 0), {
          spent: 12,
          reserved: 0
        })
        // overrun: nothing fits any more, not even a zero estimate
        const c = yield* store.reserve({
          bucket: "b",
          amount: 0,
          limit: 10,
          retainMillis: 0,
          now: 0,
          holdMillis: 600_000
        })
        assert.strictEqual(c._tag, "Refused")
      })
  )

  it.effect("a reservation held past its hold is abandoned: the next reservation releases it", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(
        yield* abandonedReservation(Budget.memoryStore(), "b"),
        abandonedExpected
      )
    })
  )
})
