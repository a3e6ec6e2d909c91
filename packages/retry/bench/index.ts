/**
 * Delay computations per second: @weft/retry side by side with cockatiel's ExponentialBackoff
 * and p-retry's delay formula, measured in the same run. Prints a table and writes
 * bench-results/summary.json ({ benchmark, figure, baseline, ratio }).
 *
 * Each case computes the delays of attempts 1..10 over and over (exponential 2 s ×2, capped at
 * 60 s) and sums them so the work cannot be optimised away.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import {
  ExponentialBackoff,
  fullJitterGenerator,
  type IBackoff,
  noJitterGenerator
} from "cockatiel"
import { Duration, Effect, Exit, Schedule } from "effect"
import { Policy } from "../src/index.js"

const ATTEMPTS = 10
const SAMPLE_MS = 100
const SAMPLES = 9

const plain = Policy.exponential({ base: 2000, maxAttempts: ATTEMPTS + 1, maxDelay: 60000 })
const jittered = { ...plain, jitter: "full" as const }

// p-retry 9.0.0 does not export its delay function; this is `calculateDelay` from its index.js.
const pRetryOptions = { minTimeout: 2000, factor: 2, maxTimeout: 60000, randomize: false }
const maximumDelay = 2 ** 31 - 1
const pRetryDelay = (retriesConsumed: number, options: typeof pRetryOptions): number => {
  if (options.minTimeout === 0) return 0
  const attempt = retriesConsumed + 1
  const random = options.randomize ? Math.random() + 1 : 1
  const timeout = Math.round(random * options.minTimeout * options.factor ** (attempt - 1))
  return Math.min(timeout, Math.ceil(options.maxTimeout), maximumDelay)
}

let sink = 0

/** One sample: runs `batch` (which computes `perBatch` delays) for ~SAMPLE_MS; delays/s. */
const sample = (perBatch: number, batch: () => number): number => {
  let batches = 0
  const start = performance.now()
  let elapsed = 0
  do {
    for (let i = 0; i < 64; i++) sink += batch()
    batches += 64
    elapsed = performance.now() - start
  } while (elapsed < SAMPLE_MS)
  return (batches * perBatch) / (elapsed / 1000)
}

const cockatielChain = (factory: ExponentialBackoff<unknown>) => () => {
  let backoff: IBackoff<unknown> = factory.next()
  let sum = backoff.duration
  for (let i = 1; i < ATTEMPTS; i++) {
    backoff = backoff.next(undefined)
    sum += backoff.duration
  }
  return sum
}
const cockatielPlain = new ExponentialBackoff({
  initialDelay: 2000,
  maxDelay: 60000,
  exponent: 2,
  generator: noJitterGenerator
})
const cockatielFull = new ExponentialBackoff({
  initialDelay: 2000,
  maxDelay: 60000,
  exponent: 2,
  generator: fullJitterGenerator
})

const weftDelayFor = (policy: Policy.Policy) => () => {
  let sum = 0
  for (let n = 1; n <= ATTEMPTS; n++) sum += Policy.delayFor(policy, n)
  return sum
}
const weftDelays = (policy: Policy.Policy) => () => {
  const delays = Policy.delays(policy)
  let sum = 0
  for (let i = 0; i < delays.length; i++) sum += delays[i]!
  return sum
}
const pRetry = (options: typeof pRetryOptions) => () => {
  let sum = 0
  for (let n = 0; n < ATTEMPTS; n++) sum += pRetryDelay(n, options)
  return sum
}
// One Schedule run through Effect: toStep, then ten steps (the cost of Policy.toSchedule).
const weftSchedule = (policy: Policy.Policy) => {
  const program = Effect.gen(function* () {
    const step = yield* Schedule.toStep(Policy.toSchedule(policy))
    let sum = 0
    for (let n = 0; n < ATTEMPTS; n++) {
      const exit = yield* Effect.exit(step(sum, "error"))
      if (Exit.isFailure(exit)) break
      sum += Duration.toMillis(exit.value[1])
    }
    return sum
  })
  return () => Effect.runSync(program)
}

interface Case {
  readonly name: string
  readonly perBatch: number
  readonly batch: () => number
  readonly rates: Array<number>
}
const cases: Array<Case> = []
const add = (name: string, batch: () => number): Case => {
  const c: Case = { name, perBatch: ATTEMPTS, batch, rates: [] }
  cases.push(c)
  return c
}

