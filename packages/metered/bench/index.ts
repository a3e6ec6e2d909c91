// @weft/metered overheads, each as a ratio to a baseline measured in the same run:
// - a cache hit (memory store) against a plain call of the same client;
// - a lock acquire + release round trip on Redis against one Redis PING round trip;
// - a lock acquire + release round trip on PostgreSQL against one `SELECT 1` round trip.
// Prints a table and writes bench-results/summary.json. Run with `pnpm bench`.
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { Redis } from "ioredis"
import pg from "pg"
import { Cache, Lock } from "../src/index.js"
import { lockBackend as pgLocks } from "../src/postgres.js"
import { lockBackend as redisLocks } from "../src/redis.js"

interface Row {
  readonly benchmark: string
  readonly figure: string
  readonly baseline: string
  readonly ratio: string
}
const rows: Array<Row> = []

const median = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Median over `rounds` of the mean time per call of `body` over `calls` calls, in µs. */
const perCall = async (calls: number, rounds: number, body: (i: number) => unknown) => {
  const samples: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    const start = performance.now()
    for (let i = 0; i < calls; i++) await body(i)
    samples.push(((performance.now() - start) * 1000) / calls)
  }
  return median(samples)
}

const us = (x: number) => `${x.toFixed(2)} µs/call`

// ---- cache hit vs plain call ----------------------------------------------------------------
const reply = { id: "cmpl-1", text: "a short summary", usage: { input: 120, output: 30 } }
const client = {
  complete: async (request: { readonly model: string; readonly prompt: string }) =>
    request.prompt.length >= 0 ? reply : { ...reply, text: request.model }
}
const cache = Effect.runSync(Cache.make({ store: Cache.memoryStore() }))
const cached = cache.wrap(client, { name: "llm", methods: ["complete"], ttl: "1 hour" })
const request = {
  model: "gpt-4o-mini",
  prompt: "Summarise the quarterly report in three sentences."
}
for (let i = 0; i < 20_000; i++) {
  await client.complete(request)
  await cached.complete(request)
}
const plain = await perCall(20_000, 9, () => client.complete(request))
const hit = await perCall(20_000, 9, () => cached.complete(request))
rows.push({
  benchmark: "cache hit (memory store) vs plain call",
  figure: us(hit),
  baseline: us(plain),
  ratio: `${(hit / plain).toFixed(1)}x`
})

// ---- lock round trips ----------------------------------------------------------------------
const redisUrl = process.env.WEFT_TEST_REDIS_URL ?? "redis://127.0.0.1:6379"
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
try {
  await redis.ping()
  const backend = redisLocks(redis, { prefix: "weft-bench:" })
  const lockOnce = (i: number) =>
    Effect.runPromise(Lock.withLock(backend, `bench:${i % 16}`, Effect.void, { waitMillis: 1000 }))
  for (let i = 0; i < 500; i++) {
    await redis.ping()
    await lockOnce(i)
  }
  const ping = await perCall(1_000, 7, () => redis.ping())
  const lock = await perCall(1_000, 7, lockOnce)
  rows.push({
    benchmark: "Redis lock acquire+release vs PING",
    figure: us(lock),
    baseline: us(ping),
    ratio: `${(lock / ping).toFixed(1)}x`
  })
} catch (error) {
  console.log(`(no Redis at ${redisUrl}: ${String(error)}; Redis lock not measured)`)
} finally {
  redis.disconnect()
}

const pgUrl = process.env.WEFT_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const pool = new pg.Pool({ connectionString: pgUrl, max: 2 })
try {
  await pool.query("SELECT 1")
  const backend = pgLocks(pool)
  const lockOnce = (i: number) =>
    Effect.runPromise(Lock.withLock(backend, `bench:${i % 16}`, Effect.void, { waitMillis: 1000 }))
  for (let i = 0; i < 300; i++) {
    await pool.query("SELECT 1")
    await lockOnce(i)
  }
  const select = await perCall(500, 7, () => pool.query("SELECT 1"))
  const lock = await perCall(500, 7, lockOnce)
  rows.push({
    benchmark: "PostgreSQL advisory lock acquire+release vs SELECT 1",
    figure: us(lock),
    baseline: us(select),
    ratio: `${(lock / select).toFixed(1)}x`
  })
} catch (error) {
  console.log(`(no PostgreSQL at ${pgUrl}: ${String(error)}; PostgreSQL lock not measured)`)
} finally {
  await pool.end()
}

// ---- output -------------------------------------------------------------------------------
const cols = ["benchmark", "figure", "baseline", "ratio"] as const
const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)))
const line = (vals: ReadonlyArray<string>) => vals.map((v, i) => v.padEnd(width[i]!)).join("  ")
console.log(line(cols))
console.log(line(width.map((w) => "-".repeat(w))))
for (const r of rows) console.log(line(cols.map((c) => r[c])))
const out = path.join(import.meta.dirname, "..", "bench-results")
fs.mkdirSync(out, { recursive: true })
fs.writeFileSync(path.join(out, "summary.json"), `${JSON.stringify(rows, null, 2)}\n`)
console.log(`\nwrote ${path.relative(process.cwd(), path.join(out, "summary.json"))}`)
