/**
 * Estimating usage before a call, to reserve it against budgets. A token counter turns text into
 * a token count: {@link approximateTokens} (about 4 characters per token for English text — an
 * approximation that can be off by 2× for code or other languages) or an exact tokenizer for
 * OpenAI-style models from `@weft/metered/tiktoken` (js-tiktoken). Even with an exact tokenizer an
 * estimate is approximate: chat framing adds a few tokens per message, and the output is only
 * known afterwards, so {@link completion} reserves `maxTokens` (the upper bound).
 *
 * @since 0.1.0
 */

/**
 * Counts the tokens of a text.
 *
 * @example
 * ```ts
 * import type { Estimate } from "@weft/metered"
 * const words: Estimate.TokenCounter = (text) => text.split(/\s+/).length
 * ```
 * @since 0.1.0
 * @category models
 */
export type TokenCounter = (text: string) => number

/**
 * About one token per 4 characters (rounded up): cheap, approximate.
 *
 * @example
 * ```ts
 * import { Estimate } from "@weft/metered"
 * Estimate.approximateTokens("Summarise this article") // 6
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const approximateTokens: TokenCounter = (text) => Math.ceil(text.length / 4)

/**
 * Estimated quantities of a completion: input = tokens of the prompt (+ `overhead` per call,
 * default 8, for chat framing), output = `maxTokens` (default 1024).
 *
 * @example
 * ```ts
 * import { Estimate } from "@weft/metered"
 * Estimate.completion({ prompt: "x".repeat(400), maxTokens: 200 }) // { input: 108, output: 200 }
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const completion = (
  request: { readonly prompt: string; readonly maxTokens?: number },
  count: TokenCounter = approximateTokens,
  overhead = 8
): { readonly input: number; readonly output: number } => ({
  input: count(request.prompt) + overhead,
  output: request.maxTokens ?? 1024
})
