/**
 * Assertions on execution results. Each throws `AssertionFailed` with a message that shows what
 * happened — the node statuses, the first error with its cause, and the trace lines that matter —
 * so a failing test explains itself. The harness exposes the same assertions as methods.
 *
 * @since 0.1.0
 */
import { AssertionFailed, fail, show } from "./internal/assertionFailed.js"
import { describeError, describeResult, errorTags, formatEvent } from "./internal/report.js"
import type { ErrorLike, NodeStatus, ResultLike, TraceEventLike } from "./internal/result.js"

export {
  /**
   * The error every assertion throws.
   *
   * @example
   * ```ts
   * import { Assert } from "@weft/testing"
   * const isAssertion = (e: unknown) => e instanceof Assert.AssertionFailed
   * ```
   * @since 0.1.0
   * @category errors
   */
  AssertionFailed
}

/**
 * The shape of an execution result the assertions read (structurally compatible with
 * `@weft/runtime`'s `ExecutionResult`, also after a JSON round trip).
 *
 * @example
 * ```ts
 * import type { Assert } from "@weft/testing"
 * import type { Runtime } from "@weft/runtime"
 * const check = (result: Runtime.ExecutionResult): Assert.Result => result
 * ```
 * @since 0.1.0
 * @category models
 */
export type Result = ResultLike

const raise = (assertion: string, message: string): never => {
  throw fail(assertion, message)
}

const requireNode = (assertion: string, result: Result, nodeId: string) => {
  const node = result.nodes[nodeId]
  if (node === undefined) {
    raise(
      assertion,
      `workflow ${result.workflowId} has no node "${nodeId}"; nodes: ${Object.keys(result.nodes).join(", ") || "(none)"}`
    )
  }
  return node!
}

/**
 * Structural equality for JSON-like data (order-sensitive arrays, key-order-insensitive objects).
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * Assert.jsonEquals({ a: [1, 2] }, { a: [1, 2] }) // true
 * ```
 * @since 0.1.0
 * @category utils
 */
export const jsonEquals = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEquals(item, b[i]))
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
  return (
    ka.length === kb.length &&
    ka.every((k) =>
      jsonEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    )
  )
}

/**
 * Reads a dotted path (`"rows.0.id"`) from a JSON value; `""` is the value itself.
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * Assert.readPath({ rows: [{ id: 7 }] }, "rows.0.id") // { found: true, value: 7 }
 * ```
 * @since 0.1.0
 * @category utils
 */
export const readPath = (
  value: unknown,
  path: string
):
  | { readonly found: true; readonly value: unknown }
  | {
      readonly found: false
      readonly missing: string
      readonly available: ReadonlyArray<string>
    } => {
  if (path === "") return { found: true, value }
  let current: unknown = value
  const walked: Array<string> = []
  for (const segment of path.split(".")) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, segment)) {
      const available = typeof current === "object" && current !== null ? Object.keys(current) : []
      return { found: false, missing: [...walked, segment].join("."), available }
    }
    walked.push(segment)
    current = (current as Record<string, unknown>)[segment]
  }
  return { found: true, value: current }
}

/**
 * Asserts the workflow succeeded; otherwise shows every node's status, the first error with its
 * cause and the failing nodes' trace.
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * declare const result: Assert.Result
 * Assert.workflowSuccess(result)
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const workflowSuccess = (result: Result): void => {
  if (result.status === "succeeded") return
  raise(
    "assertWorkflowSuccess",
    `expected success, got ${result.status}\n${describeResult(result)}`
  )
}

/**
 * What a failure is expected to be: the node that failed, an error tag (the error's own
 * `_tag`, the node's underlying error tag, or its cause's), a message substring or pattern.
 *
 * @example
 * ```ts
 * import type { Assert } from "@weft/testing"
 * const expected: Assert.ExpectedFailure = { node: "charge", tag: "ConnectionError" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ExpectedFailure {
  readonly node?: string
  readonly tag?: string
  readonly message?: string | RegExp
  /** The expected final status (default: anything but `"succeeded"`). */
  readonly status?: "failed" | "timed-out" | "cancelled"
}

