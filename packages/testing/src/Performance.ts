/**
 * Performance assertions: latency and throughput in real time, and memory that stays flat.
 *
 * These measure what a run really costs the machine (`performance.now()`, the V8 heap), so they
 * stay meaningful under virtual time, where sleeps and backoff cost nothing.
 *
 * @since 0.1.0
 */
import { type Duration, Effect } from "effect"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { type AssertionFailed, fail, formatMillis, millisOf } from "./internal/assertionFailed.js"

/**
 * Options for {@link assertPerformance}.
 *
 * @example
 * ```ts
 * import type { Performance } from "@weft/testing"
 * const options: Performance.PerformanceOptions = { operations: 50, maxTime: "1 second", minThroughput: 100 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface PerformanceOptions {
  /** How many times to run the operation. */
  readonly operations: number
  /** Upper bound on the total real time. */
  readonly maxTime?: Duration.Input
  /** Lower bound on operations per real second. */
  readonly minThroughput?: number
  /** How many operations run at once (default 1). */
  readonly concurrency?: number | "unbounded"
  /** Runs not measured before the measured ones (default 0). */
  readonly warmup?: number
}

/**
 * What {@link assertPerformance} measured (real milliseconds).
 *
 * @example
 * ```ts
 * import type { Performance } from "@weft/testing"
 * const r: Performance.PerformanceReport = {
 *   operations: 10, totalMs: 5, throughput: 2000, meanMs: 0.5, p50Ms: 0.4, p95Ms: 1, maxMs: 1.2
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface PerformanceReport {
  readonly operations: number
  readonly totalMs: number
  /** Operations per second. */
  readonly throughput: number
  readonly meanMs: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly maxMs: number
}

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!

/**
 * Runs `operation` `operations` times and fails if the total real time exceeds `maxTime` or
 * the throughput falls below `minThroughput`. Returns the measurements either way it passes.
 *
 * @example
 * ```ts
 * import { Performance } from "@weft/testing"
 * import { Effect } from "effect"
 * Performance.assertPerformance(() => Effect.sync(() => JSON.parse("[1,2,3]")), {
 *   operations: 1000,
 *   maxTime: "1 second",
 *   minThroughput: 1000
 * })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertPerformance = <A, E, R>(
  operation: (index: number) => Effect.Effect<A, E, R>,
  options: PerformanceOptions
): Effect.Effect<PerformanceReport, E | AssertionFailed, R> =>
  Effect.gen(function* () {
    for (let i = 0; i < (options.warmup ?? 0); i++) yield* operation(i)
    const durations: Array<number> = []
    const timed = (index: number) =>
      Effect.suspend(() => {
        const start = performance.now()
        return Effect.tap(operation(index), () =>
          Effect.sync(() => durations.push(performance.now() - start))
        )
      })
    const start = performance.now()
    yield* Effect.forEach(
      Array.from({ length: options.operations }, (_, i) => i),
      timed,
      { concurrency: options.concurrency ?? 1, discard: true }
    )
    const totalMs = performance.now() - start
    const sorted = [...durations].sort((a, b) => a - b)
    const report: PerformanceReport = {
      operations: options.operations,
      totalMs,
      throughput: totalMs === 0 ? Number.POSITIVE_INFINITY : (options.operations / totalMs) * 1000,
      meanMs: sorted.reduce((sum, d) => sum + d, 0) / Math.max(1, sorted.length),
      p50Ms: percentile(sorted, 0.5),
      p95Ms: percentile(sorted, 0.95),
      maxMs: sorted.at(-1) ?? 0
    }
    const summary =
      `${report.operations} operations in ${formatMillis(totalMs)} ` +
      `(${report.throughput.toFixed(1)}/s, p50 ${formatMillis(report.p50Ms)}, p95 ${formatMillis(report.p95Ms)})`
    if (options.maxTime !== undefined && totalMs > millisOf(options.maxTime)) {
      return yield* fail(
        "assertPerformance",
        `${summary}: over the limit of ${formatMillis(millisOf(options.maxTime))}`
      )
    }
    if (options.minThroughput !== undefined && report.throughput < options.minThroughput) {
      return yield* fail(
        "assertPerformance",
        `${summary}: below the minimum throughput of ${options.minThroughput}/s`
      )
    }
    return report
  })

/**
 * Options for {@link assertMemoryStable}.
 *
 * @example
 * ```ts
 * import type { Performance } from "@weft/testing"
 * const options: Performance.MemoryOptions = { iterations: 200, growth: 2 * 1024 * 1024 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface MemoryOptions {
  /** Measured iterations. */
  readonly iterations: number
  /** Maximum retained heap growth in bytes across the measured iterations. */
  readonly growth: number
  /** Unmeasured iterations first, so caches and JIT settle (default `max(5, iterations / 10)`). */
  readonly warmup?: number
}

