// Sandbox benchmarks (issue 13's rows): warm runs, host-call round trips, cold starts,
// throughput, fairness under attack, overrun stop time and memory after close — each beside
// plain node:vm measured in the same run (NOT a security boundary; an unsafe baseline only).
// Run: pnpm bench (node --expose-gc). Prints a table and writes bench-results/summary.json.
import { mkdirSync, writeFileSync } from "node:fs"
import { createContext, runInContext, Script } from "node:vm"
import { Effect, Fiber, ManagedRuntime } from "effect"
import { Sandbox } from "../src/index.js"

interface Row {
  readonly benchmark: string
  readonly figure: string
  readonly baseline: string
  readonly ratio: string
  readonly target?: string
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}
const ms = (value: number): string =>
  value >= 1 ? `${value.toFixed(2)} ms` : `${(value * 1000).toFixed(1)} µs`
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`
const pause = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis))
const timeAsync = async (body: () => Promise<unknown>): Promise<number> => {
  const started = performance.now()
  await body()
  return performance.now() - started
}
const gc = (): void => (globalThis as { readonly gc?: () => void }).gc?.()

const SMALL = { source: "return a * 2", inputs: { a: 21 } } satisfies Sandbox.RunRequest
const HOST_CALLS = 200
const HOST_SOURCE = `let total = 0\nfor (let i = 0; i < ${HOST_CALLS}; i++) total += await echo(i)\nreturn total`
const CPU_SOURCE = `let count = 0
for (let n = 2; n < 60000; n++) {
  let prime = true
  for (let d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break }
  if (prime) count++
}
return count`
const LIGHT_RUNS = 200
const LIGHT_GAP_MS = 3 // idle time between light-load runs (contexts are prepared ahead meanwhile)

// --- node:vm baseline (unsafe): a fresh context per run, like the sandbox's fresh scope ---
const vmFigures = async () => {
  const fresh: Array<number> = []
  for (let i = 0; i < 200; i++) {
    fresh.push(
      await timeAsync(async () => {
        const context = createContext({ a: 21 })
        await runInContext("(async () => { return a * 2 })()", context)
      })
    )
  }
  const context = createContext({ echo: async (value: number) => value })
  const hostScript = new Script(`(async () => { ${HOST_SOURCE} })()`)
  const warmScript = new Script("(async () => { return 1 })()")
  const warm: Array<number> = []
  for (let i = 0; i < 200; i++)
    warm.push(await timeAsync(async () => warmScript.runInContext(context)))
  const calls: Array<number> = []
  for (let i = 0; i < 5; i++)
    calls.push(await timeAsync(async () => hostScript.runInContext(context)))
  const cpuScript = new Script(`(() => { ${CPU_SOURCE} })()`)
  const cpu = median(
    Array.from({ length: 3 }, () => {
      const started = performance.now()
      cpuScript.runInContext(context)
      return performance.now() - started
    })
  )
  return {
    fresh: median(fresh),
    hostCall: Math.max(median(calls) - median(warm), 0) / HOST_CALLS,
    cpu
  }
}

type Layer = ReturnType<typeof Sandbox.layerQuickJs>

const lightLoad = async (runtime: ManagedRuntime.ManagedRuntime<Sandbox.Sandbox, never>) => {
  const times: Array<number> = []
  for (let i = 0; i < LIGHT_RUNS; i++) {
    await pause(LIGHT_GAP_MS)
    times.push(await timeAsync(() => runtime.runPromise(Sandbox.run(SMALL))))
  }
  return median(times)
}

/** Latency of each run while 8 callers run back to back, and the throughput they reach. */
const sustained = async (runtime: ManagedRuntime.ManagedRuntime<Sandbox.Sandbox, never>) => {
  const latencies: Array<number> = []
  const total = 1_600
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < total) {
        next++
        latencies.push(await timeAsync(() => runtime.runPromise(Sandbox.run(SMALL))))
      }
    })
  )
  const elapsed = performance.now() - started
  return {
    latency: median(latencies),
    perRun: elapsed / total,
    throughput: total / (elapsed / 1000)
  }
}

const driverFigures = async (name: string, makeLayer: () => Layer) => {
  const echo: Sandbox.HostFunction = (value) => Effect.succeed(value ?? null)
  // Cold: a new layer and its first run (the pool: its start-up, then a run once it is ready).
  const cold: Array<number> = []
  const readyFirst: Array<number> = []
  for (let i = 0; i < 5; i++) {
    // The previous layer's QuickJS memories are collected first (allocating a new
    // WebAssembly.Memory while many await collection makes V8 run a full GC: +40 ms here).
    gc()
    await pause(300)
    const runtime = ManagedRuntime.make(makeLayer())
    cold.push(await timeAsync(() => runtime.runPromise(Sandbox.run(SMALL))))
    await runtime.dispose()
    const ready = ManagedRuntime.make(makeLayer())
    await ready.runPromise(Effect.void) // build the layer (workers start in the background)
    await pause(1_500)
    readyFirst.push(await timeAsync(() => ready.runPromise(Sandbox.run(SMALL))))
    await ready.dispose()
  }
  const runtime = ManagedRuntime.make(makeLayer())
  for (let i = 0; i < 50; i++) await runtime.runPromise(Sandbox.run(SMALL))
  const light = await lightLoad(runtime)
  const load = await sustained(runtime)
  const plain: Array<number> = []
  const withCalls: Array<number> = []
  for (let i = 0; i < 5; i++) {
    plain.push(await timeAsync(() => runtime.runPromise(Sandbox.run({ source: "return 1" }))))
    withCalls.push(
      await timeAsync(() =>
        runtime.runPromise(Sandbox.run({ source: HOST_SOURCE, host: { echo } }))
      )
    )
  }
  const cpu: Array<number> = []
  for (let i = 0; i < 3; i++)
    cpu.push(
      await timeAsync(() =>
        runtime.runPromise(Sandbox.run({ source: CPU_SOURCE, limits: { timeout: 30_000 } }))
      )
    )
  await runtime.dispose()
  return {
    name,
    cold: median(cold),
    readyFirst: median(readyFirst),
    light,
    loaded: load.perRun,
    loadedLatency: load.latency,
    throughput: load.throughput,
    hostCall: Math.max(median(withCalls) - median(plain), 0) / HOST_CALLS,
    cpu: median(cpu)
  }
}

/** 2 workers, 20 malicious runs (infinite loops, 1 GB allocations) and 8 normal runs. */
const underAttack = async () => {
  const runtime = ManagedRuntime.make(Sandbox.layerQuickJs({ workers: 2 }))
  await runtime.runPromise(Sandbox.run(SMALL))
  const limit = 1_000
  const normalSource = "const end = Date.now() + 20; while (Date.now() < end) {}; return a * 2" // ~20 ms of work
  const alone = median(
    await Promise.all(
      Array.from({ length: 3 }, () =>
        timeAsync(() => runtime.runPromise(Sandbox.run({ source: normalSource, inputs: { a: 1 } })))
      )
    )
  )
  const attack = Effect.forEach(
    Array.from({ length: 20 }, (_, i) => i),
    (i) =>
      Effect.exit(
        Sandbox.run({
          // an endless loop, or a 1 GB allocation (against the default 64 MiB memory limit)
          source:
            i % 2 === 0 ? "for (;;) {}" : "const a = new Array(1.25e8).fill(1.5); return a.length",
          limits: { timeout: limit },
          fairnessKey: "attacker"
        })
      ),
    { concurrency: "unbounded" }
  )
  const attacker = runtime.runFork(attack)
  await pause(50) // the attack is queued first
  const normal = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      timeAsync(() =>
        runtime.runPromise(
          Sandbox.run({ source: normalSource, inputs: { a: i }, fairnessKey: `normal-${i}` })
        )
      )
    )
  )
  await runtime.runPromise(Fiber.join(attacker))
  await runtime.dispose()
  // A normal run may also wait for the other 7 normal runs sharing the 2 workers.
  return { alone, worst: Math.max(...normal), limit, others: (7 * alone) / 2 }
}

/** A native-heavy loop that ignores QuickJS's interrupt check: when is it stopped? */
const overrun = async () => {
  const runtime = ManagedRuntime.make(Sandbox.layerQuickJs({ workers: 1 }))
  await runtime.runPromise(Sandbox.run(SMALL))
  const limit = 1_000
  const times: Array<number> = []
  for (let i = 0; i < 3; i++) {
    let startedAt = 0
    await runtime.runPromise(
      Effect.exit(
        Sandbox.run({
          source:
            "const big = JSON.stringify(Array.from({ length: 2e5 }, (_, i) => i)); for (;;) JSON.parse(big)",
          limits: { timeout: limit },
          // from the moment it runs: the replacement worker's start-up is not the guest's time
          onStart: () => Effect.sync(() => void (startedAt = performance.now()))
        })
      )
    )
    times.push(performance.now() - startedAt)
  }
  await runtime.dispose()
  return { limit, stopped: Math.max(...times) }
}

/** RSS and heap before, after 10,000 runs, and after close (worker pool); then a second pool. */
const soak = async () => {
  const settle = async () => {
    for (let i = 0; i < 10; i++) {
      gc()
      await pause(200)
    }
    return process.memoryUsage()
  }
  const onePool = async () => {
    const runtime = ManagedRuntime.make(Sandbox.layerQuickJs({ workers: 2 }))
    await runtime.runPromise(
      Effect.forEach(
        Array.from({ length: 10_000 }, (_, i) => i),
        (i) => Sandbox.run({ source: "return a * 2", inputs: { a: i } }),
        { concurrency: 8, discard: true }
      )
    )
    const during = process.memoryUsage()
    await runtime.dispose()
    return during
  }
  const before = await settle()
  const during = await onePool()
  const after = await settle()
  await onePool()
  const second = await settle()
  return { before, during, after, second }
}

const main = async () => {
  const started = performance.now()
  const memory = await soak() // first: "before" is this process before any sandbox ran
  const vm = await vmFigures()
  const inThread = await driverFigures("in-thread", () => Sandbox.layerQuickJsInThread)
  const workers = await driverFigures("worker pool", () => Sandbox.layerQuickJs({ workers: 2 }))
  const attack = await underAttack()
  const stop = await overrun()
  const vmFresh = `node:vm new context + run ${ms(vm.fresh)}`
  const ratio = (figure: number, baseline: number) => `${(figure / baseline).toFixed(2)}x`
  const rows: Array<Row> = [
    {
      benchmark: "warm run `return a * 2`, worker pool, light load (contexts prepared ahead)",
      figure: ms(workers.light),
      baseline: vmFresh,
      ratio: ratio(workers.light, vm.fresh),
      target: "≤ 0.3x (≤ 100 µs)"
    },
    {
      benchmark:
        "same under sustained load (8 callers, 2 workers), wall time per run (1 / throughput)",
      figure: `${ms(workers.loaded)} (each caller waits ${ms(workers.loadedLatency)})`,
      baseline: vmFresh,
      ratio: ratio(workers.loaded, vm.fresh),
      target: "≤ 250 µs"
    },
    {
      benchmark: "warm run `return a * 2`, in-thread, light load",
      figure: ms(inThread.light),
      baseline: vmFresh,
      ratio: ratio(inThread.light, vm.fresh),
      target: "≤ 50 µs"
    },
    {
      benchmark: "host-call round trip (worker pool)",
      figure: ms(workers.hostCall),
      baseline: `node:vm async call ${ms(vm.hostCall)}`,
      ratio: ratio(workers.hostCall, Math.max(vm.hostCall, 0.0001)),
      target: "≤ 40 µs"
    },
    {
      benchmark: "host-call round trip (in-thread)",
      figure: ms(inThread.hostCall),
      baseline: `node:vm async call ${ms(vm.hostCall)}`,
      ratio: ratio(inThread.hostCall, Math.max(vm.hostCall, 0.0001)),
      target: "≤ 15 µs"
    },
    {
      benchmark: "first run once the pool is ready (worker pool)",
      figure: ms(workers.readyFirst),
      baseline: vmFresh,
      ratio: ratio(workers.readyFirst, vm.fresh),
      target: "≤ 5 ms"
    },
    {
      benchmark: "pool start-up + first run (new layer, worker pool)",
      figure: ms(workers.cold),
      baseline: vmFresh,
      ratio: ratio(workers.cold, vm.fresh),
      target: "reported separately"
    },
    {
      benchmark: "cold start: new layer + first run (in-thread)",
      figure: ms(inThread.cold),
      baseline: vmFresh,
      ratio: ratio(inThread.cold, vm.fresh),
      target: "≤ 5 ms"
    },
    {
      benchmark: "throughput, trivial code nodes, 8 callers, 2 workers",
      figure: `${workers.throughput.toFixed(0)} runs/s`,
      baseline: `node:vm new context + run ${(1000 / vm.fresh).toFixed(0)} runs/s (1 core)`,
      ratio: ratio(1000 / vm.fresh, workers.throughput),
      target: "≥ 5k runs/s"
    },
    {
      benchmark: "throughput, trivial code nodes, 8 callers, in-thread",
      figure: `${inThread.throughput.toFixed(0)} runs/s`,
      baseline: `node:vm new context + run ${(1000 / vm.fresh).toFixed(0)} runs/s (1 core)`,
      ratio: ratio(1000 / vm.fresh, inThread.throughput),
      target: "-"
    },
    {
      benchmark:
        "under attack: slowest of 8 normal runs beside 20 loops / 1 GB allocations (2 workers, 1 s limit)",
      figure: ms(attack.worst),
      baseline: `alone ${ms(attack.alone)} + one limit ${attack.limit} ms + the other normal runs' share ${ms(attack.others)}`,
      ratio: ratio(attack.worst, attack.alone + attack.limit + attack.others),
      target: "≤ 1.00x"
    },
    {
      benchmark:
        "native-heavy loop (for(;;) JSON.parse(big)) stopped after, 1 s limit (worker pool)",
      figure: ms(stop.stopped),
      baseline: `limit + 250 ms = ${stop.limit + 250} ms`,
      ratio: ratio(stop.stopped, stop.limit + 250),
      target: "≤ 1.00x"
    },
    {
      benchmark: "soak: RSS after 10,000 runs + close (worker pool)",
      figure: `${mb(memory.after.rss)} (during ${mb(memory.during.rss)})`,
      baseline: `before ${mb(memory.before.rss)}; heap ${mb(memory.before.heapUsed)} → ${mb(memory.after.heapUsed)}`,
      ratio: `+${mb(memory.after.rss - memory.before.rss)}`,
      target: "≤ +20 MB"
    },
    {
      benchmark: "soak: RSS after a second pool's 10,000 runs + close (steady state)",
      figure: mb(memory.second.rss),
      baseline: `after the first pool ${mb(memory.after.rss)}`,
      ratio: `+${mb(memory.second.rss - memory.after.rss)}`,
      target: "≤ +20 MB"
    },
    {
      benchmark: "CPU-heavy (primes < 60k), worker pool",
      figure: ms(workers.cpu),
      baseline: `node:vm ${ms(vm.cpu)}`,
      ratio: ratio(workers.cpu, vm.cpu),
      target: "-"
    },
    {
      benchmark: "CPU-heavy (primes < 60k), in-thread",
      figure: ms(inThread.cpu),
      baseline: `node:vm ${ms(vm.cpu)}`,
      ratio: ratio(inThread.cpu, vm.cpu),
      target: "-"
    }
  ]
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
