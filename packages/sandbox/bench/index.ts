// Sandbox benchmarks: cold start, warm run, host-call round trip and CPU-heavy slowdown for each
// driver, side by side with plain node:vm (NOT a security boundary; an unsafe baseline only).
// Run: pnpm bench. Prints a table and writes bench-results/summary.json.
import { mkdirSync, writeFileSync } from "node:fs"
import { createContext, runInContext, Script } from "node:vm"
import { Effect, ManagedRuntime } from "effect"
import { Sandbox } from "../src/index.js"

interface Row {
  readonly benchmark: string
  readonly figure: string
  readonly baseline: string
  readonly ratio: string
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}
const ms = (value: number): string =>
  value >= 1 ? `${value.toFixed(2)} ms` : `${(value * 1000).toFixed(1)} µs`
const timeAsync = async (body: () => Promise<unknown>): Promise<number> => {
  const started = performance.now()
  await body()
  return performance.now() - started
}

const CPU_SOURCE = `let count = 0
for (let n = 2; n < 60000; n++) {
  let prime = true
  for (let d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break }
  if (prime) count++
}
return count`
const HOST_CALLS = 200
const HOST_SOURCE = `let total = 0\nfor (let i = 0; i < ${HOST_CALLS}; i++) total += await echo(i)\nreturn total`
const WARM_RUNS = 200

// --- node:vm baseline (unsafe) ---
const vmFigures = async () => {
  const coldRuns: Array<number> = []
  for (let i = 0; i < 20; i++) {
    coldRuns.push(
      await timeAsync(async () => {
        const fresh = createContext({})
        await runInContext("(async () => { return 1 })()", fresh)
      })
    )
  }
  const cold = median(coldRuns)
  const context = createContext({ echo: async (value: number) => value })
  const warmScript = new Script("(async () => { return 1 })()")
  const warm: Array<number> = []
  for (let i = 0; i < WARM_RUNS; i++)
    warm.push(await timeAsync(async () => warmScript.runInContext(context)))
  const hostScript = new Script(`(async () => { ${HOST_SOURCE} })()`)
  const calls: Array<number> = []
  for (let i = 0; i < 5; i++)
    calls.push(await timeAsync(async () => hostScript.runInContext(context)))
  const withCalls = median(calls)
  const cpuScript = new Script(`(() => { ${CPU_SOURCE} })()`)
  const cpu = median(
    Array.from({ length: 3 }, () => {
      const cpuStarted = performance.now()
      cpuScript.runInContext(context)
      return performance.now() - cpuStarted
    })
  )
  return {
    cold,
    warm: median(warm),
    hostCall: Math.max(withCalls - median(warm), 0) / HOST_CALLS,
    cpu
  }
}

// --- sandbox drivers ---
const driverFigures = async (
  name: string,
  makeLayer: () => ReturnType<typeof Sandbox.layerQuickJs>
) => {
  const echo: Sandbox.HostFunction = (value) => Effect.succeed(value ?? null)
  // Cold: a fresh layer (worker spawn / wasm instance) and its first run.
  const cold: Array<number> = []
  for (let i = 0; i < 5; i++) {
    const runtime = ManagedRuntime.make(makeLayer())
    cold.push(await timeAsync(() => runtime.runPromise(Sandbox.run({ source: "return 1" }))))
    await runtime.dispose()
  }
  const runtime = ManagedRuntime.make(makeLayer())
  const run = (request: Sandbox.RunRequest) => runtime.runPromise(Sandbox.run(request))
  for (let i = 0; i < 20; i++) await run({ source: "return 1" })
  const warm: Array<number> = []
  for (let i = 0; i < WARM_RUNS; i++) warm.push(await timeAsync(() => run({ source: "return 1" })))
  // The same run on a fresh QuickJS instance each time (a new memory size defeats reuse).
  const fresh: Array<number> = []
  for (let i = 1; i <= 20; i++) {
    const limits = { memoryBytes: 64 * 1024 * 1024 + i * 65_536 }
    fresh.push(await timeAsync(() => run({ source: "return 1", limits })))
  }
  const withCalls: Array<number> = []
  for (let i = 0; i < 5; i++)
    withCalls.push(await timeAsync(() => run({ source: HOST_SOURCE, host: { echo } })))
  const cpu: Array<number> = []
  for (let i = 0; i < 3; i++)
    cpu.push(await timeAsync(() => run({ source: CPU_SOURCE, limits: { timeout: 30_000 } })))
  // Throughput with concurrent callers (the pool's reuse at work), after a concurrent warm-up.
  const burst = Effect.forEach(
    Array.from({ length: 16 }),
    () => Sandbox.run({ source: "return 1" }),
    {
      concurrency: 8
    }
  )
  await runtime.runPromise(burst)
  const parallel = await timeAsync(() =>
    runtime.runPromise(
      Effect.forEach(Array.from({ length: 100 }), () => Sandbox.run({ source: "return 1" }), {
        concurrency: 8
      })
    )
  )
  await runtime.dispose()
  return {
    name,
    cold: median(cold),
    warm: median(warm),
    fresh: median(fresh),
    hostCall: Math.max(median(withCalls) - median(warm), 0) / HOST_CALLS,
    cpu: median(cpu),
    throughput: 100 / (parallel / 1000)
  }
}

