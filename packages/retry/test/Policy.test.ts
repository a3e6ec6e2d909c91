import { describe, expect, it } from "vitest"
import { Policy } from "../src/index.js"

describe("Policy", () => {
  it("doubles a 2 s base: 2, 4, 8, 16, 32 s for five retries", () => {
    expect(Policy.delays({ maxAttempts: 6, baseMillis: 2000 })).toEqual([2000, 4000, 8000, 16000, 32000])
  })
})
