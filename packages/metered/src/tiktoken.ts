/**
 * Exact token counts for OpenAI-style models with `js-tiktoken` (optional peer dependency; the
 * pure-JS port of OpenAI's tiktoken, maintained by the LangChain team). Models it does not know
 * fall back to `o200k_base` (the encoding of the gpt-4o / gpt-4.1 / o-series families) — for other
 * vendors' models that is an approximation.
 *
 * @since 0.1.0
 */
import { encodingForModel, getEncoding, type Tiktoken, type TiktokenModel } from "js-tiktoken"
import type { TokenCounter } from "./Estimate.js"

const encoders = new Map<string, Tiktoken>()

/**
 * A token counter for `model` (encoders are loaded once and shared).
 *
 * @example
 * ```ts
 * import { Estimate } from "@weft/metered"
 * import { counterFor } from "@weft/metered/tiktoken"
 * const count = counterFor("gpt-4o-mini")
 * count("hello world") // 2
 * Estimate.completion({ prompt: "hello world", maxTokens: 100 }, count)
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const counterFor = (model: string): TokenCounter => {
  let encoder = encoders.get(model)
  if (encoder === undefined) {
    try {
      encoder = encodingForModel(model as TiktokenModel)
    } catch {
      encoder = encoders.get("o200k_base") ?? getEncoding("o200k_base")
      encoders.set("o200k_base", encoder)
    }
    encoders.set(model, encoder)
  }
  const found = encoder
  return (text) => found.encode(text).length
}
