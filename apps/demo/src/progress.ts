// Live progress of one execution, fed by the runtime's `onEvent`. On a terminal: one status
// line per node, redrawn in place under a progress bar. Otherwise (a pipe, a CI log): one
// plain line per thing that happened.
import { Workflow } from "@weft/graph"
import type { Trace } from "@weft/runtime"
import { duration, padEnd, type Style, short, style, visibleLength } from "./format.js"

export interface Output {
  readonly write: (text: string) => void
  /** Redraw status lines in place (a terminal) instead of appending plain lines. */
  readonly interactive: boolean
  readonly color: boolean
  /** Terminal width: redrawn lines are cut to fit, so none wraps (default 100). */
  readonly columns?: number
}

export interface Progress {
  readonly onEvent: (event: Trace.TraceEvent) => void
  /** Stops redrawing and leaves the final state on screen. */
  readonly close: () => void
}

type Status =
  | "waiting"
  | "running"
  | "retrying"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled"
  | "timed-out"

interface NodeState {
  status: Status
  attempt: number
  iteration: number
  startedAt?: number
  finishedAt?: number
  note?: string
}

const spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

const icon = (status: Status, s: Style, frame: number): string => {
  switch (status) {
    case "waiting":
      return s.dim("·")
    case "running":
      return s.yellow(spinner[frame % spinner.length] ?? "*")
    case "retrying":
      return s.yellow("↻")
    case "succeeded":
      return s.green("✓")
    case "failed":
    case "timed-out":
      return s.red("✗")
    case "skipped":
    case "cancelled":
      return s.dim("-")
  }
}

export const make = (workflow: Workflow.Workflow, output: Output): Progress => {
  const s = style(output.color)
  const order = Workflow.topologicalOrder(workflow)
  const width = Math.max(...order.map((id) => id.length))
  const loopNodes = new Set(workflow.loops.flatMap((loop) => loop.nodes))
  const nodes = new Map<string, NodeState>(
    order.map((id) => [id, { status: "waiting", attempt: 0, iteration: 0 }])
  )
  let frame = 0
  let drawn = 0
  let startedAt: number | undefined
  let now = 0
  // between events the clock is extrapolated from the wall clock, for the spinner's elapsed time
  let lastEventWall = Date.now()
  let finished = false
  let timer: ReturnType<typeof setInterval> | undefined

  const plain = (line: string) => output.write(`  ${line}\n`)

  const render = () => {
    const done = [...nodes.values()].filter((n) =>
      ["succeeded", "failed", "skipped", "cancelled", "timed-out"].includes(n.status)
    ).length
    const barWidth = 20
    const filled = Math.round((done / Math.max(1, nodes.size)) * barWidth)
    const current = finished ? now : now + (Date.now() - lastEventWall)
    const elapsed = startedAt === undefined ? 0 : Math.max(0, current - startedAt)
    const lines = [
      `  ${s.green("█".repeat(filled))}${s.dim("░".repeat(barWidth - filled))} ${done}/${nodes.size} nodes  ${s.dim(duration(elapsed))}`
    ]
    for (const [id, node] of nodes) {
      let detail: string = node.status
      if (node.status === "running" || node.status === "retrying") {
        const parts = [`attempt ${node.attempt}`]
        if (node.iteration > 1 || loopNodes.has(id)) parts.push(`iteration ${node.iteration}`)
        detail = `${node.status} ${s.dim(parts.join(", "))}`
      } else if (node.status === "succeeded" && node.startedAt !== undefined) {
        detail = `succeeded ${s.dim(duration((node.finishedAt ?? now) - node.startedAt))}`
        if (node.attempt > 1) detail += s.dim(` after ${node.attempt} attempts`)
        if (loopNodes.has(id)) detail += s.dim(`, ${node.iteration} iterations`)
      }
      const line = `    ${icon(node.status, s, frame)} ${padEnd(id, width)}  ${detail}`
      const room = (output.columns ?? 100) - visibleLength(line) - 3
      const note = node.note === undefined || room < 12 ? "" : `  ${s.dim(short(node.note, room))}`
      lines.push(`${line}${note}`)
    }
    // move to the first line drawn last time, clear to the end of the screen, draw again
    const up = drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ""
    output.write(`${up}${lines.join("\n")}\n`)
    drawn = lines.length
  }

  const update = (id: string, change: Partial<NodeState>) => {
    const node = nodes.get(id)
    if (node !== undefined) Object.assign(node, change)
  }

  const onEvent = (event: Trace.TraceEvent) => {
    if (finished) return
    now = event.at
    lastEventWall = Date.now()
    switch (event.type) {
      case "execution-started":
        startedAt = event.at
        if (output.interactive) {
          timer = setInterval(() => {
            frame++
            render()
          }, 100)
          timer.unref()
        }
        break
      case "node-started": {
        const node = nodes.get(event.nodeId)
        update(event.nodeId, {
          status: "running",
          attempt: event.attempt,
          iteration: event.iteration,
          startedAt: node?.startedAt ?? event.at
        })
        if (!output.interactive && event.attempt === 1 && event.iteration === 1)
          plain(`${s.dim("▸")} ${event.nodeId} started`)
        break
      }
      case "node-retrying":
        update(event.nodeId, {
          status: "retrying",
          note: `attempt ${event.attempt}/${event.maxAttempts} failed: ${event.error}; retry in ${duration(event.delay)}`
        })
        if (!output.interactive)
          plain(
            `${s.yellow("↻")} ${event.nodeId} attempt ${event.attempt}/${event.maxAttempts} failed: ${event.error}: ${short(event.message, 90)}; retrying in ${duration(event.delay)}`
          )
        break
      case "node-succeeded": {
        const node = nodes.get(event.nodeId)
        update(event.nodeId, { status: "succeeded", finishedAt: event.at })
        delete nodes.get(event.nodeId)?.note
        if (!output.interactive && !loopNodes.has(event.nodeId)) {
          const retries = event.attempt > 1 ? ` after ${event.attempt} attempts` : ""
          plain(
            `${s.green("✓")} ${event.nodeId} succeeded in ${duration(event.at - (node?.startedAt ?? event.at))}${retries}`
          )
        }
        break
      }
      case "node-failed":
        update(event.nodeId, {
          status: event.status,
          finishedAt: event.at,
          note: `${event.error}: ${event.message}`
        })
        if (!output.interactive)
          plain(
            `${s.red("✗")} ${event.nodeId} ${event.status}: ${event.error}: ${short(event.message)}`
          )
        break
      case "node-skipped":
        update(event.nodeId, { status: "skipped", note: event.reason })
        if (!output.interactive)
          plain(`${s.dim("-")} ${event.nodeId} skipped (${short(event.reason)})`)
        break
      case "node-cancelled":
        update(event.nodeId, { status: event.status, note: event.reason })
        if (!output.interactive)
          plain(`${s.dim("-")} ${event.nodeId} ${event.status} (${short(event.reason)})`)
        break
      case "loop-finished":
        if (!output.interactive)
          plain(
            `${event.converged ? s.green("✓") : s.yellow("!")} loop ${event.loopId} ${event.converged ? "converged" : "stopped"} after ${event.iterations} iterations`
          )
        break
      case "execution-finished":
        if (timer !== undefined) clearInterval(timer)
        timer = undefined
        finished = true
        break
      default:
        break
    }
    if (output.interactive) render()
  }

  return {
    onEvent,
    close: () => {
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
    }
  }
}
