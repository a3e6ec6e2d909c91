/**
 * Redis backends (`@weft/metered/redis`, optional peer dependencies `ioredis` and
 * `@sesamecare-oss/redlock`): a budget store (atomic Lua scripts), a cache store and a lock
 * backend. You create and close the `ioredis` client; these only use it.
 *
 * Locks use `@sesamecare-oss/redlock`, the maintained fork of `redlock` (whose last stable
 * release is from 2022 and whose v5 never left beta): `SET NX PX` with a random token,
 * token-checked release and extension (Lua), and the Redlock quorum when given several
 * independent Redis servers. Leases are renewed by `Lock.acquire` while the holder runs.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import {
  ExecutionError,
  type Lock as RedlockLock,
  Redlock,
  ResourceLockedError
} from "@sesamecare-oss/redlock"
import { Effect } from "effect"
import type { Redis } from "ioredis"
import type { BudgetStore } from "./Budget.js"
import type { CacheStore } from "./Cache.js"
import { type Backend, type Handle, releaseIfAbandoned } from "./Lock.js"
import { BackendFailed } from "./MeteredError.js"

const failed = (operation: string) => (error: unknown) =>
  new BackendFailed({
    backend: "redis",
    operation,
    message: `redis ${operation} failed: ${error instanceof Error ? error.message : String(error)}`
  })

// Amounts never pass through Lua's number-to-text conversion (it prints large integers in exponent
// form and zero as "-0"): they travel as decimal strings or as Redis integer replies.
const negate = `local function negate(text) if text == '0' then return '0' end return '-' .. text end`

// KEYS: bucket hash (spent, reserved), reservation amounts (hash), reservation deadlines (zset)
// ARGV: amount, limit, id, retainMillis, now, holdMillis
const reserveScript = `
${negate}
local abandoned = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[5])
for _, id in ipairs(abandoned) do
  local held = redis.call('HGET', KEYS[2], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  if held then redis.call('HINCRBY', KEYS[1], 'reserved', negate(held)) end
end
local spent = redis.call('HGET', KEYS[1], 'spent') or '0'
local reserved = redis.call('HGET', KEYS[1], 'reserved') or '0'
local limit = tonumber(ARGV[2])
if tonumber(spent) > limit or tonumber(spent) + tonumber(reserved) + tonumber(ARGV[1]) > limit then
  return {'0', spent, reserved}
end
reserved = redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[3], tonumber(ARGV[5]) + tonumber(ARGV[6]), ARGV[3])
if tonumber(ARGV[4]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
end
return {'1', spent, reserved}
`

// KEYS as above; ARGV: id, actual, retainMillis
const settleScript = `
${negate}
local held = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if held then redis.call('HINCRBY', KEYS[1], 'reserved', negate(held)) end
local spent = redis.call('HINCRBY', KEYS[1], 'spent', ARGV[2])
local reserved = redis.call('HGET', KEYS[1], 'reserved') or '0'
if tonumber(ARGV[3]) > 0 and redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return {spent, reserved}
`

/**
 * Options of the Redis backends.
 *
 * @example
 * ```ts
 * import type * as Redis from "@weft/metered/redis"
 * const options: Redis.Options = { prefix: "myapp:weft:" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Key prefix (default `weft:`). */
  readonly prefix?: string
}

