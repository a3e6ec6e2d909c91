import type { Schema } from "effect"

export type Json = Schema.Json

/** Renders a JSON path: `["nodes", 2, "id"]` → `nodes[2].id`. */
export const formatPath = (segments: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`
    else out += out === "" ? String(segment) : `.${String(segment)}`
  }
  return out
}

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Finds the first place where `value` is not JSON data (functions, `undefined`, NaN, class
 * instances, …). Iterative, so deep values cannot overflow the stack.
 */
export const notJson = (
  value: unknown,
  basePath: string
): { readonly path: string; readonly message: string } | undefined => {
  const stack: Array<readonly [unknown, string]> = [[value, basePath]]
  while (stack.length > 0) {
    const [current, path] = stack.pop()!
    if (current === null || typeof current === "string" || typeof current === "boolean") continue
    if (typeof current === "number") {
      if (Number.isFinite(current)) continue
      return { path, message: `${String(current)} is not a JSON number; use a finite number` }
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], `${path}[${i}]`])
      continue
    }
    if (typeof current === "object" && isPlainObject(current)) {
      const entries = Object.entries(current)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!
        stack.push([child, path === "" ? key : `${path}.${key}`])
      }
      continue
    }
    const what =
      typeof current === "object"
        ? `an instance of ${current.constructor?.name ?? "a class"}`
        : typeof current
    return {
      path,
      message: `${what} is not JSON data; use null, booleans, numbers, strings, arrays and plain objects`
    }
  }
  return undefined
}
