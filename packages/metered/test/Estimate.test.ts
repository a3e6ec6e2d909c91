import { assert, describe, it } from "@effect/vitest"
import { Estimate } from "../src/index.js"
import { counterFor } from "../src/tiktoken.js"

describe("Estimate", () => {
  it("js-tiktoken counts OpenAI tokens exactly; the 4-characters rule is only close", () => {
    const count = counterFor("gpt-4o-mini")
    assert.strictEqual(count("hello world"), 2)
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(20)
    const exact = count(text)
    // 10 tokens per sentence, and the trailing space of the last one is a token of its own
    assert.strictEqual(exact, 201)
    const approximate = Estimate.approximateTokens(text)
    assert.strictEqual(approximate, 225)
  })

  it("unknown models fall back to o200k_base", () => {
    assert.strictEqual(
      counterFor("some-other-vendor-model")("hello world"),
      counterFor("gpt-4o")("hello world")
    )
  })

  it("a completion estimate reserves the prompt (+ framing) and maxTokens", () => {
    assert.deepStrictEqual(Estimate.completion({ prompt: "x".repeat(400), maxTokens: 200 }), {
      input: 108,
      output: 200
    })
    assert.deepStrictEqual(
      Estimate.completion({ prompt: "hello world" }, counterFor("gpt-4o"), 0),
      { input: 2, output: 1024 }
    )
  })
})
