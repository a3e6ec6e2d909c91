/** Node, loop and workflow ids: letters, digits, `_`, `-`; starting with a letter or `_`. */
export const ID = /^[A-Za-z_][A-Za-z0-9_-]*$/

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** Words that cannot be bound as variables in a strict-mode module body. */
const RESERVED = new Set([
  "arguments",
  "await",
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "debugger",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "eval",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "implements",
  "import",
  "in",
  "instanceof",
  "interface",
  "let",
  "new",
  "null",
  "package",
  "private",
  "protected",
  "public",
  "return",
  "static",
  "super",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "typeof",
  "var",
  "void",
  "while",
  "with",
  "yield",
  "undefined",
  "NaN",
  "Infinity"
])

/** Explains why `id` is not a valid id, or `undefined`. `what` is e.g. "node id". */
export const idProblem = (what: string, id: unknown): string | undefined => {
  if (typeof id !== "string") return `${what} must be a string, got ${describe(id)}`
  if (id === "") return `${what} is empty; give it a name such as "fetch-user"`
  if (id === "__proto__") return `${what} '__proto__' is reserved; choose another name`
  if (!ID.test(id)) {
    const fixed = id.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^[^A-Za-z_]+/, "")
    const hint = ID.test(fixed) ? `; for example '${fixed}'` : ""
    return `${what} '${id}' is malformed: use letters, digits, '_' or '-', starting with a letter or '_'${hint}`
  }
  return undefined
}

/** Explains why `name` cannot be an input variable, or `undefined`. */
export const inputNameProblem = (name: unknown): string | undefined => {
  if (typeof name !== "string") return `input name must be a string, got ${describe(name)}`
  if (name === "") return "input name is empty; name the variable the target node reads"
  if (name === "__proto__")
    return "input name '__proto__' is reserved (it would replace the prototype of the inputs object); choose another name"
  if (!IDENTIFIER.test(name)) {
    const fixed = name
      .replace(/[^A-Za-z0-9_$]+(.)?/g, (_, next: string | undefined) => (next ?? "").toUpperCase())
      .replace(/^[0-9]+/, "")
    const hint = IDENTIFIER.test(fixed) && !RESERVED.has(fixed) ? `; for example '${fixed}'` : ""
    return `input name '${name}' is not a JavaScript identifier (letters, digits, '_', '$', not starting with a digit)${hint}`
  }
  if (RESERVED.has(name))
    return `input name '${name}' is a reserved word in JavaScript; choose another name`
  return undefined
}

export const describe = (value: unknown): string => {
  if (value === undefined) return "undefined"
  if (typeof value === "number" || typeof value === "boolean" || value === null)
    return String(value)
  if (typeof value === "string") return JSON.stringify(value)
  if (Array.isArray(value)) return "an array"
  return typeof value === "object" ? "an object" : typeof value
}

/** Edit distance capped at `limit + 1` (cheap enough to run against every id on an error). */
const distance = (a: string, b: string, limit: number): number => {
  if (Math.abs(a.length - b.length) > limit) return limit + 1
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    let best = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      current.push(value)
      if (value < best) best = value
    }
    if (best > limit) return limit + 1
    previous = current
  }
  return previous[b.length]!
}

/** " Did you mean 'x'?" for the closest known name, or "". */
export const suggestion = (name: string, known: Iterable<string>): string => {
  const limit = Math.min(3, Math.floor(name.length / 3))
  let best: string | undefined
  let bestDistance = limit + 1
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase(), limit)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
      if (d === 0) break
    }
  }
  return best === undefined ? "" : ` Did you mean '${best}'?`
}

/** "a, b, c" with at most `max` names. */
export const listNames = (names: ReadonlyArray<string>, max = 10): string =>
  names.length === 0
    ? "(none)"
    : names.length <= max
      ? names.join(", ")
      : `${names.slice(0, max).join(", ")}, … (${names.length - max} more)`