const main = async () => {
  const started = performance.now()
  const vm = await vmFigures()
  const drivers = [
    await driverFigures("in-thread", () => Sandbox.layerQuickJsInThread),
    await driverFigures("worker pool", () => Sandbox.layerQuickJs({ workers: 2 }))
  ]
  const rows: Array<Row> = []
  const ratio = (figure: number, baseline: number) => `${(figure / baseline).toFixed(1)}x`
  for (const driver of drivers) {
    rows.push(
      {
        benchmark: `cold start (${driver.name})`,
        figure: ms(driver.cold),
        baseline: `node:vm new context ${ms(vm.cold)}`,
        ratio: ratio(driver.cold, vm.cold)
      },
      {
        benchmark: `warm run (${driver.name})`,
        figure: ms(driver.warm),
        baseline: `node:vm reused context ${ms(vm.warm)}`,
        ratio: ratio(driver.warm, vm.warm)
      },
      {
        benchmark: `run on a fresh QuickJS instance, no reuse (${driver.name})`,
        figure: ms(driver.fresh),
        baseline: `warm run with instance reuse ${ms(driver.warm)}`,
        ratio: ratio(driver.fresh, driver.warm)
      },
      {
        benchmark: `host-call round trip (${driver.name})`,
        figure: ms(driver.hostCall),
        baseline: `node:vm async call ${ms(vm.hostCall)}`,
        ratio: ratio(driver.hostCall, Math.max(vm.hostCall, 0.0001))
      },
      {
        benchmark: `CPU-heavy (primes < 60k) (${driver.name})`,
        figure: ms(driver.cpu),
        baseline: `node:vm ${ms(vm.cpu)}`,
        ratio: ratio(driver.cpu, vm.cpu)
      },
      {
        benchmark: `throughput, 8 concurrent callers (${driver.name})`,
        figure: `${driver.throughput.toFixed(0)} runs/s`,
        baseline: `node:vm reused context ${(1000 / vm.warm).toFixed(0)} runs/s`,
        ratio: ratio(1000 / vm.warm, driver.throughput)
      }
    )
  }
  const [inThread, workers] = drivers
  if (inThread !== undefined && workers !== undefined) {
    rows.push({
      benchmark: "warm run: worker pool vs in-thread",
      figure: ms(workers.warm),
      baseline: `in-thread ${ms(inThread.warm)}`,
      ratio: ratio(workers.warm, inThread.warm)
    })
  }
  console.table(rows)
  console.log(
    `(node:vm is an unsafe baseline, not a security boundary) — bench took ${((performance.now() - started) / 1000).toFixed(1)} s`
  )
  mkdirSync(new URL("../bench-results/", import.meta.url), { recursive: true })
  writeFileSync(
    new URL("../bench-results/summary.json", import.meta.url),
    `${JSON.stringify(rows, null, 2)}\n`
  )
}

await main()
