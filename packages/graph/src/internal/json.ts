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

const MAX_PROBLEMS = 50

/**
 * Every place (at most 50) where `value` is not JSON data (functions, `undefined`, NaN, class
 * instances, circular references, …). Iterative, so deep values cannot overflow the stack; a
 * value shared by two branches is fine (JSON repeats it), one that contains itself is not.
 */
export const notJsonAll = (
  value: unknown,
  basePath: string,
  limit: number = MAX_PROBLEMS
): Array<{ readonly path: string; readonly message: string }> => {
  const problems: Array<{ readonly path: string; readonly message: string }> = []
  // `leave` entries pop an object off the current branch once its children are done.
  const stack: Array<readonly [unknown, string, boolean]> = [[value, basePath, false]]
  const branch = new Map<object, string>()
  while (stack.length > 0 && problems.length < limit) {
    const [current, path, leave] = stack.pop()!
    if (leave) {
      branch.delete(current as object)
      continue
    }
    if (current === null || typeof current === "string" || typeof current === "boolean") continue
    if (typeof current === "number") {
      if (Number.isFinite(current)) continue
      problems.push({
        path,
        message: `${String(current)} is not a JSON number; use a finite number`
      })
      continue
    }
    const isArray = Array.isArray(current)
    if (isArray || (typeof current === "object" && isPlainObject(current))) {
      const ancestor = branch.get(current)
      if (ancestor !== undefined) {
        problems.push({
          path,
          message: `circular reference back to ${ancestor === "" ? "the root" : ancestor}; JSON data cannot contain itself`
        })
        continue
      }
      branch.set(current, path)
      stack.push([current, path, true])
      if (isArray) {
        for (let i = current.length - 1; i >= 0; i--)
          stack.push([current[i], `${path}[${i}]`, false])
        continue
      }
      const entries = Object.entries(current)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!
        stack.push([child, path === "" ? key : `${path}.${key}`, false])
      }
      continue
    }
    const what =
      typeof current === "object"
        ? `an instance of ${current.constructor?.name ?? "a class"}`
        : typeof current
    problems.push({
      path,
      message: `${what} is not JSON data; use null, booleans, numbers, strings, arrays and plain objects`
    })
  }
  return problems
}

/** The first place where `value` is not JSON data, or `undefined` when it all is. */
export const notJson = (
  value: unknown,
  basePath: string
): { readonly path: string; readonly message: string } | undefined =>
  notJsonAll(value, basePath, 1)[0]

/**
 * A deep copy of the plain objects and arrays in `value` (anything else is kept as is, so
 * validation still sees and reports it). Iterative and cycle-safe: shared or circular
 * references are copied once and keep their shape.
 */
export const copyJson = <A>(value: A): A => {
  const copies = new Map<object, unknown>()
  const work: Array<readonly [object, { [key: string]: unknown } | Array<unknown>]> = []
  const copyOf = (current: unknown): unknown => {
    if (current === null || typeof current !== "object") return current
    const isArray = Array.isArray(current)
    if (!isArray && !isPlainObject(current)) return current
    const known = copies.get(current)
    if (known !== undefined) return known
    const copy: { [key: string]: unknown } | Array<unknown> = isArray
      ? new Array<unknown>(current.length)
      : {}
    copies.set(current, copy)
    work.push([current, copy])
    return copy
  }
  const root = copyOf(value)
  while (work.length > 0) {
    const [source, target] = work.pop()!
    if (Array.isArray(source) && Array.isArray(target)) {
      for (let i = 0; i < source.length; i++) target[i] = copyOf(source[i])
      continue
    }
    for (const [key, child] of Object.entries(source)) {
      // defineProperty, so a "__proto__" key stays a key instead of replacing the prototype
      Object.defineProperty(target, key, {
        value: copyOf(child),
        enumerable: true,
        writable: true,
        configurable: true
      })
    }
  }
  return root as A
}
