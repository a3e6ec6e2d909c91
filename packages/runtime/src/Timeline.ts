/**
 * An execution as a timeline: one row per node, one bar per attempt (loop iterations labelled as
 * iterations), retry backoff hatched, skipped nodes marked, and each attempt's error on hover.
 * `render` turns `ExecutionResult`s into one self-contained HTML page (inline CSS, no scripts,
 * no network) for a test report, a CI artefact or a bug; `rows` is the same picture as data.
 *
 * @since 0.1.0
 */
import type { ExecutionResult } from "./ExecutionResult.js"
import type { NodeStatus, TraceEvent } from "./Trace.js"

/**
 * What a bar shows: an attempt and how it ended, the time an attempt queued for a runtime permit
 * or a sandbox worker, a wait inside an attempt (`waitForResult`, `nextEvent`, `sleep`: the node
 * gave its slot back meanwhile), a retry's backoff wait, or the point where a node was skipped.
 *
 * @example
 * ```ts
 * import type { Timeline } from "@weft/runtime"
 * const isWait = (kind: Timeline.BarKind) => kind === "backoff" || kind === "queued" || kind === "waiting"
 * ```
 * @since 0.1.0
 * @category models
 */
export type BarKind =
  | "succeeded"
  | "retried"
  | "failed"
  | "timed-out"
  | "cancelled"
  | "backoff"
  | "queued"
  | "waiting"
  | "skipped"

/**
 * One bar of a row. Times are milliseconds since the execution started.
 *
 * @example
 * ```ts
 * import type { Timeline } from "@weft/runtime"
 * const describe = (bar: Timeline.Bar) => `${bar.label}: ${bar.kind} ${bar.end - bar.start}ms`
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Bar {
  readonly kind: BarKind
  readonly start: number
  readonly end: number
  readonly iteration: number
  /** The attempt within the iteration (for a backoff: the attempt it follows). */
  readonly attempt: number
  /** `attempt 2`, `iteration 3`, `iteration 3, attempt 2`, `backoff before attempt 2 of 3`, `skipped`. */
  readonly label: string
  /** The error of a failed attempt (`Tag: message`), the backoff's reason, or why a node was skipped. */
  readonly detail?: string
}

/**
 * One node of the timeline, in the order nodes first appear in the trace.
 *
 * @example
 * ```ts
 * import { Timeline } from "@weft/runtime"
 * declare const result: Parameters<typeof Timeline.rows>[0]
 * const attempts = Timeline.rows(result).map((row) => [row.nodeId, row.bars.filter((b) => b.kind !== "backoff").length])
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Row {
  readonly nodeId: string
  /** Final status; `"not run"` for a node the execution never reached. */
  readonly status: NodeStatus | "not run"
  readonly attempts: number
  readonly iterations: number
  /** A loop body node: its bars are labelled by iteration. */
  readonly loop: boolean
  readonly bars: ReadonlyArray<Bar>
}

/**
 * One execution on the page, with an optional heading (default: the workflow id).
 *
 * @example
 * ```ts
 * import { Timeline } from "@weft/runtime"
 * declare const nightly: Timeline.Section["result"]
 * const html = Timeline.render([{ title: "Nightly ETL", result: nightly }])
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Section {
  readonly title?: string
  readonly result: ExecutionResult
}

/**
 * Options of `render`.
 *
 * @example
 * ```ts
 * import type { Timeline } from "@weft/runtime"
 * const options: Timeline.RenderOptions = { title: "Checkout, CI run 412" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface RenderOptions {
  /** The page's title and top heading (default `Weft execution timeline`). */
  readonly title?: string
}

// A recorded node error's message already names its tag ("node mail failed: MailRejected: …"):
// say it once.
const errorDetail = (tag: string, message: string): string =>
  message.includes(tag) ? message : `${tag}: ${message}`

interface OpenAttempt {
  readonly start: number
  readonly iteration: number
  readonly attempt: number
}

