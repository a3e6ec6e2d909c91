import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { ConcurrencyKey } from "../src/index.js"

const parts = (template: string) => Result.getOrThrow(ConcurrencyKey.parse(template))

describe("ConcurrencyKey", () => {
  it("splits a template into literal text and placeholder paths", () => {
    expect(parts("customer:{customerId}/{order.region}")).toEqual([
      { kind: "text", text: "customer:" },
      { kind: "placeholder", path: "customerId" },
      { kind: "text", text: "/" },
      { kind: "placeholder", path: "order.region" }
    ])
    expect(parts("global")).toEqual([{ kind: "text", text: "global" }])
  })

  it("renders strings as they are and other JSON values as JSON text", () => {
    const template = parts("{name}|{count}|{flag}|{nothing}|{items.0}|{obj}")
    expect(
      ConcurrencyKey.render(template, {
        name: "acme",
        count: 42,
        flag: true,
        nothing: null,
        items: ["first"],
        obj: { a: 1 }
      })
    ).toEqual(Result.succeed('acme|42|true|null|first|{"a":1}'))
  })

  it("fails with the placeholder that does not resolve and what was available", () => {
    expect(ConcurrencyKey.render(parts("c:{order.customerId}"), { order: { id: 1 } })).toEqual(
      Result.fail({
        placeholder: "order.customerId",
        missing: "customerId",
        at: "order",
        available: ["id"]
      })
    )
  })

  it("reads own properties only: inherited names are missing, a real field named constructor works", () => {
    const template = parts("{input.constructor}")
    expect(Result.isFailure(ConcurrencyKey.render(template, { input: {} }))).toBe(true)
    expect(ConcurrencyKey.render(template, { input: { constructor: "x" } })).toEqual(
      Result.succeed("x")
    )
  })

  it("problem is undefined for good templates and explains bad ones", () => {
    expect(ConcurrencyKey.problem("tenant:{tenant}")).toBeUndefined()
    expect(ConcurrencyKey.problem("tenant:{tenant")).toContain("never closed")
  })
})
