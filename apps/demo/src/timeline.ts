// A self-contained HTML timeline of execution traces (no scripts, no CDN): one section per
// execution, one row per node, each attempt a bar on a shared time axis. Retried attempts are
// orange and followed by the backoff wait (hatched); failures are red.
import type { ExecutionResult, Trace } from "@weft/runtime"
import { duration } from "./format.js"

export interface TimelineRun {
  readonly title: string
  readonly result: ExecutionResult.ExecutionResult
}

type Kind = "ok" | "retried" | "failed" | "cancelled" | "wait"

interface Segment {
  readonly start: number
  readonly end: number
  readonly kind: Kind
  readonly label: string
}

const escapeHtml = (text: string): string =>
  text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")

/** Attempt bars and backoff waits per node, from a trace. */
export const segments = (trace: ReadonlyArray<Trace.TraceEvent>): Map<string, Array<Segment>> => {
  const rows = new Map<string, Array<Segment>>()
  const open = new Map<string, { start: number; attempt: number; iteration: number }>()
  const push = (nodeId: string, segment: Segment) => {
    const list = rows.get(nodeId) ?? []
    list.push(segment)
    rows.set(nodeId, list)
  }
  const close = (nodeId: string, at: number, kind: Kind, detail: string) => {
    const started = open.get(nodeId)
    if (started === undefined) return
    open.delete(nodeId)
    const iteration = started.iteration > 1 ? `, iteration ${started.iteration}` : ""
    push(nodeId, {
      start: started.start,
      end: at,
      kind,
      label: `${nodeId} attempt ${started.attempt}${iteration}: ${detail} (${duration(at - started.start)})`
    })
  }
  for (const event of trace) {
    switch (event.type) {
      case "node-scheduled":
        if (!rows.has(event.nodeId)) rows.set(event.nodeId, [])
        break
      case "node-started":
        if (!rows.has(event.nodeId)) rows.set(event.nodeId, [])
        open.set(event.nodeId, {
          start: event.at,
          attempt: event.attempt,
          iteration: event.iteration
        })
        break
      case "node-retrying":
        close(event.nodeId, event.at, "retried", `failed with ${event.error}: ${event.message}`)
        push(event.nodeId, {
          start: event.at,
          end: event.at + event.delay,
          kind: "wait",
          label: `${event.nodeId} backoff ${duration(event.delay)} before attempt ${event.attempt + 1}/${event.maxAttempts}`
        })
        break
      case "node-succeeded":
        close(event.nodeId, event.at, "ok", "succeeded")
        break
      case "node-failed":
        close(event.nodeId, event.at, "failed", `${event.status}: ${event.error}: ${event.message}`)
        break
      case "node-cancelled":
        close(event.nodeId, event.at, "cancelled", `${event.status} (${event.reason})`)
        break
      case "node-skipped":
        if (!rows.has(event.nodeId)) rows.set(event.nodeId, [])
        break
      default:
        break
    }
  }
  return rows
}

const niceStep = (total: number): number => {
  const rough = Math.max(1, total / 6)
  const power = 10 ** Math.floor(Math.log10(rough))
  for (const m of [1, 2, 5, 10]) if (rough <= m * power) return m * power
  return 10 * power
}

