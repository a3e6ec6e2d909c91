// Where a warm run's time goes, primitive by primitive (in-thread, warm). Run: node --import tsx bench/profile.ts
import { Worker } from "node:worker_threads"
import { Effect, ManagedRuntime } from "effect"
import { compileWasm, Engine, type Job } from "../src/internal/engine.js"
import { parseProblem } from "../src/internal/syntax.js"
import { Sandbox } from "../src/index.js"

const N = 2_000
const median = (values: Array<number>) =>
  values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN
const time = (body: () => void, n = N): number => {
  const out: Array<number> = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    body()
    out.push(performance.now() - t)
  }
  return median(out) * 1000
}
const timeAsync = async (body: () => Promise<unknown>, n = N): Promise<number> => {
  const out: Array<number> = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await body()
    out.push(performance.now() - t)
  }
  return median(out) * 1000
}
const job: Job = {
  source: "return a * 2",
  inputsJson: JSON.stringify({ a: 21 }),
  inputNames: ["a"],
  hostNames: ["sleep"],
  resources: false,
  limits: {
    timeout: 5000,
    memoryBytes: 64 * 1024 * 1024,
    outputBytes: 8 << 20,
    stackBytes: 256 << 10,
    logLines: 1000
  }
}
const rows: Array<[string, number]> = []
rows.push([
  "validation: V8 parse check of the body (Script + AsyncFunction)",
  time(() => parseProblem("return a * 2"))
])
// The engine's primitives, measured on one QuickJS instance (the private methods, via a cast).
interface EngineInternals {
  instantiate(memoryBytes: number): Promise<unknown>
  prepare(instance: unknown): {
    context: { evalCode(code: string): { value?: { dispose(): void } } }
  }
  dispose(prepared: unknown, handles: ReadonlyArray<unknown>): boolean
}
const engine = new Engine(compileWasm())
const internals = engine as unknown as EngineInternals
const instance = await internals.instantiate(job.limits.memoryBytes)
const { Session } = await import("../src/internal/engine.js")
const prepareTimes: Array<number> = []
const startTimes: Array<number> = []
const disposeTimes: Array<number> = []
for (let i = 0; i < 300; i++) {
  let t = performance.now()
  const prepared = internals.prepare(instance)
  prepareTimes.push(performance.now() - t)
  const session = new Session(engine, prepared as never, job, 0)
  t = performance.now()
  session.start()
  startTimes.push(performance.now() - t)
  t = performance.now()
  internals.dispose(prepared, [])
  disposeTimes.push(performance.now() - t)
  ;(engine as unknown as { finished: Array<unknown> }).finished = []
}
const instantiateTimes: Array<number> = []
for (let i = 0; i < 20; i++) {
  const t = performance.now()
  await internals.instantiate(job.limits.memoryBytes)
  instantiateTimes.push(performance.now() - t)
}
rows.push([
  "engine: new QuickJS instance (own WebAssembly.Memory)",
  median(instantiateTimes) * 1000
])
rows.push([
  "engine: fresh runtime + context + prelude (prepared ahead when idle)",
  median(prepareTimes) * 1000
])
rows.push(["engine: start = compile wrapper + body, run, read output", median(startTimes) * 1000])
rows.push(["engine: dispose context + runtime (when idle)", median(disposeTimes) * 1000])
// worker postMessage round trip (empty echo worker)
const worker = new Worker(
  "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m))",
  { eval: true }
)
await new Promise<void>((r) => {
  worker.once("message", () => r())
  worker.postMessage(0)
})
rows.push([
  "worker: postMessage round trip (small object)",
  await timeAsync(
    () =>
      new Promise<void>((r) => {
        worker.once("message", () => r())
        worker.postMessage({ type: "start", sid: 1, job })
      })
  )
])
await worker.terminate()
// the whole run through the Effect API
const inThread = ManagedRuntime.make(Sandbox.layerQuickJsInThread)
for (let i = 0; i < 200; i++)
  await inThread.runPromise(Sandbox.run({ source: "return a * 2", inputs: { a: 21 } }))
const gap = () => new Promise((r) => setTimeout(r, 3))
const timeGapped = async (body: () => Promise<unknown>, n: number) => {
  const out: Array<number> = []
  for (let i = 0; i < n; i++) {
    await gap()
    const t = performance.now()
    await body()
    out.push(performance.now() - t)
  }
  return median(out) * 1000
}
rows.push([
  "Sandbox.run in-thread, light load (3 ms idle between runs)",
  await timeGapped(async () => {
    await inThread.runPromise(Sandbox.run({ source: "return a * 2", inputs: { a: 21 } }))
  }, 300)
])
rows.push([
  "Sandbox.run in-thread, back to back",
  await timeAsync(
    () => inThread.runPromise(Sandbox.run({ source: "return a * 2", inputs: { a: 21 } })),
    500
  )
])
rows.push([
  "Effect.runPromise(Effect.void) on a ManagedRuntime",
  await timeAsync(() => inThread.runPromise(Effect.void), 2000)
])
await inThread.dispose()
const pool = ManagedRuntime.make(Sandbox.layerQuickJs({ workers: 2 }))
for (let i = 0; i < 200; i++)
  await pool.runPromise(Sandbox.run({ source: "return a * 2", inputs: { a: 21 } }))
rows.push([
  "Sandbox.run worker pool, light load (3 ms idle between runs)",
  await timeGapped(
    () => pool.runPromise(Sandbox.run({ source: "return a * 2", inputs: { a: 21 } })),
    300
  )
])
rows.push([
  "Sandbox.run worker pool, back to back",
  await timeAsync(
    () => pool.runPromise(Sandbox.run({ source: "return a * 2", inputs: { a: 21 } })),
    500
  )
])
await pool.dispose()
for (const [name, us] of rows) console.log(`${us.toFixed(1).padStart(8)} µs  ${name}`)