const matchesMessage = (message: string, expected: string | RegExp) =>
  typeof expected === "string" ? message.includes(expected) : expected.test(message)

const errorMatches = (error: ErrorLike, expected: ExpectedFailure): boolean =>
  (expected.node === undefined || error.nodeId === expected.node) &&
  (expected.tag === undefined || errorTags(error).includes(expected.tag)) &&
  (expected.message === undefined ||
    matchesMessage(error.message, expected.message) ||
    (error.cause !== undefined && matchesMessage(show(error.cause), expected.message)))

/**
 * Asserts the workflow did not succeed and (optionally) that one of its errors matches
 * `expected`. Returns the matching error.
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * declare const result: Assert.Result
 * const error = Assert.workflowFailure(result, { node: "charge", tag: "ConnectionError" })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const workflowFailure = (
  result: Result,
  expected: ExpectedFailure = {}
): ErrorLike | undefined => {
  const expectation = [
    expected.status ?? "failure",
    expected.node === undefined ? "" : ` at node ${expected.node}`,
    expected.tag === undefined ? "" : ` tagged ${expected.tag}`,
    expected.message === undefined ? "" : ` with a message matching ${String(expected.message)}`
  ].join("")
  if (result.status === "succeeded") {
    return raise(
      "assertWorkflowFailure",
      `expected ${expectation}, but the workflow succeeded\n${describeResult(result)}`
    )
  }
  if (expected.status !== undefined && result.status !== expected.status) {
    return raise(
      "assertWorkflowFailure",
      `expected ${expectation}, got ${result.status}\n${describeResult(result)}`
    )
  }
  if (expected.node === undefined && expected.tag === undefined && expected.message === undefined) {
    return result.errors[0]
  }
  const match = result.errors.find((error) => errorMatches(error, expected))
  if (match !== undefined) return match
  if (expected.node !== undefined && expected.tag === undefined && expected.message === undefined) {
    const node = result.nodes[expected.node]
    if (node !== undefined && (node.status === "failed" || node.status === "timed-out"))
      return node.error
  }
  const seen = result.errors
    .map((error) => `  - ${describeError(error).replace(/\n/g, "\n    ")}`)
    .join("\n")
  return raise(
    "assertWorkflowFailure",
    `expected ${expectation}; the workflow ${result.status} with ${result.errors.length === 0 ? "no errors" : `these errors:\n${seen}`}\n${describeResult(result, expected.node === undefined ? [] : [expected.node])}`
  )
}

/**
 * Asserts a node's output (or the value at `path` in it, `"rows.0.id"`) equals `expected`
 * (JSON structural equality).
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * declare const result: Assert.Result
 * Assert.nodeOutput(result, "fetch_data", [1, 2, 3], "data")
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const nodeOutput = (result: Result, nodeId: string, expected: unknown, path = ""): void => {
  const node = requireNode("assertNodeOutput", result, nodeId)
  const where = path === "" ? `output of ${nodeId}` : `${nodeId} output at "${path}"`
  if (node.status !== "succeeded" || !Object.hasOwn(result.outputs, nodeId)) {
    raise(
      "assertNodeOutput",
      `expected ${where} to be ${show(expected)}, but ${nodeId} ${node.status} and has no output\n${describeResult(result, [nodeId])}`
    )
  }
  const read = readPath(result.outputs[nodeId], path)
  if (!read.found) {
    raise(
      "assertNodeOutput",
      `expected ${where} to be ${show(expected)}, but "${read.missing}" does not exist; ` +
        `keys there: ${read.available.join(", ") || "(none)"}\n  output: ${show(result.outputs[nodeId])}`
    )
    return
  }
  if (!jsonEquals(read.value, expected)) {
    raise(
      "assertNodeOutput",
      `expected ${where} to be ${show(expected)}\n  actual:   ${show(read.value)}${path === "" ? "" : `\n  output:   ${show(result.outputs[nodeId])}`}`
    )
  }
}

/**
 * Asserts a node ended with `status`.
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * declare const result: Assert.Result
 * Assert.nodeStatus(result, "recovery_task", "skipped")
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const nodeStatus = (result: Result, nodeId: string, status: NodeStatus): void => {
  const node = requireNode("assertNodeStatus", result, nodeId)
  if (node.status !== status) {
    raise(
      "assertNodeStatus",
      `expected ${nodeId} to be ${status}, but it ${node.status}\n${describeResult(result, [nodeId])}`
    )
  }
}

/**
 * Asserts how many times a node was executed (attempts over all loop iterations; 0 if it never ran).
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * declare const result: Assert.Result
 * Assert.executionCount(result, "failing_task", 1)
 * Assert.executionCount(result, "recovery_task", 0)
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const executionCount = (result: Result, nodeId: string, times: number): void => {
  requireNode("assertExecutionCount", result, nodeId)
  const count = result.counts[nodeId] ?? 0
  if (count !== times) {
    raise(
      "assertExecutionCount",
      `expected ${nodeId} to run ${times} time${times === 1 ? "" : "s"}, it ran ${count}\n${describeResult(result, [nodeId])}`
    )
  }
}

/**
 * Asserts a node was retried exactly `times` times (attempts − 1).
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * declare const result: Assert.Result
 * Assert.retried(result, "charge", 2) // three attempts
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const retried = (result: Result, nodeId: string, times: number): void => {
  const node = requireNode("assertRetried", result, nodeId)
  const retries = Math.max(0, node.attempts - 1)
  if (retries !== times) {
    raise(
      "assertRetried",
      `expected ${nodeId} to be retried ${times} time${times === 1 ? "" : "s"}, it was retried ${retries} (${node.attempts} attempt${node.attempts === 1 ? "" : "s"})\n${describeResult(result, [nodeId])}`
    )
  }
}

const terminal = new Set(["node-succeeded", "node-failed", "node-cancelled", "node-retrying"])
// what (re)starts a node executing, and what ends or suspends it (see peakConcurrency)
const executing = new Set(["node-started", "node-resumed"])
const paused = new Set([...terminal, "node-waiting"])

const interval = (trace: ReadonlyArray<TraceEventLike>, nodeId: string) => {
  let start = -1
  let end = -1
  trace.forEach((event, index) => {
    if (event.nodeId !== nodeId) return
    if (start === -1 && event.type === "node-started") start = index
    if (
      event.type === "node-succeeded" ||
      event.type === "node-failed" ||
      event.type === "node-cancelled"
    ) {
      end = index
    }
  })
  return { start, end }
}

/**
 * Asserts nodes ran one after another in the given order: each finished (in the trace) before
 * the next one started.
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * declare const result: Assert.Result
 * Assert.order(result, "extract", "transform", "load")
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const order = (result: Result, ...nodeIds: ReadonlyArray<string>): void => {
  for (const id of nodeIds) requireNode("assertOrder", result, id)
  for (let i = 0; i + 1 < nodeIds.length; i++) {
    const a = nodeIds[i]!
    const b = nodeIds[i + 1]!
    const ia = interval(result.trace, a)
    const ib = interval(result.trace, b)
    const problem =
      ia.start === -1
        ? `${a} never started`
        : ib.start === -1
          ? `${b} never started`
          : ia.end === -1
            ? `${a} never finished`
            : ia.end > ib.start
              ? `${b} started before ${a} finished`
              : undefined
    if (problem !== undefined) {
      const lines = result.trace
        .filter((event) => event.nodeId === a || event.nodeId === b)
        .map((event) => `  ${formatEvent(event)}`)
        .join("\n")
      raise(
        "assertOrder",
        `expected ${nodeIds.join(" → ")}, but ${problem}\ntrace (${a}, ${b}):\n${lines}`
      )
    }
  }
}

/**
 * The largest number of node attempts executing at the same moment, over one or many results
 * (from the traces, merged by Clock time). A node executes from `node-started` to its end
 * (`node-succeeded` / `-failed` / `-cancelled` / `-retrying`), minus the spans it is suspended in
 * a wait (`node-waiting` … `node-resumed`: a guest `sleep` / `nextEvent` / `waitForResult`, a
 * delay or event node) — the runtime gives its slot and permit back while it waits, and the
 * limits count the same way.
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * declare const result: Assert.Result
 * Assert.peakConcurrency(result) // e.g. 2
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const peakConcurrency = (results: Result | ReadonlyArray<Result>): number => {
  const list: ReadonlyArray<Result> = Array.isArray(results) ? results : [results as Result]
  // Within a result the trace order is exact; across results, events at the same Clock time may
  // have happened in any order, so a hand-over at one instant (one ends as another starts) is not
  // counted as overlap.
  const perResult = list.map((result) =>
    result.trace
      .filter(
        (event) =>
          event.nodeId !== undefined && (executing.has(event.type) || paused.has(event.type))
      )
      .sort((x, y) => x.at - y.at)
  )
  const times = [...new Set(perResult.flatMap((trace) => trace.map((event) => event.at)))].sort(
    (a, b) => a - b
  )
  const running = list.map(() => new Set<string>())
  const cursor = list.map(() => 0)
  const sum = (values: ReadonlyArray<number>) => values.reduce((total, n) => total + n, 0)
  let peak = 0
  for (const at of times) {
    const before = running.map((set) => set.size)
    const within = running.map((set, r) => {
      const trace = perResult[r]!
      let highest = set.size
      while (cursor[r]! < trace.length && trace[cursor[r]!]!.at === at) {
        const event = trace[cursor[r]!]!
        cursor[r] = cursor[r]! + 1
        if (executing.has(event.type)) set.add(event.nodeId!)
        else set.delete(event.nodeId!)
        highest = Math.max(highest, set.size)
      }
      return highest
    })
    const after = running.map((set) => set.size)
    const settled = before.map((n, r) => Math.min(n, after[r]!))
    const others = sum(settled)
    within.forEach((highest, r) => {
      peak = Math.max(peak, highest + others - settled[r]!)
    })
    peak = Math.max(peak, sum(after))
  }
  return peak
}

/**
 * Asserts no more than `limit` node attempts ever executed at once — counted like the runtime's
 * limits: a node suspended in a wait (`node-waiting` … `node-resumed`) is not executing (see
 * {@link peakConcurrency}).
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * declare const result: Assert.Result
 * Assert.maxConcurrency(result, 2)
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const maxConcurrency = (results: Result | ReadonlyArray<Result>, limit: number): void => {
  const peak = peakConcurrency(results)
  if (peak > limit) {
    const list: ReadonlyArray<Result> = Array.isArray(results) ? results : [results as Result]
    const lines = list
      .flatMap((r) => r.trace)
      .filter((e) => executing.has(e.type) || paused.has(e.type))
      .slice(0, 20)
      .map((e) => `  ${formatEvent(e)}`)
      .join("\n")
    raise(
      "assertMaxConcurrency",
      `expected at most ${limit} nodes executing at once (waits excluded), saw ${peak}\ntrace:\n${lines}`
    )
  }
}

/**
 * A readable multi-line description of a result (what the failure messages show).
 *
 * @example
 * ```ts
 * import { Assert } from "@weft/testing"
 * declare const result: Assert.Result
 * console.log(Assert.describe(result))
 * ```
 * @since 0.1.0
 * @category utils
 */
export const describe = (result: Result, focus: ReadonlyArray<string> = []): string =>
  describeResult(result, focus)