const attemptLabel = (loop: boolean, iteration: number, attempt: number): string =>
  loop
    ? attempt > 1
      ? `iteration ${iteration}, attempt ${attempt}`
      : `iteration ${iteration}`
    : `attempt ${attempt}`

/**
 * The timeline of one execution as data: a row per node (every node of the result, in the order
 * the trace first mentions them), each attempt a bar, each retry's backoff a bar.
 *
 * @example
 * ```ts
 * import { Timeline } from "@weft/runtime"
 * declare const result: Parameters<typeof Timeline.rows>[0]
 * for (const row of Timeline.rows(result))
 *   console.log(row.nodeId, row.bars.map((bar) => `${bar.label} ${bar.kind}`).join(", "))
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const rows = (result: ExecutionResult): ReadonlyArray<Row> => {
  const origin = result.startedAt
  const bars = new Map<string, Array<Bar>>()
  const open = new Map<string, OpenAttempt>()
  const isLoop = (nodeId: string, iteration: number) =>
    iteration > 1 || (result.nodes[nodeId]?.iterations ?? 0) > 1
  const barsOf = (nodeId: string): Array<Bar> => {
    let list = bars.get(nodeId)
    if (list === undefined) {
      list = []
      bars.set(nodeId, list)
    }
    return list
  }
  const waits = new Map<string, { readonly start: number; readonly what: string }>()
  const endWait = (nodeId: string, at: number) => {
    const wait = waits.get(nodeId)
    const attempt = open.get(nodeId)
    if (wait === undefined) return
    waits.delete(nodeId)
    const end = Math.max(wait.start, at - origin)
    barsOf(nodeId).push({
      kind: "waiting",
      start: wait.start,
      end,
      iteration: attempt?.iteration ?? 1,
      attempt: attempt?.attempt ?? 1,
      label: `waiting for ${wait.what}`,
      detail: `${formatMillis(end - wait.start)}, its slot given back to other nodes meanwhile`
    })
  }
  const close = (nodeId: string, at: number, kind: BarKind, detail?: string) => {
    endWait(nodeId, at)
    const started = open.get(nodeId)
    if (started === undefined) return
    open.delete(nodeId)
    barsOf(nodeId).push({
      kind,
      start: started.start,
      end: Math.max(started.start, at - origin),
      iteration: started.iteration,
      attempt: started.attempt,
      label: attemptLabel(isLoop(nodeId, started.iteration), started.iteration, started.attempt),
      ...(detail === undefined ? {} : { detail })
    })
  }
  for (const event of result.trace as ReadonlyArray<TraceEvent>) {
    switch (event.type) {
      case "node-scheduled":
        barsOf(event.nodeId)
        break
      case "node-started":
        // an attempt still open here was superseded without an end event: show what we know
        close(event.nodeId, event.at, "cancelled")
        if (event.queuedMillis !== undefined && event.queuedMillis > 0) {
          const end = event.at - origin
          barsOf(event.nodeId).push({
            kind: "queued",
            start: end - event.queuedMillis,
            end,
            iteration: event.iteration,
            attempt: event.attempt,
            label: `queued for ${attemptLabel(isLoop(event.nodeId, event.iteration), event.iteration, event.attempt)}`,
            detail: `waited ${formatMillis(event.queuedMillis)} for a runtime permit or a sandbox worker`
          })
        }
        open.set(event.nodeId, {
          start: event.at - origin,
          iteration: event.iteration,
          attempt: event.attempt
        })
        break
      case "node-retrying": {
        close(event.nodeId, event.at, "retried", errorDetail(event.error, event.message))
        const start = event.at - origin
        barsOf(event.nodeId).push({
          kind: "backoff",
          start,
          end: start + event.delay,
          iteration: event.iteration,
          attempt: event.attempt,
          label: `backoff before attempt ${event.attempt + 1} of ${event.maxAttempts}`,
          detail: `waits ${formatMillis(event.delay)} after ${event.error}`
        })
        break
      }
      case "node-succeeded":
        close(event.nodeId, event.at, "succeeded")
        break
      case "node-failed":
        close(event.nodeId, event.at, event.status, errorDetail(event.error, event.message))
        break
      case "node-cancelled":
        close(
          event.nodeId,
          event.at,
          event.status === "timed-out" ? "timed-out" : "cancelled",
          event.reason
        )
        break
      case "node-waiting":
        waits.set(event.nodeId, { start: event.at - origin, what: event.waitingFor })
        break
      case "node-resumed":
        endWait(event.nodeId, event.at)
        break
      case "node-skipped": {
        const at = event.at - origin
        barsOf(event.nodeId).push({
          kind: "skipped",
          start: at,
          end: at,
          iteration: 1,
          attempt: 0,
          label: "skipped",
          detail: event.reason
        })
        break
      }
      default:
        break
    }
  }
  for (const nodeId of open.keys())
    close(nodeId, result.finishedAt, "cancelled", "still running when the execution ended")
  for (const nodeId of Object.keys(result.nodes)) barsOf(nodeId)
  return [...bars.entries()].map(([nodeId, list]) => {
    const node = result.nodes[nodeId]
    const iterations = node?.iterations ?? 0
    return {
      nodeId,
      status: node?.status ?? "not run",
      attempts: node?.attempts ?? list.filter((bar) => isAttemptKind(bar.kind)).length,
      iterations,
      loop: iterations > 1 || list.some((bar) => bar.iteration > 1),
      bars: list
    }
  })
}

const isAttemptKind = (kind: BarKind): boolean =>
  kind !== "backoff" && kind !== "queued" && kind !== "waiting" && kind !== "skipped"

const escapeHtml = (text: string): string =>
  text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;")

const formatMillis = (ms: number): string => {
  if (!Number.isFinite(ms)) return "-"
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`
}

const niceStep = (total: number): number => {
  const rough = Math.max(1, total / 6)
  const power = 10 ** Math.floor(Math.log10(rough))
  for (const m of [1, 2, 5]) if (rough <= m * power) return m * power
  return 10 * power
}

const outcome: Record<BarKind, string> = {
  succeeded: "succeeded",
  retried: "failed, retried",
  failed: "failed",
  "timed-out": "timed out",
  cancelled: "cancelled",
  backoff: "",
  queued: "",
  waiting: "",
  skipped: ""
}

const barHtml = (nodeId: string, bar: Bar, total: number): string => {
  const left = (Math.min(Math.max(bar.start, 0), total) / total) * 100
  const width = Math.max(0, (Math.min(bar.end, total) - Math.max(bar.start, 0)) / total) * 100
  const heading = !isAttemptKind(bar.kind)
    ? `${nodeId} · ${bar.label}`
    : `${nodeId} · ${bar.label} · ${outcome[bar.kind]} after ${formatMillis(bar.end - bar.start)}`
  const at = `at ${formatMillis(bar.start)}`
  const detail =
    bar.detail === undefined ? "" : `<span class="detail">${escapeHtml(bar.detail)}</span>`
  // tooltips open leftwards near the right edge so they stay on the page
  const tip = `<span class="tip${left > 55 ? " tip-left" : ""}" role="tooltip"><b>${escapeHtml(heading)}</b><small>${escapeHtml(at)}</small>${detail}</span>`
  const aria = escapeHtml(bar.detail === undefined ? heading : `${heading}: ${bar.detail}`)
  const attrs = `data-iteration="${bar.iteration}" data-attempt="${bar.attempt}" tabindex="0" aria-label="${aria}"`
  if (bar.kind === "skipped")
    return `<div class="bar skipped${left > 55 ? " skip-left" : ""}" style="left:${left.toFixed(3)}%" ${attrs}><span class="skip-label">skipped</span>${tip}</div>`
  const attempt = isAttemptKind(bar.kind) ? " attempt" : ""
  return `<div class="bar${attempt} ${bar.kind}" style="left:${left.toFixed(3)}%;width:${width.toFixed(3)}%" ${attrs}>${tip}</div>`
}

const rowSummary = (row: Row): string => {
  if (row.status === "not run") return "not run"
  const parts: Array<string> = [row.status]
  if (row.loop) {
    parts.push(`${row.iterations} iteration${row.iterations === 1 ? "" : "s"}`)
    if (row.attempts > row.iterations) parts.push(`${row.attempts} attempts`)
  } else if (row.attempts > 0) parts.push(`${row.attempts} attempt${row.attempts === 1 ? "" : "s"}`)
  return parts.join(" · ")
}

const sectionHtml = (section: Section): string => {
  const { result } = section
  const total = Math.max(1, result.finishedAt - result.startedAt)
  const step = niceStep(total)
  const ticks: Array<string> = []
  for (let t = 0; t <= total + step / 1000; t += step)
    ticks.push(
      `<span class="tick" style="left:${((Math.min(t, total) / total) * 100).toFixed(3)}%">${escapeHtml(formatMillis(t))}</span>`
    )
  const body = rows(result)
    .map(
      (row) =>
        `<div class="row ${escapeHtml(row.status.replace(" ", "-"))}" data-node-id="${escapeHtml(row.nodeId)}"><div class="label"><b>${escapeHtml(row.nodeId)}</b><small>${escapeHtml(rowSummary(row))}</small></div><div class="lane">${row.bars.map((bar) => barHtml(row.nodeId, bar, total)).join("")}</div></div>`
    )
    .join("\n")
  // each distinct error once: a node's final error also appears among the execution's errors
  const seen = new Set<string>()
  const errors: Array<string> = []
  for (const error of result.errors) {
    const key = `${error._tag}\u0000${error.message}`
    if (seen.has(key)) continue
    seen.add(key)
    errors.push(`<li><code>${escapeHtml(error._tag)}</code> ${escapeHtml(error.message)}</li>`)
  }
  const title = section.title ?? result.workflowId
  return `<section class="execution" data-execution-id="${escapeHtml(result.id)}">
<h2>${escapeHtml(title)} <span class="status ${escapeHtml(result.status)}">${escapeHtml(result.status)}</span> <small>${escapeHtml(formatMillis(result.duration))} · ${escapeHtml(result.id)}</small></h2>
<div class="axis">${ticks.join("")}</div>
${body}
${errors.length === 0 ? "" : `<ul class="errors">${errors.join("")}</ul>`}
</section>`
}

const style = `
:root { color-scheme: light; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .5rem; } h2 { font-size: 1.1rem; margin: 2rem 0 .5rem; }
h2 small, .label small, .hint { color: #656d76; font-weight: normal; }
.status.succeeded, .row.succeeded .label small { color: #1a7f37; }
.status.failed, .status.timed-out, .row.failed .label small, .row.timed-out .label small { color: #cf222e; }
.status.cancelled, .row.cancelled .label small, .row.skipped .label small, .row.not-run .label small { color: #656d76; }
.axis { position: relative; height: 1.4rem; margin: 0 2rem 0 14rem; border-bottom: 1px solid #d0d7de; }
.tick { position: absolute; transform: translateX(-50%); font-size: 11px; color: #656d76; white-space: nowrap; }
.tick::after { content: ""; position: absolute; left: 50%; top: 1.1rem; height: .3rem; border-left: 1px solid #d0d7de; }
.row { display: flex; align-items: center; min-height: 2.4rem; border-bottom: 1px solid #f0f2f4; }
.row.skipped b, .row.not-run b { color: #656d76; font-weight: 500; }
.label { width: 14rem; flex: none; display: flex; flex-direction: column; line-height: 1.15; overflow: hidden; }
.label small { font-size: 11px; }
.lane { position: relative; flex: 1; height: 1.1rem; margin-right: 2rem; }
.bar { position: absolute; top: 0; height: 100%; min-width: 4px; border-radius: 3px; box-sizing: border-box; cursor: default; outline: none; }
.bar.attempt + .bar.attempt { box-shadow: -1px 0 0 #fff; }
.bar.succeeded { background: #2da44e; } .bar.retried { background: #d4a72c; }
.bar.failed { background: #cf222e; } .bar.timed-out { background: #a40e26; } .bar.cancelled { background: #8c959f; }
.bar.backoff { background: repeating-linear-gradient(45deg, #f6e7b0 0 4px, #fff 4px 8px); border: 1px dashed #d4a72c; min-width: 0; }
.bar.queued { background: repeating-linear-gradient(90deg, #afb8c1 0 2px, transparent 2px 5px); height: 40%; top: 30%; min-width: 0; }
.bar.waiting { background: repeating-linear-gradient(-45deg, #ffffffd9 0 3px, #ffffff59 3px 6px); height: 70%; top: 15%; min-width: 0; z-index: 2; }
.legend i.waiting-sample { background: repeating-linear-gradient(-45deg, #ffffffd9 0 3px, #ffffff59 3px 6px), #2da44e; }
.bar.skipped { width: auto; min-width: 0; border-left: 2px dashed #8c959f; border-radius: 0; padding-left: .35rem; }
.bar.skipped.skip-left { transform: translateX(-100%); border-left: 0; border-right: 2px dashed #8c959f; padding: 0 .35rem 0 0; }
.skip-label { font-size: 11px; color: #656d76; font-style: italic; line-height: 1.1rem; white-space: nowrap; }
.bar:hover, .bar:focus-visible { filter: brightness(1.1); box-shadow: 0 0 0 2px #0969da66; z-index: 5; }
.tip { display: none; position: absolute; top: calc(100% + 6px); left: 0; z-index: 10; width: max-content; max-width: 28rem;
  padding: .45rem .6rem; border-radius: 6px; background: #24292f; color: #f6f8fa; font-size: 12px; line-height: 1.35;
  box-shadow: 0 4px 12px #0003; white-space: normal; pointer-events: none; }
.tip.tip-left { left: auto; right: 0; }
.tip b, .tip small, .tip .detail { display: block; } .tip small { color: #afb8c1; }
.tip .detail { margin-top: .25rem; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
.bar:hover .tip, .bar:focus-visible .tip { display: block; }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; margin: .5rem 0; padding: 0; list-style: none; }
.legend i { display: inline-block; width: 1.5rem; height: .8rem; margin-right: .35rem; vertical-align: -1px; border-radius: 3px; position: static; }
.legend i.skipped { width: 0; height: .9rem; padding: 0; border-radius: 0; }
.errors { color: #cf222e; padding-left: 1.2rem; } .errors code { font-weight: 600; }
`

/**
 * One self-contained HTML page (inline CSS, no scripts, no external resources) showing one or
 * more executions on their own time axes, relative to each execution's start. Hover or focus a
 * bar for its attempt, timing and error.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs"
 * import { Workflow } from "@weft/graph"
 * import { Runtime, Timeline } from "@weft/runtime"
 * const wf = Workflow.make("hello").code("greet", "return 'hi ' + name").build()
 * const result = await Runtime.run(wf, { greet: { name: "Ada" } })
 * writeFileSync("timeline.html", Timeline.render(result))
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const render = (
  executions: ExecutionResult | ReadonlyArray<Section>,
  options: RenderOptions = {}
): string => {
  const sections: ReadonlyArray<Section> = Array.isArray(executions)
    ? (executions as ReadonlyArray<Section>)
    : [{ result: executions as ExecutionResult }]
  const title = options.title ?? "Weft execution timeline"
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<ul class="legend"><li><i class="bar succeeded"></i>attempt succeeded</li><li><i class="bar retried"></i>attempt failed, retried</li><li><i class="bar backoff"></i>backoff wait</li><li><i class="bar queued"></i>queued for a permit or worker</li><li><i class="bar attempt succeeded waiting-sample"></i>waiting inside an attempt</li><li><i class="bar failed"></i>failed</li><li><i class="bar timed-out"></i>timed out</li><li><i class="bar cancelled"></i>cancelled</li><li><i class="bar skipped"></i>skipped</li></ul>
<p class="hint">Hover or focus a bar for its attempt, timing and error. Times are relative to each execution's start.</p>
${sections.map(sectionHtml).join("\n")}
</body>
</html>
`
}
