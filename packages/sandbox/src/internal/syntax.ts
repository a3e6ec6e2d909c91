import { Script } from "node:vm"

/** Why a source does not parse as a code-node body. */
export interface ParseProblem {
  readonly kind: "syntax" | "unsupported"
  readonly feature: string
  readonly message: string
  readonly line: number | undefined
}

type AsyncFunctionConstructor = new (...args: ReadonlyArray<string>) => unknown
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as AsyncFunctionConstructor

const lineOf = (error: Error, lines: number): number | undefined => {
  const match = /code\.js:(\d+)/.exec(error.stack ?? "")
  if (match?.[1] === undefined) return undefined
  return Math.min(Math.max(Number(match[1]) - 1, 1), lines)
}

/**
 * Parses `source` as an async function body with V8 — compiled, never run. The wrapped
 * parse gives line numbers; the Function-constructor parse checks the body on its own, so
 * code that closes the wrapper early (`return 1 })(); (async () => {`) is rejected.
 */
export const parseProblem = (source: string): ParseProblem | undefined => {
  const lines = source.split("\n").length
  try {
    new Script(`(async function () {\n${source}\n})`, { filename: "code.js" })
  } catch (error) {
    if (!(error instanceof Error)) throw error
    if (
      /import statement|import\.meta/.test(error.message) ||
      /^\s*import\s*[\w{*"']/m.test(source)
    ) {
      return {
        kind: "unsupported",
        feature: "import",
        message:
          "import statements are not available in code nodes; use the host functions and getResource() instead",
        line: lineOf(error, lines)
      }
    }
    if (/^\s*export\s/m.test(source)) {
      return {
        kind: "unsupported",
        feature: "export",
        message:
          "export is not available in code nodes; assign `result` or return the output instead",
        line: lineOf(error, lines)
      }
    }
    return { kind: "syntax", feature: "syntax", message: error.message, line: lineOf(error, lines) }
  }
  try {
    new AsyncFunction(source)
  } catch (error) {
    if (!(error instanceof Error)) throw error
    return {
      kind: "syntax",
      feature: "syntax",
      message: `The code must be a function body on its own; it closes the function it runs in (${error.message})`,
      line: undefined
    }
  }
  return undefined
}
