// What the harness costs, measured against baselines in the same run:
// 1. overhead per test: harness setup + execute a trivial workflow + teardown (with the leak
//    check), against executing the same workflow with the bare runtime;
// 2. the real time of a test whose workflow backs off for 10 virtual minutes, against the same
//    test without any waiting, and against the 10 minutes themselves;
// 3. the virtual-time driver alone: one 10-minute sleep and 1,000 sequential sleeps, against
//    running an effect that does not sleep at all.
// Prints a table and writes bench-results/summary.json.
import { mkdirSync, writeFileSync } from "node:fs"
import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { Runtime } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import { Effect, Schema } from "effect"
import { Harness, VirtualTime } from "../src/index.js"

class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  message: Schema.String
}) {}

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Median real milliseconds per call over `rounds` rounds of `perRound` calls (after warm-up). */
const measure = async (fn: () => Promise<unknown>, rounds: number, perRound: number) => {
  for (let i = 0; i < perRound; i++) await fn()
  const samples: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    const start = performance.now()
    for (let i = 0; i < perRound; i++) await fn()
    samples.push((performance.now() - start) / perRound)
  }
  return median(samples)
}

const trivial = Workflow.make("trivial").task("noop").build()
const trivialCode = Workflow.make("trivial-code").code("one", "return 1").build()
const noop = () => ({ ok: true })

const backoffPolicy = Policy.fixed({ delay: "2 minutes", maxAttempts: 6, jitter: "none" })
const backoff = Workflow.make("backoff").task("call", { retry: backoffPolicy }).build()

// 1. harness overhead per test ---------------------------------------------------------------
const bareRun = () =>
  Effect.runPromise(
    Runtime.execute(trivial, {}, { functions: { noop } }).pipe(
      Effect.provide(Sandbox.layerQuickJsInThread)
    )
  )
const bareCodeRun = () =>
  Effect.runPromise(Runtime.execute(trivialCode).pipe(Effect.provide(Sandbox.layerQuickJsInThread)))
const harnessCodeTest = async () => {
  const harness = await Harness.create({ sandbox: "in-thread" })
  const result = await harness.execute(trivialCode)
  harness.assertWorkflowSuccess(result)
  await harness.close()
}
const harnessSharedCodeTest = async () => {
  const harness = await Harness.create({ sandbox: "shared" })
  const result = await harness.execute(trivialCode)
  harness.assertWorkflowSuccess(result)
  await harness.close()
}
const harnessTest = async () => {
  const harness = await Harness.create({ functions: { noop } })
  const result = await harness.execute(trivial)
  harness.assertWorkflowSuccess(result)
  await harness.close()
}

// 2. a test whose workflow backs off for 10 virtual minutes ----------------------------------
const backoffTest = (failures: number) => async () => {
  const harness = await Harness.create({ functions: { call: noop } })
  if (failures > 0) {
    harness.failNode("call", new ConnectionError({ message: "down" }), { times: failures })
  }
  const result = await harness.execute(backoff)
  harness.assertWorkflowSuccess(result)
  if (result.duration !== failures * 120_000)
    throw new Error(`unexpected duration ${result.duration}`)
  await harness.close()
}

// 3. the driver alone ------------------------------------------------------------------------
const noSleep = () => Effect.runPromise(Effect.sync(() => 1))
const tenMinuteSleep = () => VirtualTime.runPromise(Effect.sleep("10 minutes"))
const thousandSleeps = () =>
  VirtualTime.runPromise(
    Effect.forEach(Array.from({ length: 1000 }), () => Effect.sleep("1 second"))
  )

const main = async () => {
  const started = performance.now()
  const bare = await measure(bareRun, 5, 40)
  const perTest = await measure(harnessTest, 5, 40)
  const bareCode = await measure(bareCodeRun, 5, 20)
  const perCodeTest = await measure(harnessCodeTest, 5, 20)
  const perSharedCodeTest = await measure(harnessSharedCodeTest, 5, 20)
  const waitless = await measure(backoffTest(0), 5, 20)
  const tenMinutes = await measure(backoffTest(5), 5, 20)
  const instant = await measure(noSleep, 5, 200)
  const sleep10 = await measure(tenMinuteSleep, 5, 40)
  const sleeps1000 = await measure(thousandSleeps, 3, 2)

  const ms = (x: number) => `${x.toFixed(x < 1 ? 3 : 2)} ms`
  const rows = [
    {
      benchmark: "harness test: setup + trivial workflow (one task node) + teardown (leak check)",
      figure: ms(perTest),
      baseline: `bare Runtime.execute of the same workflow: ${ms(bare)}`,
      ratio: `${(perTest / bare).toFixed(2)}x`
    },
    {
      benchmark:
        'harness test: setup + one code node + teardown, sandbox: "in-thread" (built per test)',
      figure: ms(perCodeTest),
      baseline: `bare Runtime.execute with the in-thread sandbox layer: ${ms(bareCode)}`,
      ratio: `${(perCodeTest / bareCode).toFixed(2)}x`
    },
    {
      benchmark: 'same, default sandbox: "shared" (one in-thread sandbox per process)',
      figure: ms(perSharedCodeTest),
      baseline: `bare Runtime.execute with the in-thread sandbox layer: ${ms(bareCode)}`,
      ratio: `${(perSharedCodeTest / bareCode).toFixed(2)}x`
    },
    {
      benchmark: "harness test whose workflow backs off for 10 virtual minutes (5 retries x 2 min)",
      figure: ms(tenMinutes),
      baseline: `same test, no failures (no waiting): ${ms(waitless)}`,
      ratio: `${(tenMinutes / waitless).toFixed(2)}x`
    },
    {
      benchmark: "10 virtual minutes of backoff vs 10 real minutes",
      figure: ms(tenMinutes),
      baseline: "600000 ms (real time)",
      ratio: `${(tenMinutes / 600_000).toExponential(2)}x (${Math.round(600_000 / tenMinutes)}x faster)`
    },
    {
      benchmark: "VirtualTime.run(Effect.sleep('10 minutes'))",
      figure: ms(sleep10),
      baseline: `Effect.runPromise of an effect that does not sleep: ${ms(instant)}`,
      ratio: `${(sleep10 / instant).toFixed(1)}x`
    },
    {
      benchmark: "VirtualTime.run: 1,000 sequential 1 s sleeps (per advance)",
      figure: `${((sleeps1000 / 1000) * 1000).toFixed(1)} µs`,
      baseline: `Effect.runPromise of an effect that does not sleep: ${(instant * 1000).toFixed(1)} µs`,
      ratio: `${(sleeps1000 / 1000 / instant).toFixed(1)}x`
    }
  ]

  const width = (key: keyof (typeof rows)[number]) =>
    Math.max(key.length, ...rows.map((r) => r[key].length))
  const keys = ["benchmark", "figure", "baseline", "ratio"] as const
  const line = (cells: Record<(typeof keys)[number], string>) =>
    keys.map((k) => cells[k].padEnd(width(k))).join(" | ")
  console.log(
    line({ benchmark: "benchmark", figure: "figure", baseline: "baseline", ratio: "ratio" })
  )
  console.log(keys.map((k) => "-".repeat(width(k))).join("-|-"))
  for (const row of rows) console.log(line(row))
  console.log(
    `\n(${((performance.now() - started) / 1000).toFixed(1)} s; medians of rounds, after warm-up)`
  )

  mkdirSync(new URL("../bench-results/", import.meta.url), { recursive: true })
  writeFileSync(
    new URL("../bench-results/summary.json", import.meta.url),
    `${JSON.stringify(rows, null, 2)}\n`
  )
}

await main()