/**
 * What {@link assertMemoryStable} measured: retained heap (after a full GC) at checkpoints.
 *
 * @example
 * ```ts
 * import type { Performance } from "@weft/testing"
 * const r: Performance.MemoryReport = {
 *   iterations: 100, baselineBytes: 4e7, finalBytes: 4.01e7, growthBytes: 1e5, bytesPerIteration: 1000,
 *   checkpoints: [4e7, 4.01e7], forcedGc: true
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface MemoryReport {
  readonly iterations: number
  readonly baselineBytes: number
  readonly finalBytes: number
  readonly growthBytes: number
  readonly bytesPerIteration: number
  readonly checkpoints: ReadonlyArray<number>
  /** Whether a full GC could be forced before each measurement (otherwise figures are noisier). */
  readonly forcedGc: boolean
}

let cachedGc: (() => void) | undefined | null = null
const forceGc = (): (() => void) | undefined => {
  if (cachedGc !== null) return cachedGc
  const existing = (globalThis as { gc?: () => void }).gc
  if (typeof existing === "function") {
    cachedGc = existing
    return cachedGc
  }
  try {
    v8.setFlagsFromString("--expose-gc")
    cachedGc = vm.runInNewContext("gc") as () => void
  } catch {
    cachedGc = undefined
  }
  return cachedGc
}

const retainedHeap = (): number => {
  const gc = forceGc()
  if (gc !== undefined) {
    gc()
    gc()
  }
  return process.memoryUsage().heapUsed
}

const formatBytes = (bytes: number): string =>
  Math.abs(bytes) >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(2)} MB`
    : `${(bytes / 1024).toFixed(1)} KB`

/**
 * Runs `operation` repeatedly and fails if the heap retained after a full GC grows by more than
 * `growth` bytes between the end of the warm-up and the end of the run — a leak that grows with
 * every iteration shows up; allocations that are freed do not.
 *
 * @example
 * ```ts
 * import { Performance } from "@weft/testing"
 * import { Effect } from "effect"
 * Performance.assertMemoryStable(() => Effect.sync(() => new Array(1000).fill(0)), {
 *   iterations: 100,
 *   growth: 1024 * 1024
 * })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertMemoryStable = <A, E, R>(
  operation: (index: number) => Effect.Effect<A, E, R>,
  options: MemoryOptions
): Effect.Effect<MemoryReport, E | AssertionFailed, R> =>
  Effect.gen(function* () {
    const warmup = options.warmup ?? Math.max(5, Math.floor(options.iterations / 10))
    for (let i = 0; i < warmup; i++) yield* operation(i)
    const baseline = retainedHeap()
    const checkpoints = [baseline]
    const every = Math.max(1, Math.floor(options.iterations / 4))
    for (let i = 0; i < options.iterations; i++) {
      yield* operation(warmup + i)
      if ((i + 1) % every === 0 && i + 1 < options.iterations) checkpoints.push(retainedHeap())
    }
    const final = retainedHeap()
    checkpoints.push(final)
    const report: MemoryReport = {
      iterations: options.iterations,
      baselineBytes: baseline,
      finalBytes: final,
      growthBytes: final - baseline,
      bytesPerIteration: (final - baseline) / options.iterations,
      checkpoints,
      forcedGc: forceGc() !== undefined
    }
    if (report.growthBytes > options.growth) {
      return yield* fail(
        "assertMemoryStable",
        `retained heap grew ${formatBytes(report.growthBytes)} over ${options.iterations} iterations ` +
          `(${formatBytes(report.bytesPerIteration)} each; limit ${formatBytes(options.growth)}). ` +
          `Checkpoints: ${checkpoints.map(formatBytes).join(" → ")}`
      )
    }
    return report
  })

const runOrThrow = async <A>(effect: Effect.Effect<A, unknown>): Promise<A> =>
  Effect.runPromise(effect)

/**
 * {@link assertPerformance} for Promise-returning operations.
 *
 * @example
 * ```ts
 * import { Performance } from "@weft/testing"
 * const report = await Performance.assertPerformancePromise(async () => 1 + 1, {
 *   operations: 100,
 *   minThroughput: 1000
 * })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertPerformancePromise = (
  operation: (index: number) => unknown,
  options: PerformanceOptions
): Promise<PerformanceReport> =>
  runOrThrow(
    assertPerformance(
      (i) => Effect.tryPromise({ try: async () => await operation(i), catch: (error) => error }),
      options
    )
  )

/**
 * {@link assertMemoryStable} for Promise-returning operations.
 *
 * @example
 * ```ts
 * import { Performance } from "@weft/testing"
 * await Performance.assertMemoryStablePromise(async () => JSON.stringify({ a: 1 }), {
 *   iterations: 100,
 *   growth: 1024 * 1024
 * })
 * ```
 * @since 0.1.0
 * @category assertions
 */
export const assertMemoryStablePromise = (
  operation: (index: number) => unknown,
  options: MemoryOptions
): Promise<MemoryReport> =>
  runOrThrow(
    assertMemoryStable(
      (i) => Effect.tryPromise({ try: async () => await operation(i), catch: (error) => error }),
      options
    )
  )
