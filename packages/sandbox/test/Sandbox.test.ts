import { describe, expect, it } from "vitest"
import { Sandbox } from "../src/index.js"

describe("Sandbox", () => {
  it("accepts identifiers and rejects names that are not", () => {
    expect(Sandbox.isValidInputName("items")).toBe(true)
    expect(Sandbox.isValidInputName("1items")).toBe(false)
    expect(Sandbox.isValidInputName("a-b")).toBe(false)
  })
})
