import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Performance } from "../src/index.js"

describe("Performance.assertPerformance", () => {
  it("reports throughput and latency percentiles for a fast operation", async () => {
    const report = await Effect.runPromise(
      Performance.assertPerformance(() => Effect.sync(() => JSON.parse("[1,2,3]")), {
        operations: 500,
        maxTime: "5 seconds",
        minThroughput: 100
      })
    )
    expect(report.operations).toBe(500)
    expect(report.throughput).toBeGreaterThan(100)
    expect(report.p50Ms).toBeLessThanOrEqual(report.p95Ms)
    expect(report.p95Ms).toBeLessThanOrEqual(report.maxMs)
  })

  it("fails when the total time is over the limit", async () => {
    const slow = () => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 15)))
    const error = await Effect.runPromise(
      Effect.flip(Performance.assertPerformance(slow, { operations: 3, maxTime: "10 millis" }))
    )
    expect(error.message).toMatch(
      /^assertPerformance: 3 operations in \d+(\.\d+)?ms \(.*\/s, p50 .*, p95 .*\): over the limit of 10ms$/
    )
  })

  it("fails when throughput is below the minimum; concurrency raises it", async () => {
    const slow = () => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
    const sequential = await Effect.runPromise(
      Effect.flip(Performance.assertPerformance(slow, { operations: 5, minThroughput: 100 }))
    )
    expect(sequential.message).toMatch(/below the minimum throughput of 100\/s$/)
    // 20 operations at once take about one 20 ms wait; the bound leaves room for a loaded machine
    // and is still above what one-at-a-time can reach (at most 50/s).
    const concurrent = await Effect.runPromise(
      Performance.assertPerformance(slow, {
        operations: 20,
        concurrency: "unbounded",
        minThroughput: 60
      })
    )
    expect(concurrent.throughput).toBeGreaterThan(60)
  })

  it("has a Promise twin", async () => {
    const report = await Performance.assertPerformancePromise(async (i) => i * 2, {
      operations: 50,
      warmup: 5
    })
    expect(report.operations).toBe(50)
  })
})

describe("Performance.assertMemoryStable", () => {
  it("passes when every iteration's allocations are freed", async () => {
    const report = await Effect.runPromise(
      Performance.assertMemoryStable(() => Effect.sync(() => new Array(10_000).fill(1).length), {
        iterations: 50,
        growth: 2 * 1024 * 1024
      })
    )
    expect(report.forcedGc).toBe(true)
    expect(report.growthBytes).toBeLessThan(2 * 1024 * 1024)
  })

  it("fails on a leak that grows with every iteration", async () => {
    const leak: Array<Array<number>> = []
    const error = await Effect.runPromise(
      Effect.flip(
        Performance.assertMemoryStable(
          () => Effect.sync(() => leak.push(new Array(25_000).fill(leak.length))),
          { iterations: 40, growth: 1024 * 1024 }
        )
      )
    )
    expect(error.message).toMatch(
      /^assertMemoryStable: retained heap grew \d+\.\d\d MB over 40 iterations \(\d+\.\d KB each; limit 1\.00 MB\)\. Checkpoints: /
    )
  })

  it("has a Promise twin", async () => {
    const report = await Performance.assertMemoryStablePromise(async () => ({ a: 1 }), {
      iterations: 20,
      growth: 4 * 1024 * 1024
    })
    expect(report.iterations).toBe(20)
  })
})
