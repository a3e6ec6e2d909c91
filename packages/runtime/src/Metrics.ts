/**
 * Effect `Metric`s of executions and node attempts, derived from the trace: executions started
 * and finished by status, node attempt durations by status, retries by error tag, timeouts.
 * They live in Effect's metric registry, so any Effect metrics exporter (the built-in OTLP one in
 * `effect/observability`, Prometheus) exports them. Provide `Metrics.layer` to record them for
 * every execution run under it, or give one execution the `observer` (the `onEvent` option).
 *
 * | metric | kind | unit | labels |
 * | --- | --- | --- | --- |
 * | `weft.executions.started` | counter | `{execution}` | `weft.workflow.id` |
 * | `weft.executions.finished` | counter | `{execution}` | `weft.workflow.id`, `weft.status` |
 * | `weft.node.duration` | histogram | `ms` | `weft.workflow.id`, `weft.node.id`, `weft.status` |
 * | `weft.node.retries` | counter | `{retry}` | `weft.workflow.id`, `weft.node.id`, `weft.error.tag` |
 * | `weft.node.timeouts` | counter | `{timeout}` | `weft.workflow.id`, `weft.node.id` |
 * | `weft.node.queue.duration` | histogram | `ms` | `weft.workflow.id`, `weft.node.id` |
 * | `weft.executions.active` | up-down counter | `{execution}` | `weft.workflow.id` |
 * | `weft.node.attempts.active` | up-down counter | `{attempt}` | `weft.workflow.id` |
 * | `weft.sandbox.queue.depth` | gauge | `{run}` | — |
 * | `weft.sandbox.pool.utilization` | gauge | `1` | — |
 *
 * The two sandbox gauges are sampled from `Sandbox.stats` (`@weft/sandbox`) at every node
 * event of the trace (scheduled, started, ended …), when the sandbox in context reports them.
 * `@weft/durable` adds `weft.durable.resumes` and `weft.durable.replays` (counters labelled
 * `weft.durable.store`).
 *
 * @since 0.1.0
 */
import { Sandbox } from "@weft/sandbox"
import { Context, Layer, Metric, Option } from "effect"
import type { TraceEvent } from "./Trace.js"

/**
 * Executions started (`weft.workflow.id`).
 *
 * @example
 * ```ts
 * import { Metrics } from "@weft/runtime"
 * import { Effect, Metric } from "effect"
 * const started = Effect.map(Metric.value(Metrics.executionsStarted), (state) => state.count)
 * ```
 * @since 0.1.0
 * @category models
 */
export const executionsStarted: Metric.Counter<number> = Metric.counter("weft.executions.started", {
  description: "Weft executions started",
  attributes: { unit: "{execution}" },
  incremental: true
})

/**
 * Executions finished (`weft.workflow.id`, `weft.status`: `succeeded`, `failed`, `timed-out`,
 * `cancelled`).
 *
 * @example
 * ```ts
 * import { Metrics } from "@weft/runtime"
 * import { Metric } from "effect"
 * const failed = Metric.withAttributes(Metrics.executionsFinished, { "weft.workflow.id": "checkout", "weft.status": "failed" })
 * ```
 * @since 0.1.0
 * @category models
 */
export const executionsFinished: Metric.Counter<number> = Metric.counter(
  "weft.executions.finished",
  {
    description: "Weft executions finished, by status",
    attributes: { unit: "{execution}" },
    incremental: true
  }
)

/**
 * Duration of each node attempt in milliseconds (`weft.workflow.id`, `weft.node.id`,
 * `weft.status`: `succeeded`, `failed`, `timed-out`, `cancelled`). A retried attempt counts as
 * `failed` (or `timed-out`).
 *
 * @example
 * ```ts
 * import { Metrics } from "@weft/runtime"
 * import { Effect, Metric } from "effect"
 * const attempts = Effect.map(Metric.value(Metrics.nodeDuration), (state) => state.count)
 * ```
 * @since 0.1.0
 * @category models
 */
export const nodeDuration: Metric.Histogram<number> = Metric.histogram("weft.node.duration", {
  description: "Duration of Weft node attempts, by status",
  attributes: { unit: "ms" },
  boundaries: Metric.exponentialBoundaries({ start: 1, factor: 4, count: 10 })
})