const section = (run: TimelineRun): string => {
  const { result } = run
  const origin = result.startedAt
  const total = Math.max(1, result.finishedAt - origin)
  const pct = (at: number) => (Math.min(Math.max(at - origin, 0), total) / total) * 100
  const step = niceStep(total)
  const ticks: Array<string> = []
  for (let t = 0; t <= total; t += step) {
    ticks.push(
      `<span class="tick" style="left:${(t / total) * 100}%">${escapeHtml(duration(t))}</span>`
    )
  }
  const rows = segments(result.trace)
  for (const id of Object.keys(result.nodes)) if (!rows.has(id)) rows.set(id, [])
  const body = [...rows.entries()]
    .map(([nodeId, list]) => {
      const node = result.nodes[nodeId]
      const status = node?.status ?? "not run"
      const attempts =
        node === undefined ? "" : ` · ${node.attempts} attempt${node.attempts === 1 ? "" : "s"}`
      const bars = list
        .map((segment) => {
          const left = pct(segment.start)
          const width = Math.max(pct(segment.end) - left, 0)
          const mark = segment.kind === "retried" ? "↻" : segment.kind === "failed" ? "✗" : ""
          const bar = `<div class="bar ${segment.kind}" style="left:${left.toFixed(3)}%;width:${width.toFixed(3)}%" title="${escapeHtml(segment.label)}"></div>`
          // the mark floats above the bar's end, so it shows even when the bar is a sliver
          return mark === ""
            ? bar
            : `${bar}<span class="mark ${segment.kind}" style="left:${(left + width).toFixed(3)}%" title="${escapeHtml(segment.label)}">${mark}</span>`
        })
        .join("")
      return `<div class="row"><div class="label"><b>${escapeHtml(nodeId)}</b><small class="${escapeHtml(status)}">${escapeHtml(status)}${attempts}</small></div><div class="lane">${bars}</div></div>`
    })
    .join("\n")
  const errors = result.errors
    .map((error) => `<li><code>${escapeHtml(error._tag)}</code> ${escapeHtml(error.message)}</li>`)
    .join("")
  return `<section>
<h2>${escapeHtml(run.title)} <span class="${escapeHtml(result.status)}">${escapeHtml(result.status)}</span> <small>${escapeHtml(duration(result.duration))}</small></h2>
<div class="axis">${ticks.join("")}</div>
${body}
${errors === "" ? "" : `<ul class="errors">${errors}</ul>`}
</section>`
}

/** The whole HTML page for one or more executions. */
export const render = (runs: ReadonlyArray<TimelineRun>): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Weft execution timeline</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1f2328; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin: 2rem 0 .5rem; }
h2 small, .label small { color: #656d76; font-weight: normal; }
.succeeded { color: #1a7f37; } .failed, .timed-out { color: #cf222e; } .cancelled, .skipped { color: #656d76; }
.axis { position: relative; height: 1.4rem; margin-left: 14rem; border-bottom: 1px solid #d0d7de; }
.tick { position: absolute; transform: translateX(-50%); font-size: 11px; color: #656d76; white-space: nowrap; }
.tick::after { content: ""; position: absolute; left: 50%; top: 1.1rem; height: .3rem; border-left: 1px solid #d0d7de; }
.row { display: flex; align-items: flex-end; height: 2.4rem; padding-bottom: .3rem; box-sizing: border-box; border-bottom: 1px solid #f0f2f4; }
.label { width: 14rem; flex: none; display: flex; flex-direction: column; line-height: 1.1; overflow: hidden; }
.label small { font-size: 11px; }
.lane { position: relative; flex: 1; height: 1.1rem; }
.bar { position: absolute; top: 0; height: 100%; min-width: 2px; border-radius: 3px; font-size: 11px; color: #fff; text-align: center; overflow: hidden; }
.bar.ok { background: #2da44e; } .bar.retried { background: #d4a72c; } .bar.failed { background: #cf222e; }
.bar.cancelled { background: #8c959f; }
.bar.wait { background: repeating-linear-gradient(45deg, #f6e7b0, #f6e7b0 4px, #fff 4px, #fff 8px); border: 1px dashed #d4a72c; box-sizing: border-box; }
.legend span { display: inline-block; margin-right: 1rem; } .legend i { display: inline-block; width: 1.5rem; height: .8rem; margin-right: .3rem; vertical-align: middle; position: static; }
.mark { position: absolute; top: -.95rem; transform: translateX(-50%); font-size: 13px; font-weight: bold; line-height: 1; }
.mark.retried { color: #9a6700; } .mark.failed { color: #cf222e; }
.errors { color: #cf222e; }
</style>
</head>
<body>
<h1>Weft execution timeline</h1>
<p class="legend"><span><i class="bar ok"></i>attempt succeeded</span><span><i class="bar retried"></i>attempt failed, retried (↻)</span><span><i class="bar wait"></i>backoff wait</span><span><i class="bar failed"></i>failed (✗)</span><span><i class="bar cancelled"></i>cancelled</span></p>
<p>Hover a bar for its attempt, iteration, error and duration. Times are relative to each execution's start.</p>
${runs.map(section).join("\n")}
</body>
</html>
`
