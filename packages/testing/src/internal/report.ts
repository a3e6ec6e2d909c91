// Failure messages that show what happened: node statuses, the first error with its cause, and
// the trace lines that matter.
import { show } from "./assertionFailed.js"
import type { ErrorLike, ResultLike, TraceEventLike } from "./result.js"

const str = (value: unknown): string => (typeof value === "string" ? value : show(value))

export const formatEvent = (event: TraceEventLike): string => {
  const e = event as unknown as TraceEventLike & Record<string, unknown>
  const at = `[${event.at}ms]`
  switch (event.type) {
    case "execution-started":
      return `${at} execution started`
    case "execution-finished":
      return `${at} execution ${str(e.status)} in ${str(e.duration)}ms`
    case "node-started":
      return `${at} ${event.nodeId} started (attempt ${event.attempt ?? 1})`
    case "node-retrying":
      return `${at} ${event.nodeId} attempt ${event.attempt}/${str(e.maxAttempts)} failed: ${str(e.error)}: ${str(e.message)}; retrying in ${str(e.delay)}ms`
    case "node-succeeded":
      return `${at} ${event.nodeId} succeeded (attempt ${event.attempt ?? 1})`
    case "node-failed":
      return `${at} ${event.nodeId} ${str(e.status)}: ${str(e.error)}: ${str(e.message)}`
    case "node-skipped":
      return `${at} ${event.nodeId} skipped (${str(e.reason)})`
    case "node-cancelled":
      return `${at} ${event.nodeId} ${str(e.status)} (${str(e.reason)})`
    case "node-waiting":
      return `${at} ${event.nodeId} waiting for ${str(e.waitingFor)}`
    case "node-resumed":
      return `${at} ${event.nodeId} resumed after ${str(e.waited)}ms`
    case "resource-called":
      return `${at} ${event.nodeId} called ${str(e.resource)}.${str(e.method)}`
    default: {
      const { type, at: _at, executionId: _id, ...rest } = e
      return `${at} ${type} ${show(rest)}`
    }
  }
}

const causeTag = (cause: unknown): string | undefined =>
  typeof cause === "object" &&
  cause !== null &&
  typeof (cause as { _tag?: unknown })._tag === "string"
    ? (cause as { _tag: string })._tag
    : undefined

export const errorTags = (error: ErrorLike): Array<string> => {
  const tags = [error._tag]
  if (typeof error.errorTag === "string") tags.push(error.errorTag)
  for (const inner of [error.cause, error.lastError]) {
    const tag = causeTag(inner)
    if (tag !== undefined) tags.push(tag)
    if (typeof inner === "object" && inner !== null) {
      const nested = inner as { errorTag?: unknown; cause?: unknown }
      if (typeof nested.errorTag === "string") tags.push(nested.errorTag)
      const deeper = causeTag(nested.cause)
      if (deeper !== undefined) tags.push(deeper)
    }
  }
  return [...new Set(tags)]
}

export const describeError = (error: ErrorLike): string => {
  const where = error.nodeId === undefined ? "" : ` (node ${error.nodeId})`
  const lines = [`${error._tag}${where}: ${error.message}`]
  const cause = error.cause ?? error.lastError
  if (cause !== undefined && cause !== null) lines.push(`  cause: ${show(cause)}`)
  return lines.join("\n")
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length))

export const nodeTable = (result: ResultLike): string => {
  const ids = Object.keys(result.nodes)
  if (ids.length === 0) return "  (no nodes)"
  const width = Math.max(...ids.map((id) => id.length))
  return ids
    .map((id) => {
      const node = result.nodes[id]!
      const attempts = `${node.attempts} attempt${node.attempts === 1 ? "" : "s"}`
      const detail =
        node.error !== undefined
          ? `  ${node.error._tag}: ${node.error.message}`
          : node.status === "succeeded"
            ? `  -> ${show(node.output)}`
            : ""
      return `  ${pad(id, width)}  ${pad(node.status, 9)}  ${pad(attempts, 10)}${detail}`.trimEnd()
    })
    .join("\n")
}

/** The trace lines worth reading: everything about `focus` nodes, or the whole trace, capped. */
export const traceExcerpt = (
  result: ResultLike,
  focus: ReadonlyArray<string> = [],
  limit = 20
): string => {
  const relevant =
    focus.length === 0
      ? result.trace
      : result.trace.filter((event) =>
          event.nodeId === undefined
            ? event.type.startsWith("execution")
            : focus.includes(event.nodeId)
        )
  const lines = relevant.map(formatEvent)
  const shown =
    lines.length > limit
      ? [...lines.slice(0, limit - 1), `... ${lines.length - limit + 1} more`]
      : lines
  return shown.map((line) => `  ${line}`).join("\n")
}

export const describeResult = (result: ResultLike, focus: ReadonlyArray<string> = []): string => {
  const first = result.errors[0]
  const failedNodes = Object.keys(result.nodes).filter((id) => {
    const status = result.nodes[id]!.status
    return status === "failed" || status === "timed-out"
  })
  const traceFocus = focus.length > 0 ? focus : failedNodes.slice(0, 2)
  const parts = [
    `execution ${result.id} of ${result.workflowId}: ${result.status} after ${result.duration}ms`,
    `nodes:\n${nodeTable(result)}`
  ]
  if (first !== undefined) parts.push(`first error: ${describeError(first)}`)
  if (result.trace.length > 0) {
    parts.push(
      `trace${traceFocus.length > 0 ? ` (${traceFocus.join(", ")})` : ""}:\n${traceExcerpt(result, traceFocus)}`
    )
  }
  return parts.join("\n")
}