/**
 * Retries scheduled (`weft.workflow.id`, `weft.node.id`, `weft.error.tag`: the failed attempt's
 * error tag).
 *
 * @example
 * ```ts
 * import { Metrics } from "@weft/runtime"
 * import { Effect, Metric } from "effect"
 * const retries = Effect.map(Metric.value(Metrics.nodeRetries), (state) => state.count)
 * ```
 * @since 0.1.0
 * @category models
 */
export const nodeRetries: Metric.Counter<number> = Metric.counter("weft.node.retries", {
  description: "Weft node retries, by the failed attempt's error tag",
  attributes: { unit: "{retry}" },
  incremental: true
})

/**
 * Node attempts that timed out (`weft.workflow.id`, `weft.node.id`), retried or not.
 *
 * @example
 * ```ts
 * import { Metrics } from "@weft/runtime"
 * import { Effect, Metric } from "effect"
 * const timeouts = Effect.map(Metric.value(Metrics.nodeTimeouts), (state) => state.count)
 * ```
 * @since 0.1.0
 * @category models
 */
export const nodeTimeouts: Metric.Counter<number> = Metric.counter("weft.node.timeouts", {
  description: "Weft node attempts that timed out",
  attributes: { unit: "{timeout}" },
  incremental: true
})

/**
 * Time node attempts waited for a runtime permit or a sandbox worker before they ran, in
 * milliseconds (`weft.workflow.id`, `weft.node.id`); attempts that did not wait are not recorded.
 *
 * @example
 * ```ts
 * import { Metrics } from "@weft/runtime"
 * import { Effect, Metric } from "effect"
 * const queuedAttempts = Effect.map(Metric.value(Metrics.nodeQueueDuration), (state) => state.count)
 * ```
 * @since 0.1.0
 * @category models
 */
export const nodeQueueDuration: Metric.Histogram<number> = Metric.histogram(
  "weft.node.queue.duration",
  {
    description: "Time Weft node attempts queued for a runtime permit or a sandbox worker",
    attributes: { unit: "ms" },
    boundaries: Metric.exponentialBoundaries({ start: 1, factor: 4, count: 10 })
  }
)

/**
 * Executions running now (`weft.workflow.id`): up at start, down when they finish.
 *
 * @example
 * ```ts
 * import { Metrics } from "@weft/runtime"
 * import { Effect, Metric } from "effect"
 * const running = Effect.map(Metric.value(Metrics.executionsActive), (state) => state.count)
 * ```
 * @since 0.1.0
 * @category models
 */
export const executionsActive: Metric.Counter<number> = Metric.counter("weft.executions.active", {
  description: "Weft executions running now",
  attributes: { unit: "{execution}" }
})

/**
 * Node attempts executing now (`weft.workflow.id`): not counting attempts queued for a permit or
 * a worker, nor retry backoffs. Against the runtime's or the sandbox pool's size it shows how
 * busy they are.
 *
 * @example
 * ```ts
 * import { Metrics } from "@weft/runtime"
 * import { Effect, Metric } from "effect"
 * const busy = Effect.map(Metric.value(Metrics.attemptsActive), (state) => state.count)
 * ```
 * @since 0.1.0
 * @category models
 */
export const attemptsActive: Metric.Counter<number> = Metric.counter("weft.node.attempts.active", {
  description: "Weft node attempts executing now",
  attributes: { unit: "{attempt}" }
})

/**
 * Runs waiting for a sandbox worker (new runs and resumes after a host call), sampled from
 * `Sandbox.stats` at every node event of the trace (scheduled, started, ended …).
 *
 * @example
 * ```ts
 * import { Metrics } from "@weft/runtime"
 * import { Effect, Metric } from "effect"
 * const depth = Effect.map(Metric.value(Metrics.sandboxQueueDepth), (state) => state.value)
 * ```
 * @since 0.2.0
 * @category models
 */
export const sandboxQueueDepth: Metric.Gauge<number> = Metric.gauge("weft.sandbox.queue.depth", {
  description: "Runs waiting for a Weft sandbox worker",
  attributes: { unit: "{run}" }
})

