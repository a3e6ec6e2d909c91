/**
 * Concurrency key templates (`NodeOptions.concurrency.key`): literal text with `{path}`
 * placeholders, each a dot path into the node's inputs — `"customer:{customerId}"`,
 * `"{order.region}/{order.tier}"`. Braces are only placeholder delimiters (there is no
 * escape), a placeholder is a non-empty dot path whose first segment is an input name, and
 * paths resolve on own properties only.
 *
 * The graph checks templates with {@link problem}; runtimes render keys with {@link render},
 * so every engine reads a template the same way.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import type { Json } from "./internal/json.js"
import { inputNameProblem } from "./internal/names.js"
import { get, type PathMissing, problem as pathProblem } from "./Path.js"

/**
 * One piece of a parsed template: literal text, or a placeholder's dot path.
 *
 * @example
 * ```ts
 * import type { ConcurrencyKey } from "@weft/graph"
 * const parts: ReadonlyArray<ConcurrencyKey.Part> = [
 *   { kind: "text", text: "customer:" },
 *   { kind: "placeholder", path: "customerId" }
 * ]
 * ```
 * @since 0.1.0
 * @category models
 */
export type Part =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "placeholder"; readonly path: string }

/**
 * Splits a template into literal text and placeholders, or explains what is wrong with it:
 * an empty template, an unmatched `{` or `}`, a nested `{`, an empty placeholder, a malformed
 * path, or a first segment that cannot be an input name.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { ConcurrencyKey } from "@weft/graph"
 * ConcurrencyKey.parse("customer:{customerId}")
 * // Result.succeed([{ kind: "text", text: "customer:" }, { kind: "placeholder", path: "customerId" }])
 * Result.isFailure(ConcurrencyKey.parse("customer:{}")) // true
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const parse = (template: string): Result.Result<ReadonlyArray<Part>, string> => {
  if (template === "") {
    return Result.fail(
      `the concurrency key is empty; give a template such as "customer:{customerId}"`
    )
  }
  const parts: Array<Part> = []
  let i = 0
  while (i < template.length) {
    const open = template.indexOf("{", i)
    const stray = template.indexOf("}", i)
    if (stray !== -1 && (open === -1 || stray < open)) {
      return Result.fail(
        `concurrency key '${template}' has a '}' at position ${stray + 1} without a matching '{'; braces only delimit placeholders such as {customerId}`
      )
    }
    if (open === -1) {
      parts.push({ kind: "text", text: template.slice(i) })
      break
    }
    if (open > i) parts.push({ kind: "text", text: template.slice(i, open) })
    const close = template.indexOf("}", open + 1)
    if (close === -1) {
      return Result.fail(
        `concurrency key '${template}' has a '{' at position ${open + 1} that is never closed; write placeholders as {inputName} or {input.path}`
      )
    }
    const nested = template.indexOf("{", open + 1)
    if (nested !== -1 && nested < close) {
      return Result.fail(
        `concurrency key '${template}' has a '{' inside a placeholder at position ${nested + 1}; placeholders cannot nest`
      )
    }
    const path = template.slice(open + 1, close)
    if (path === "") {
      return Result.fail(
        `concurrency key '${template}' has an empty placeholder {} at position ${open + 1}; name an input, e.g. {customerId}`
      )
    }
    const malformed = pathProblem(path)
    if (malformed !== undefined) {
      return Result.fail(`concurrency key '${template}': placeholder {${path}}: ${malformed}`)
    }
    const dot = path.indexOf(".")
    const notInput = inputNameProblem(dot === -1 ? path : path.slice(0, dot))
    if (notInput !== undefined) {
      return Result.fail(
        `concurrency key '${template}': placeholder {${path}} must start with an input name: ${notInput}`
      )
    }
    parts.push({ kind: "placeholder", path })
    i = close + 1
  }
  return Result.succeed(parts)
}

/**
 * What is wrong with a template, or `undefined` when it is fine (see {@link parse}).
 *
 * @example
 * ```ts
 * import { ConcurrencyKey } from "@weft/graph"
 * ConcurrencyKey.problem("tenant:{tenant}")  // undefined
 * ConcurrencyKey.problem("tenant:{tenant")   // "… '{' at position 8 that is never closed …"
 * ```
 * @since 0.1.0
 * @category guards
 */
export const problem = (template: string): string | undefined => {
  const parsed = parse(template)
  return Result.isFailure(parsed) ? parsed.failure : undefined
}

/**
 * Why a key could not be rendered: the placeholder whose path did not resolve in the inputs,
 * with the `Path.get` details (missing segment, where, what was available).
 *
 * @example
 * ```ts
 * import type { ConcurrencyKey } from "@weft/graph"
 * const explain = (miss: ConcurrencyKey.KeyMissing) =>
 *   `placeholder {${miss.placeholder}}: '${miss.missing}' not found (available: ${miss.available.join(", ")})`
 * ```
 * @since 0.1.0
 * @category models
 */
export interface KeyMissing extends PathMissing {
  /** The placeholder's path as written in the template. */
  readonly placeholder: string
}

const textOf = (value: Json): string => (typeof value === "string" ? value : JSON.stringify(value))

/**
 * Renders a parsed template against a node's inputs: each placeholder becomes the value at
 * its path (strings as they are, anything else as JSON text). Fails with the first
 * placeholder that does not resolve.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { ConcurrencyKey } from "@weft/graph"
 * const parts = Result.getOrThrow(ConcurrencyKey.parse("customer:{order.customerId}"))
 * ConcurrencyKey.render(parts, { order: { customerId: 42 } }) // Result.succeed("customer:42")
 * Result.isFailure(ConcurrencyKey.render(parts, { order: {} })) // true
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const render = (
  parts: ReadonlyArray<Part>,
  inputs: { readonly [name: string]: Json }
): Result.Result<string, KeyMissing> => {
  let out = ""
  for (const part of parts) {
    if (part.kind === "text") {
      out += part.text
      continue
    }
    const value = get(inputs, part.path)
    if (Result.isFailure(value)) return Result.fail({ ...value.failure, placeholder: part.path })
    out += textOf(value.success)
  }
  return Result.succeed(out)
}
