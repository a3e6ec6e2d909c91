import { Script } from "node:vm"

/** Why a source does not parse as a code-node body. */
export interface ParseProblem {
  readonly kind: "syntax" | "unsupported"
  readonly feature: string
  readonly message: string
  /** 1-based line in the user's own source. */
  readonly line: number | undefined
  /** 1-based column in the user's own source. */
  readonly column: number | undefined
}

type AsyncFunctionConstructor = new (...args: ReadonlyArray<string>) => unknown
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as AsyncFunctionConstructor

/**
 * Where V8 reports the error, mapped to the user's source. The wrapper puts the body on its own
 * lines (file line N + 1 = user line N, columns unchanged); a position in the wrapper's closing
 * line (an unclosed block) is the end of the user's last line.
 */
const positionOf = (
  error: Error,
  userLines: ReadonlyArray<string>
): { readonly line: number | undefined; readonly column: number | undefined } => {
  const stack = error.stack ?? ""
  const match = /code\.js:(\d+)\n([^\n]*)\n( *)\^/.exec(stack)
  const lineMatch = match ?? /code\.js:(\d+)/.exec(stack)
  if (lineMatch?.[1] === undefined) return { line: undefined, column: undefined }
  const fileLine = Number(lineMatch[1])
  const count = userLines.length
  if (fileLine - 1 > count) {
    const last = userLines[count - 1] ?? ""
    return { line: count, column: last.length + 1 }
  }
  const line = Math.min(Math.max(fileLine - 1, 1), count)
  const column = match?.[3] === undefined ? undefined : match[3].length + 1
  return { line, column }
}

const parse = (wrapped: string): Error | undefined => {
  try {
    new Script(wrapped, { filename: "code.js" })
    return undefined
  } catch (error) {
    if (!(error instanceof Error)) throw error
    return error
  }
}

/**
 * Parses `source` as an async function body with V8 — compiled, never run. The wrapped
 * parse gives line and column; the Function-constructor parse checks the body on its own, so
 * code that closes the wrapper early (`return 1 })(); (async () => {`) is rejected.
 */
export const parseProblem = (source: string): ParseProblem | undefined => {
  const userLines = source.split("\n")
  const error = parse(`(async function () {\n${source}\n})`)
  if (error !== undefined) {
    const position = positionOf(error, userLines)
    if (
      /import statement|import\.meta/.test(error.message) ||
      /^\s*import\s*[\w{*"']/m.test(source)
    ) {
      return {
        kind: "unsupported",
        feature: "import",
        message:
          "import statements are not available in code nodes; use the host functions and getResource() instead",
        ...position
      }
    }
    if (/^\s*export\s/m.test(source)) {
      return {
        kind: "unsupported",
        feature: "export",
        message:
          "export is not available in code nodes; assign `result` or return the output instead",
        ...position
      }
    }
    return { kind: "syntax", feature: "syntax", message: error.message, ...position }
  }
  try {
    new AsyncFunction(source)
  } catch (error) {
    if (!(error instanceof Error)) throw error
    return {
      kind: "syntax",
      feature: "syntax",
      message: `The code must be a function body on its own; it closes the function it runs in (${error.message})`,
      line: undefined,
      column: undefined
    }
  }
  return undefined
}

/**
 * A loop condition is an expression (`iteration >= 3`) or, when it does not parse as one, a
 * function body (`const x = outputs.a; return x > 1`) — the runtime tries it the same way.
 */
export const conditionProblem = (source: string): ParseProblem | undefined => {
  const asExpression = parseProblem(`return (${source}\n)`)
  if (asExpression === undefined) return undefined
  return parseProblem(source)
}
