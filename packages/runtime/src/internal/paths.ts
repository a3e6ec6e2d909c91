// Reading a value at a dot path of a node's output: own properties only (a key named
// `__proto__` or `constructor` is data, never the prototype chain).
import type { Json } from "./model.js"

export class PathMiss {
  constructor(
    readonly missing: string,
    readonly available: ReadonlyArray<string>
  ) {}
}

export const getPath = (value: unknown, segments: ReadonlyArray<string>): Json | PathMiss => {
  let current = value
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    if (Array.isArray(current)) {
      const index = Number(segment)
      if (Number.isInteger(index) && index >= 0 && index < current.length) {
        current = current[index]
        continue
      }
      return new PathMiss(
        segment,
        current.map((_, i) => String(i))
      )
    }
    if (typeof current === "object" && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment]
      continue
    }
    return new PathMiss(
      segment,
      typeof current === "object" && current !== null ? Object.keys(current) : []
    )
  }
  return current as Json
}