const weftPlainCase = add("weft Policy.delayFor, no jitter", weftDelayFor(plain))
const weftFullCase = add("weft Policy.delayFor, full jitter", weftDelayFor(jittered))
const weftSeqCase = add("weft Policy.delays (10-delay array)", weftDelays(plain))
const cockPlainCase = add("cockatiel ExponentialBackoff, no jitter", cockatielChain(cockatielPlain))
const cockFullCase = add("cockatiel ExponentialBackoff, full jitter", cockatielChain(cockatielFull))
const pPlainCase = add("p-retry delay formula, randomize: false", pRetry(pRetryOptions))
const pRandomCase = add(
  "p-retry delay formula, randomize: true",
  pRetry({ ...pRetryOptions, randomize: true })
)
const weftEffectCase = add("weft Policy.toSchedule via Schedule.toStep", weftSchedule(plain))

// Warm up every case, then take samples round-robin so load changes hit all cases alike.
for (const c of cases) for (let warm = 0; warm < 2_000; warm++) sink += c.batch()
for (let round = 0; round < SAMPLES; round++) {
  for (const c of cases) c.rates.push(sample(c.perBatch, c.batch))
}
const median = (c: Case): number => {
  const sorted = [...c.rates].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
const rows = cases.map((c) => ({ name: c.name, rate: median(c) }))
const [weftPlain, weftFull, weftSeq, cockPlain, cockFull, pPlain, pRandom, weftEffect] = [
  weftPlainCase,
  weftFullCase,
  weftSeqCase,
  cockPlainCase,
  cockFullCase,
  pPlainCase,
  pRandomCase,
  weftEffectCase
].map(median) as [number, number, number, number, number, number, number, number]

const fmt = (rate: number) =>
  rate >= 1e6 ? `${(rate / 1e6).toFixed(1)} M/s` : `${(rate / 1e3).toFixed(0)} k/s`
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`

console.log(`\nDelay computations per second (median of ${SAMPLES} × ${SAMPLE_MS} ms samples)\n`)
const width = Math.max(...rows.map((r) => r.name.length))
for (const row of rows) {
  console.log(
    `${row.name.padEnd(width)}  ${fmt(row.rate).padStart(10)}  ${(1e9 / row.rate).toFixed(1).padStart(7)} ns/delay`
  )
}

const summary = [
  {
    benchmark: "delay computations/s, exponential, no jitter (weft delayFor vs cockatiel)",
    figure: fmt(weftPlain),
    baseline: `cockatiel ExponentialBackoff ${fmt(cockPlain)}`,
    ratio: ratio(weftPlain, cockPlain)
  },
  {
    benchmark: "delay computations/s, exponential, no jitter (weft delayFor vs p-retry formula)",
    figure: fmt(weftPlain),
    baseline: `p-retry calculateDelay ${fmt(pPlain)}`,
    ratio: ratio(weftPlain, pPlain)
  },
  {
    benchmark: "delay computations/s, full jitter (weft delayFor vs cockatiel)",
    figure: fmt(weftFull),
    baseline: `cockatiel fullJitterGenerator ${fmt(cockFull)}`,
    ratio: ratio(weftFull, cockFull)
  },
  {
    benchmark: "delay computations/s, randomized (weft full jitter vs p-retry randomize)",
    figure: fmt(weftFull),
    baseline: `p-retry calculateDelay randomize ${fmt(pRandom)}`,
    ratio: ratio(weftFull, pRandom)
  },
  {
    benchmark: "delay computations/s, whole sequence (weft Policy.delays vs cockatiel chain)",
    figure: fmt(weftSeq),
    baseline: `cockatiel ExponentialBackoff ${fmt(cockPlain)}`,
    ratio: ratio(weftSeq, cockPlain)
  },
  {
    benchmark: "delay computations/s through Effect (Policy.toSchedule + Schedule.toStep)",
    figure: fmt(weftEffect),
    baseline: `weft Policy.delays ${fmt(weftSeq)}`,
    ratio: ratio(weftEffect, weftSeq)
  },
  {
    benchmark: "delay computations/s vs target 10,000,000/s (reference system asked 100,000/s)",
    figure: fmt(weftPlain),
    baseline: "target 10.0 M/s",
    ratio: ratio(weftPlain, 10_000_000)
  }
]

console.log("\nRatios (same run)\n")
for (const s of summary)
  console.log(`${s.ratio.padStart(8)}  ${s.benchmark}  [${s.figure} vs ${s.baseline}]`)

const dir = new URL("../bench-results/", import.meta.url)
mkdirSync(dir, { recursive: true })
writeFileSync(new URL("summary.json", dir), `${JSON.stringify(summary, null, 2)}\n`)
console.log(`\nwrote bench-results/summary.json (checksum ${sink % 997})`)