/**
 * Share of the sandbox's workers running guest code (`busy / workers`, 0 to 1), sampled from
 * `Sandbox.stats` at every node event of the trace (scheduled, started, ended …). The in-thread
 * driver always reads 0 (its steps run synchronously, nothing observes them).
 *
 * @example
 * ```ts
 * import { Metrics } from "@weft/runtime"
 * import { Effect, Metric } from "effect"
 * const utilization = Effect.map(Metric.value(Metrics.sandboxPoolUtilization), (state) => state.value)
 * ```
 * @since 0.2.0
 * @category models
 */
export const sandboxPoolUtilization: Metric.Gauge<number> = Metric.gauge(
  "weft.sandbox.pool.utilization",
  {
    description: "Share of the Weft sandbox's workers running guest code (busy / workers)",
    attributes: { unit: "1" }
  }
)

/**
 * Options of {@link observer}.
 *
 * @example
 * ```ts
 * import type { Metrics } from "@weft/runtime"
 * import { Option } from "effect"
 * const options: Metrics.ObserverOptions = { sandboxStats: () => Option.none() }
 * ```
 * @since 0.2.0
 * @category models
 */
export interface ObserverOptions {
  /**
   * Where the sandbox gauges are sampled from. Default: the `stats` of the `Sandbox` service in
   * `context` (none: the gauges are not recorded).
   */
  readonly sandboxStats?: () => Option.Option<Sandbox.Stats>
}

const statsOf = (context: Context.Context<never>): (() => Option.Option<Sandbox.Stats>) => {
  const service = Context.getOption(context as Context.Context<Sandbox.Sandbox>, Sandbox.Sandbox)
  if (Option.isNone(service)) return Option.none
  const sandbox = service.value
  return () => Option.fromUndefinedOr(sandbox.stats?.())
}

type Series = <I, S>(
  metric: Metric.Metric<I, S>,
  labels: Record<string, string>
) => Metric.Metric<I, S>

// one labelled metric per (metric, labels): executions of a workflow reuse the same series
const seriesCache = (): Series => {
  const cache = new Map<string, Metric.Metric<unknown, unknown>>()
  return <I, S>(metric: Metric.Metric<I, S>, labels: Record<string, string>) => {
    const key = `${metric.id}\u0000${Object.values(labels).join("\u0000")}`
    let series = cache.get(key) as Metric.Metric<I, S> | undefined
    if (series === undefined) {
      series = Metric.withAttributes(metric, labels)
      cache.set(key, series as Metric.Metric<unknown, unknown>)
    }
    return series
  }
}

