// A separate process contending for a lock (used by the Redis and PostgreSQL suites).
// argv: backend (redis|postgres) url key iterations holdMillis leaseMillis [schema]
// Prints one JSON line per held interval: {"start":ms,"end":ms}; "locked" lines when asked to
// hold forever (iterations = 0), so the parent can kill it while it holds the lock.
import { Effect } from "effect"
import { Redis } from "ioredis"
import pg from "pg"
import { Lock } from "../src/index.js"
import { lockBackend as pgLocks } from "../src/postgres.js"
import { lockBackend as redisLocks } from "../src/redis.js"

const [backendName, url, key, iterationsText, holdText, leaseText] = process.argv.slice(2)
const iterations = Number(iterationsText)
const hold = Number(holdText)
const lease = Number(leaseText)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const main = async () => {
  const redis = backendName === "redis" ? new Redis(url!) : undefined
  const pool =
    backendName === "postgres" ? new pg.Pool({ connectionString: url!, max: 2 }) : undefined
  const backend = redis !== undefined ? redisLocks(redis, { prefix: "weft-test:" }) : pgLocks(pool!)
  try {
    if (iterations === 0) {
      await Effect.runPromise(
        Lock.withLock(
          backend,
          key!,
          Effect.promise(async () => {
            process.stdout.write("locked\n")
            await new Promise(() => {})
          }),
          { leaseMillis: lease, waitMillis: 10_000, retryMillis: 20 }
        )
      )
    }
    for (let i = 0; i < iterations; i++) {
      await Lock.run(
        backend,
        key!,
        async () => {
          const start = Date.now()
          await sleep(hold)
          process.stdout.write(`${JSON.stringify({ start, end: Date.now() })}\n`)
        },
        { leaseMillis: lease, waitMillis: 60_000, retryMillis: 5 }
      )
    }
  } finally {
    await redis?.quit()
    await pool?.end()
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`)
  process.exit(1)
})
