/**
 * Dot paths into a node's JSON output: `"result.data.items"`, `"rows.0.id"` (array indices
 * are plain segments), `""` for the whole output.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import type { Json } from "./internal/json.js"

/**
 * Why a path did not resolve: the first segment that is missing and the keys (or array
 * indices) that were available at that point.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { Path } from "@weft/graph"
 * const result = Path.get({ a: { b: 1 } }, "a.c")
 * if (Result.isFailure(result)) result.failure // { missing: "c", at: "a", available: ["b"] }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface PathMissing {
  /** The segment that was not found. */
  readonly missing: string
  /** The path that did resolve, up to the missing segment (`""` = the root). */
  readonly at: string
  /** Keys of the object (or indices of the array) at `at`; empty for a primitive. At most 100. */
  readonly available: Array<string>
}

const MAX_AVAILABLE = 100
const INDEX = /^(?:0|[1-9][0-9]*)$/
const BRACKET = /\[(\d+)\]/g
const WHITESPACE = /\s/

/**
 * Checks a path and explains what is wrong with it, or returns `undefined` when it is fine.
 *
 * @example
 * ```ts
 * import { Path } from "@weft/graph"
 * Path.problem("rows.0.id")   // undefined
 * Path.problem("rows[0].id")  // "… write array indices as segments: 'rows.0.id'"
 * Path.problem("a.__proto__") // "… the segment '__proto__' … is reserved …"
 * ```
 * @since 0.1.0
 * @category guards
 */
export const problem = (path: string): string | undefined => {
  if (path === "") return undefined
  if (path.includes("[") || path.includes("]")) {
    const suggestion = path.replace(BRACKET, ".$1").replace(/^\./, "")
    return `path '${path}' uses brackets; write array indices as segments: '${suggestion}'`
  }
  if (WHITESPACE.test(path)) return `path '${path}' contains whitespace; remove it`
  const segments = path.split(".")
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] === "") {
      const fixed = segments.filter((segment) => segment !== "").join(".")
      return `path '${path}' has an empty segment at position ${i + 1}; did you mean '${fixed}'? ('' alone means the whole output)`
    }
    if (segments[i] === "__proto__") {
      return `path '${path}' has the segment '__proto__' at position ${i + 1}, which is reserved; paths read own fields only`
    }
  }
  return undefined
}

/**
 * Whether `path` is a well-formed dot path (`""` included).
 *
 * @example
 * ```ts
 * import { Path } from "@weft/graph"
 * Path.isValid("result.data")  // true
 * Path.isValid("result..data") // false
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isValid = (path: string): boolean => problem(path) === undefined

/**
 * Splits a path into its segments (`""` gives no segments).
 *
 * @example
 * ```ts
 * import { Path } from "@weft/graph"
 * Path.segments("rows.0.id") // ["rows", "0", "id"]
 * Path.segments("")          // []
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const segments = (path: string): Array<string> => (path === "" ? [] : path.split("."))

const keysOf = (value: unknown): Array<string> => {
  if (Array.isArray(value)) {
    const count = Math.min(value.length, MAX_AVAILABLE)
    const keys = new Array<string>(count)
    for (let i = 0; i < count; i++) keys[i] = String(i)
    return keys
  }
  if (value !== null && typeof value === "object") return Object.keys(value).slice(0, MAX_AVAILABLE)
  return []
}

/**
 * Reads the value at `path` inside `value`, following own properties only (an inherited
 * `constructor` or `toString` is "missing"; a real field named `constructor` is found).
 * Fails with the missing segment, the part of the
 * path that did resolve and the keys available there, so a caller can say
 * "path not found: 'rows.3' (available: 0, 1, 2)".
 *
 * An `undefined` value has nothing at any path, including `""`.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { Path } from "@weft/graph"
 * Path.get({ rows: [{ id: 7 }] }, "rows.0.id")    // Result.succeed(7)
 * const miss = Path.get({ rows: [] }, "rows.0.id") // Result.fail({ missing: "0", at: "rows", available: [] })
 * Result.isFailure(miss) // true
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const get = (value: unknown, path: string): Result.Result<Json, PathMissing> => {
  if (value === undefined) {
    const first = path === "" ? "" : (path.split(".")[0] ?? "")
    return Result.fail({ missing: first, at: "", available: [] })
  }
  if (path === "") return Result.succeed(value as Json)
  let current: unknown = value
  let start = 0
  while (start <= path.length) {
    let end = path.indexOf(".", start)
    if (end === -1) end = path.length
    const segment = path.slice(start, end)
    let next: unknown
    if (Array.isArray(current)) {
      next = INDEX.test(segment) ? current[Number(segment)] : undefined
    } else if (current !== null && typeof current === "object" && Object.hasOwn(current, segment)) {
      next = (current as { readonly [key: string]: unknown })[segment]
    } else {
      next = undefined
    }
    if (next === undefined) {
      return Result.fail({
        missing: segment,
        at: start === 0 ? "" : path.slice(0, start - 1),
        available: keysOf(current)
      })
    }
    current = next
    start = end + 1
  }
  return Result.succeed(current as Json)
}