/**
 * A trace observer that records the metrics: pass it as `onEvent` (or call it for each event of
 * `execution.events`). Metrics go to the registry of `context` (default: Effect's global
 * registry, the one exporters read unless you replace `Metric.MetricRegistry`). One observer can
 * serve many executions, also concurrently. The sandbox gauges are sampled at each node event
 * from the `Sandbox` in `context` (`Metrics.layer` passes the execution's) or from
 * `options.sandboxStats`.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * import { Metrics, Runtime } from "@weft/runtime"
 * const wf = Workflow.make("hello").code("greet", "return 'hi'").build()
 * const observe = Metrics.observer()
 * await Runtime.run(wf, {}, { onEvent: observe })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const observer = (
  context: Context.Context<never> = Context.empty(),
  options: ObserverOptions = {}
): ((event: TraceEvent) => void) => {
  const series = seriesCache()
  const sandboxStats = options.sandboxStats ?? statsOf(context)
  const sampleSandbox = () => {
    const stats = sandboxStats()
    if (Option.isNone(stats)) return
    const { busy, queued, workers } = stats.value
    sandboxQueueDepth.updateUnsafe(queued, context)
    sandboxPoolUtilization.updateUnsafe(workers > 0 ? busy / workers : 0, context)
  }
  const workflows = new Map<string, string>()
  // node attempts in flight: `${executionId}\u0000${nodeId}` -> start time
  const running = new Map<string, number>()
  const update = <I>(metric: Metric.Metric<I, unknown>, labels: Record<string, string>, input: I) =>
    series(metric, labels).updateUnsafe(input, context)
  const attemptEnded = (
    event: { readonly executionId: string; readonly nodeId: string; readonly at: number },
    workflowId: string,
    status: string
  ) => {
    const key = `${event.executionId}\u0000${event.nodeId}`
    const started = running.get(key)
    if (started === undefined) return
    running.delete(key)
    update(attemptsActive, { "weft.workflow.id": workflowId }, -1)
    update(
      nodeDuration,
      { "weft.workflow.id": workflowId, "weft.node.id": event.nodeId, "weft.status": status },
      event.at - started
    )
  }
  return (event) => {
    if (event.type === "execution-started") {
      workflows.set(event.executionId, event.workflowId)
      update(executionsStarted, { "weft.workflow.id": event.workflowId }, 1)
      update(executionsActive, { "weft.workflow.id": event.workflowId }, 1)
      return
    }
    const workflowId = workflows.get(event.executionId) ?? "unknown"
    if (event.type.startsWith("node-")) sampleSandbox()
    switch (event.type) {
      case "execution-finished": {
        workflows.delete(event.executionId)
        update(executionsActive, { "weft.workflow.id": event.workflowId }, -1)
        // attempts the trace never ended (none in practice): not active any more
        const prefix = `${event.executionId}\u0000`
        for (const key of running.keys())
          if (key.startsWith(prefix)) {
            running.delete(key)
            update(attemptsActive, { "weft.workflow.id": event.workflowId }, -1)
          }
        update(
          executionsFinished,
          { "weft.workflow.id": event.workflowId, "weft.status": event.status },
          1
        )
        break
      }
      case "node-started": {
        const key = `${event.executionId}\u0000${event.nodeId}`
        // a new attempt while one is open (no end event in between): replaces it
        if (!running.has(key)) update(attemptsActive, { "weft.workflow.id": workflowId }, 1)
        running.set(key, event.at)
        if (event.queuedMillis !== undefined && event.queuedMillis > 0)
          update(
            nodeQueueDuration,
            { "weft.workflow.id": workflowId, "weft.node.id": event.nodeId },
            event.queuedMillis
          )
        break
      }
      case "node-succeeded":
        attemptEnded(event, workflowId, "succeeded")
        break
      case "node-retrying": {
        const timedOut = event.error === "NodeTimedOut"
        attemptEnded(event, workflowId, timedOut ? "timed-out" : "failed")
        update(
          nodeRetries,
          {
            "weft.workflow.id": workflowId,
            "weft.node.id": event.nodeId,
            "weft.error.tag": event.error
          },
          1
        )
        if (timedOut)
          update(nodeTimeouts, { "weft.workflow.id": workflowId, "weft.node.id": event.nodeId }, 1)
        break
      }
      case "node-failed":
        attemptEnded(event, workflowId, event.status)
        if (event.status === "timed-out")
          update(nodeTimeouts, { "weft.workflow.id": workflowId, "weft.node.id": event.nodeId }, 1)
        break
      case "node-cancelled":
        attemptEnded(event, workflowId, event.status)
        break
      default:
        break
    }
  }
}

/**
 * Whether executions record the metrics by themselves (default `false`; `Metrics.layer` turns it
 * on).
 *
 * @example
 * ```ts
 * import { Metrics } from "@weft/runtime"
 * import { Effect } from "effect"
 * declare const program: Effect.Effect<void>
 * const measured = Effect.provideService(program, Metrics.Enabled, true)
 * ```
 * @since 0.1.0
 * @category models
 */
export const Enabled: Context.Reference<boolean> = Context.Reference<boolean>(
  "@weft/runtime/Metrics/Enabled",
  { defaultValue: () => false }
)

/**
 * Every execution run under this layer records the metrics (into the registry of its context).
 *
 * @example
 * ```ts
 * import { Metrics, Runtime } from "@weft/runtime"
 * import { Sandbox } from "@weft/sandbox"
 * import { Effect, Layer } from "effect"
 * declare const checkout: Runtime.Workflow
 * const program = Runtime.execute(checkout, {}).pipe(
 *   Effect.provide(Layer.mergeAll(Metrics.layer, Sandbox.layerQuickJs()))
 * )
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<never> = Layer.succeed(Enabled, true)
