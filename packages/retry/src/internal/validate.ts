import type * as Backoff from "../Backoff.js"

/** One problem with a policy: the field concerned (a data path) and what to do about it. */
export interface Problem {
  readonly field: string
  readonly message: string
}

interface Candidate {
  readonly maxAttempts: number
  readonly backoff: Backoff.Backoff
  readonly maxDelay?: number | undefined
  readonly retryOn?: ReadonlyArray<string> | undefined
  readonly abortOn?: ReadonlyArray<string> | undefined
  readonly maxElapsed?: number | undefined
  readonly attemptTimeout?: number | undefined
}

/** Shows what was given: numbers as written, anything else as JSON (`"3"` is not `3`). */
export const show = (value: unknown): string => {
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value)
  if (value === undefined) return "nothing"
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    // a bigint inside, a circular value, or an object without a toString
    return Object.prototype.toString.call(value)
  }
}

const finiteAtLeast = (
  problems: Array<Problem>,
  field: string,
  value: number,
  minimum: number,
  unit: string
): void => {
  if (!Number.isFinite(value)) {
    problems.push({ field, message: `${field} must be a finite number${unit}, got ${show(value)}` })
  } else if (value < minimum) {
    problems.push({ field, message: `${field} must be >= ${minimum}${unit}, got ${show(value)}` })
  }
}

const positive = (problems: Array<Problem>, field: string, value: number | undefined): void => {
  if (value === undefined) return
  if (!Number.isFinite(value) || value <= 0) {
    problems.push({
      field,
      message: `${field} must be a finite number of milliseconds > 0, got ${show(value)}`
    })
  }
}

const tags = (
  problems: Array<Problem>,
  field: string,
  value: ReadonlyArray<string> | undefined
): void => {
  if (value === undefined) return
  // The types say a list of strings; untyped callers (config files, JS) may pass anything.
  const given: unknown = value
  if (!Array.isArray(given)) {
    problems.push({
      field,
      message: `${field} must be a list of error tags such as ["HttpError"], got ${show(given)}`
    })
    return
  }
  given.forEach((tag: unknown, i) => {
    if (typeof tag !== "string" || tag.length === 0) {
      problems.push({
        field: `${field}[${i}]`,
        message: `${field}[${i}] must be a non-empty error tag${typeof tag === "string" ? "" : `, got ${show(tag)}`}`
      })
    }
  })
}

/** Every problem with a structurally valid policy (ranges and cross-field rules). */
export const validate = (policy: Candidate): ReadonlyArray<Problem> => {
  const problems: Array<Problem> = []
  const ms = " (milliseconds)"
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    problems.push({
      field: "maxAttempts",
      message: `maxAttempts counts every attempt including the first and must be an integer >= 1, got ${show(policy.maxAttempts)}`
    })
  }
  const backoff = policy.backoff
  let base: number | undefined
  switch (backoff.kind) {
    case "exponential":
      finiteAtLeast(problems, "backoff.base", backoff.base, 0, ms)
      finiteAtLeast(
        problems,
        "backoff.factor",
        backoff.factor,
        1,
        " (a factor below 1 would shrink the delays)"
      )
      base = backoff.base
      break
    case "fixed":
      finiteAtLeast(problems, "backoff.delay", backoff.delay, 0, ms)
      base = backoff.delay
      break
    case "linear":
      finiteAtLeast(problems, "backoff.base", backoff.base, 0, ms)
      finiteAtLeast(problems, "backoff.increment", backoff.increment, 0, ms)
      base = backoff.base
      break
    case "fibonacci":
      finiteAtLeast(problems, "backoff.base", backoff.base, 0, ms)
      base = backoff.base
      break
    case "none":
      break
  }
  if (policy.maxDelay !== undefined) {
    const before = problems.length
    finiteAtLeast(problems, "maxDelay", policy.maxDelay, 0, ms)
    if (
      problems.length === before &&
      base !== undefined &&
      Number.isFinite(base) &&
      policy.maxDelay < base
    ) {
      const baseField = backoff.kind === "fixed" ? "backoff.delay" : "backoff.base"
      problems.push({
        field: "maxDelay",
        message: `maxDelay (${policy.maxDelay}) must be >= ${baseField} (${base}), or the cap would undercut the first delay`
      })
    }
  }
  positive(problems, "maxElapsed", policy.maxElapsed)
  positive(problems, "attemptTimeout", policy.attemptTimeout)
  tags(problems, "retryOn", policy.retryOn)
  tags(problems, "abortOn", policy.abortOn)
  return problems
}
