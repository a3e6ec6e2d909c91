import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { Path } from "../src/index.js"

describe("Path", () => {
  const output = {
    result: { data: { items: [10, 20] } },
    rows: [{ id: "r1" }, { id: "r2" }],
    nothing: null
  }

  it("reads nested object keys and array indices", () => {
    expect(Path.get(output, "result.data.items")).toEqual(Result.succeed([10, 20]))
    expect(Path.get(output, "rows.1.id")).toEqual(Result.succeed("r2"))
    expect(Path.get(output, "nothing")).toEqual(Result.succeed(null))
  })

  it("the empty path is the whole output", () => {
    expect(Path.get(output, "")).toEqual(Result.succeed(output))
    expect(Path.get(7, "")).toEqual(Result.succeed(7))
  })

  it("names the missing segment, where it was looked for, and what was there", () => {
    expect(Path.get(output, "result.dta.items")).toEqual(
      Result.fail({ missing: "dta", at: "result", available: ["data"] })
    )
    expect(Path.get(output, "rows.5.id")).toEqual(
      Result.fail({ missing: "5", at: "rows", available: ["0", "1"] })
    )
    expect(Path.get(output, "rows.0.id.length")).toEqual(
      Result.fail({ missing: "length", at: "rows.0.id", available: [] })
    )
    expect(Path.get(undefined, "")).toEqual(Result.fail({ missing: "", at: "", available: [] }))
  })

  it("does not read inherited properties or non-index array keys", () => {
    expect(Result.isFailure(Path.get({}, "constructor"))).toBe(true)
    expect(Result.isFailure(Path.get([1, 2], "length"))).toBe(true)
    expect(Result.isFailure(Path.get([1, 2], "01"))).toBe(true)
  })

  it("reads a real field named constructor, and a __proto__ key only when it is an own field", () => {
    expect(Path.get({ constructor: { name: "api" } }, "constructor.name")).toEqual(
      Result.succeed("api")
    )
    expect(Result.isFailure(Path.get({ a: {} }, "a.__proto__"))).toBe(true)
    expect(Path.get(JSON.parse('{"__proto__": {"x": 1}}'), "__proto__.x")).toEqual(
      Result.succeed(1)
    )
  })

  it("rejects __proto__ as a path segment", () => {
    expect(Path.problem("__proto__")).toContain("segment '__proto__' at position 1")
    expect(Path.problem("a.__proto__.b")).toContain("at position 2, which is reserved")
    expect(Path.isValid("a.constructor")).toBe(true)
  })

  it("caps the list of available keys at 100", () => {
    const missing = Path.get({ big: Array.from({ length: 500 }, (_, i) => i) }, "big.900")
    expect(Result.isFailure(missing) && missing.failure.available.length).toBe(100)
  })

  it("explains malformed paths", () => {
    expect(Path.isValid("")).toBe(true)
    expect(Path.isValid("a.0.b")).toBe(true)
    expect(Path.problem(".a")).toContain("empty segment at position 1")
    expect(Path.problem("a.")).toContain("did you mean 'a'?")
    expect(Path.problem("rows[0].id")).toContain("'rows.0.id'")
    expect(Path.problem("first name")).toContain("whitespace")
    expect(Path.segments("a.0.b")).toEqual(["a", "0", "b"])
    expect(Path.segments("")).toEqual([])
  })
})