/**
 * A budget store: reservation and settlement are single Lua scripts, so they are atomic across
 * every process using the server. Buckets expire after their period (plus a margin).
 *
 * @example
 * ```ts
 * import { Meter, PriceTable } from "@weft/metered"
 * import { budgetStore } from "@weft/metered/redis"
 * import { Redis } from "ioredis"
 * const redis = new Redis("redis://127.0.0.1:6379")
 * const meter = Meter.makeUnsafe({
 *   prices: PriceTable.example,
 *   budgets: [{ name: "customer-daily", limit: 2, scope: { key: "customer", period: "day" } }],
 *   store: budgetStore(redis)
 * })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const budgetStore = (redis: Redis, options: Options = {}): BudgetStore => {
  const prefix = `${options.prefix ?? "weft:"}budget:`
  const keys = (bucket: string) =>
    [
      `${prefix}${bucket}`,
      `${prefix}${bucket}:reservations`,
      `${prefix}${bucket}:deadlines`
    ] as const
  return {
    reserve: ({ bucket, amount, limit, retainMillis, now, holdMillis }) =>
      Effect.tryPromise({
        try: async () => {
          const id = randomUUID()
          const [a, b, c] = keys(bucket)
          const [ok, spent, reserved] = (await redis.eval(
            reserveScript,
            3,
            a,
            b,
            c,
            amount,
            limit,
            id,
            retainMillis,
            now,
            holdMillis
          )) as [string, string | number, string | number]
          return ok === "1"
            ? ({ _tag: "Reserved", reservation: { bucket, id, amount } } as const)
            : ({ _tag: "Refused", spent: Number(spent), reserved: Number(reserved) } as const)
        },
        catch: failed("budget.reserve")
      }),
    settle: (reservation, actual, retainMillis) =>
      Effect.tryPromise({
        try: async () => {
          const [a, b, c] = keys(reservation.bucket)
          const [spent, reserved] = (await redis.eval(
            settleScript,
            3,
            a,
            b,
            c,
            reservation.id,
            actual,
            retainMillis
          )) as [string | number, string | number]
          return { spent: Number(spent), reserved: Number(reserved) }
        },
        catch: failed("budget.settle")
      }),
    state: (bucket) =>
      Effect.tryPromise({
        try: async () => {
          const [spent, reserved] = await redis.hmget(keys(bucket)[0], "spent", "reserved")
          return { spent: Number(spent ?? 0), reserved: Number(reserved ?? 0) }
        },
        catch: failed("budget.state")
      })
  }
}

const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`)

/**
 * A cache store (`SET … PX ttl`; invalidation by prefix uses `SCAN`, never `KEYS`). Redis
 * expires entries on its own clock, not on the Effect `Clock`.
 *
 * @example
 * ```ts
 * import { Cache } from "@weft/metered"
 * import { cacheStore } from "@weft/metered/redis"
 * import { Redis } from "ioredis"
 * const cache = Cache.makeUnsafe({ store: cacheStore(new Redis()) })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const cacheStore = (redis: Redis, options: Options = {}): CacheStore => {
  const prefix = options.prefix ?? "weft:"
  return {
    get: (key) =>
      Effect.tryPromise({
        try: async () => (await redis.get(`${prefix}${key}`)) ?? undefined,
        catch: failed("cache.get")
      }),
    set: (key, value, ttlMillis) =>
      Effect.tryPromise({
        try: async () => {
          await redis.set(`${prefix}${key}`, value, "PX", Math.max(1, Math.ceil(ttlMillis)))
        },
        catch: failed("cache.set")
      }),
    deletePrefix: (keyPrefix) =>
      Effect.tryPromise({
        try: async () => {
          let cursor = "0"
          let deleted = 0
          do {
            const [next, found] = await redis.scan(
              cursor,
              "MATCH",
              `${globEscape(`${prefix}${keyPrefix}`)}*`,
              "COUNT",
              500
            )
            cursor = next
            if (found.length > 0) deleted += await redis.del(...found)
          } while (cursor !== "0")
          return deleted
        },
        catch: failed("cache.invalidate")
      })
  }
}

/**
 * A lock backend on one Redis server, or on several independent ones (Redlock quorum).
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * import { lockBackend } from "@weft/metered/redis"
 * import { Redis } from "ioredis"
 * const backend = lockBackend(new Redis())
 * await Lock.run(backend, "nightly-report", async () => "done", { leaseMillis: 5_000 })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const lockBackend = (
  redis: Redis | ReadonlyArray<Redis>,
  options: Options = {}
): Backend => {
  const prefix = `${options.prefix ?? "weft:"}lock:`
  const redlock = new Redlock(
    Array.isArray(redis) ? (redis as ReadonlyArray<Redis>) : [redis as Redis],
    {
      retryCount: 0
    }
  )
  // Redlock reports every lost vote as an "error" event; an unheard one would crash the process
  redlock.on("error", () => {})
  const contended = async (error: unknown): Promise<boolean> => {
    if (error instanceof ResourceLockedError) return true
    if (!(error instanceof ExecutionError)) return false
    for (const attempt of error.attempts) {
      const stats = await attempt
      for (const reason of stats.votesAgainst.values()) {
        if (!(reason instanceof ResourceLockedError)) return false
      }
    }
    return true
  }
  return {
    name: "redis",
    tryAcquire: (key, slot, leaseMillis) =>
      Effect.tryPromise({
        try: async (signal): Promise<Handle | undefined> => {
          let lock: RedlockLock
          try {
            lock = await redlock.acquire([`${prefix}${key}#${slot}`], leaseMillis)
          } catch (error) {
            if (await contended(error)) return undefined
            throw error
          }
          return releaseIfAbandoned(
            {
              renew: Effect.promise(async () => {
                try {
                  lock = await lock.extend(leaseMillis)
                  return true
                } catch {
                  return false
                }
              }),
              release: Effect.tryPromise({
                try: async () => {
                  await lock.release()
                },
                catch: failed("lock.release")
              })
            },
            signal
          )
        },
        catch: failed("lock.acquire")
      })
  }
}
