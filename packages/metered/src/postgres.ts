/**
 * PostgreSQL backends (`@weft/metered/postgres`, optional peer dependency `pg`): a budget store,
 * a cache store, advisory locks, and a cost ledger for reporting (queries by workflow, key,
 * node, meter, model and period). You create and end the `pg` pool; these only use it. Call
 * {@link migrate} once (idempotent) to create the tables in `schema`.
 *
 * Advisory locks use the **single 64-bit key** form (`pg_try_advisory_lock(bigint)`), whose key
 * space PostgreSQL keeps apart from the two-integer form that effect/cluster uses for its shard
 * locks — so Weft's locks cannot collide with the cluster's; the high 32 bits are a Weft
 * namespace (`namespace` option), the low 32 bits a hash of the key and slot.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { Effect } from "effect"
import type { Pool, PoolClient } from "pg"
import type { BudgetStore } from "./Budget.js"
import type { CacheStore } from "./Cache.js"
import { type Backend, type Handle, releaseIfAbandoned } from "./Lock.js"
import type { CostRecord, CostSink } from "./Meter.js"
import { BackendFailed, InvalidConfig } from "./MeteredError.js"
import { fromNanos } from "./PriceTable.js"

const failed = (operation: string) => (error: unknown) =>
  new BackendFailed({
    backend: "postgres",
    operation,
    message: `postgres ${operation} failed: ${error instanceof Error ? error.message : String(error)}`
  })

/**
 * Options of the PostgreSQL backends.
 *
 * @example
 * ```ts
 * import type * as Postgres from "@weft/metered/postgres"
 * const options: Postgres.Options = { schema: "billing" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Schema of the tables (default `public`). */
  readonly schema?: string
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/

const schemaOf = (options: Options): string => {
  const schema = options.schema ?? "public"
  if (!identifier.test(schema)) {
    throw new InvalidConfig({
      path: "schema",
      message: `schema "${schema}" must be a lower-case SQL identifier ([a-z_][a-z0-9_]*)`
    })
  }
  return `"${schema}"`
}

/**
 * Creates the tables (budget buckets and reservations, cache entries, cost records) in the
 * schema if they do not exist.
 *
 * @example
 * ```ts
 * import { migrate } from "@weft/metered/postgres"
 * import { Effect } from "effect"
 * import pg from "pg"
 * const pool = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:5432/test" })
 * await Effect.runPromise(migrate(pool, { schema: "public" }))
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const migrate = (pool: Pool, options: Options = {}): Effect.Effect<void, BackendFailed> =>
  Effect.tryPromise({
    try: async () => {
      const s = schemaOf(options)
      await pool.query(`
        CREATE SCHEMA IF NOT EXISTS ${s};
        CREATE TABLE IF NOT EXISTS ${s}.weft_budget_buckets (
          bucket text PRIMARY KEY,
          spent bigint NOT NULL DEFAULT 0,
          reserved bigint NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS ${s}.weft_budget_reservations (
          id text PRIMARY KEY,
          bucket text NOT NULL,
          amount bigint NOT NULL,
          expires_at_ms bigint NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX IF NOT EXISTS weft_budget_reservations_bucket
          ON ${s}.weft_budget_reservations (bucket, expires_at_ms);
        CREATE TABLE IF NOT EXISTS ${s}.weft_cache (
          key text PRIMARY KEY,
          value text NOT NULL,
          expires_at_ms bigint NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${s}.weft_costs (
          id bigserial PRIMARY KEY,
          at_ms bigint NOT NULL,
          execution_id text NOT NULL,
          workflow_id text NOT NULL,
          node_id text NOT NULL,
          iteration integer NOT NULL,
          attempt integer NOT NULL,
          meter text NOT NULL,
          model text NOT NULL,
          quantities jsonb NOT NULL,
          nanos bigint NOT NULL,
          cached boolean NOT NULL,
          keys jsonb NOT NULL
        );
        CREATE INDEX IF NOT EXISTS weft_costs_workflow ON ${s}.weft_costs (workflow_id, at_ms);
        CREATE INDEX IF NOT EXISTS weft_costs_keys ON ${s}.weft_costs USING gin (keys);
      `)
    },
    catch: failed("migrate")
  })

/**
 * A budget store: a reservation is one `UPDATE … WHERE spent + reserved + amount <= limit`
 * (row-locked, so concurrent reservations from any number of processes never overspend).
 *
 * @example
 * ```ts
 * import { Meter, PriceTable } from "@weft/metered"
 * import { budgetStore } from "@weft/metered/postgres"
 * import pg from "pg"
 * const pool = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:5432/test" })
 * const meter = Meter.makeUnsafe({ prices: PriceTable.example, store: budgetStore(pool) })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const budgetStore = (pool: Pool, options: Options = {}): BudgetStore => {
  const s = schemaOf(options)
  const ensure = `INSERT INTO ${s}.weft_budget_buckets (bucket) VALUES ($1) ON CONFLICT DO NOTHING`
  return {
    reserve: ({ bucket, amount, limit, now, holdMillis }) =>
      Effect.tryPromise({
        try: async () => {
          await pool.query(ensure, [bucket])
          // reservations held past their deadline were abandoned by a dead worker: release them
          await pool.query(
            `WITH gone AS (
               DELETE FROM ${s}.weft_budget_reservations
               WHERE bucket = $1 AND expires_at_ms <= $2
               RETURNING amount
             )
             UPDATE ${s}.weft_budget_buckets
             SET reserved = reserved - (SELECT COALESCE(SUM(amount), 0) FROM gone)
             WHERE bucket = $1 AND EXISTS (SELECT 1 FROM gone)`,
            [bucket, now]
          )
          const id = randomUUID()
          const reserved = await pool.query<{ spent: string; reserved: string }>(
            `WITH upd AS (
               UPDATE ${s}.weft_budget_buckets SET reserved = reserved + $2
               WHERE bucket = $1 AND spent <= $3 AND spent + reserved + $2 <= $3
               RETURNING spent, reserved
             ), ins AS (
               INSERT INTO ${s}.weft_budget_reservations (id, bucket, amount, expires_at_ms)
               SELECT $4, $1, $2, $5 FROM upd
             )
             SELECT spent, reserved FROM upd`,
            [bucket, amount, limit, id, now + holdMillis]
          )
          if (reserved.rowCount === 1) {
            return { _tag: "Reserved", reservation: { bucket, id, amount } } as const
          }
          const current = await pool.query<{ spent: string; reserved: string }>(
            `SELECT spent, reserved FROM ${s}.weft_budget_buckets WHERE bucket = $1`,
            [bucket]
          )
          const row = current.rows[0]
          return {
            _tag: "Refused",
            spent: Number(row?.spent ?? 0),
            reserved: Number(row?.reserved ?? 0)
          } as const
        },
        catch: failed("budget.reserve")
      }),
    settle: (reservation, actual) =>
      Effect.tryPromise({
        try: async () => {
          await pool.query(ensure, [reservation.bucket])
          const result = await pool.query<{ spent: string; reserved: string }>(
            `WITH r AS (
               DELETE FROM ${s}.weft_budget_reservations WHERE id = $1 RETURNING amount
             )
             UPDATE ${s}.weft_budget_buckets
             SET reserved = reserved - COALESCE((SELECT amount FROM r), 0), spent = spent + $2
             WHERE bucket = $3
             RETURNING spent, reserved`,
            [reservation.id, actual, reservation.bucket]
          )
          const row = result.rows[0]
          return { spent: Number(row?.spent ?? 0), reserved: Number(row?.reserved ?? 0) }
        },
        catch: failed("budget.settle")
      }),
    state: (bucket) =>
      Effect.tryPromise({
        try: async () => {
          const result = await pool.query<{ spent: string; reserved: string }>(
            `SELECT spent, reserved FROM ${s}.weft_budget_buckets WHERE bucket = $1`,
            [bucket]
          )
          const row = result.rows[0]
          return { spent: Number(row?.spent ?? 0), reserved: Number(row?.reserved ?? 0) }
        },
        catch: failed("budget.state")
      })
  }
}

/**
 * A cache store. Expiry is compared with the Effect `Clock` (so `TestClock` expires entries here
 * too); expired rows are deleted when read.
 *
 * @example
 * ```ts
 * import { Cache } from "@weft/metered"
 * import { cacheStore } from "@weft/metered/postgres"
 * import pg from "pg"
 * const cache = Cache.makeUnsafe({ store: cacheStore(new pg.Pool()) })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const cacheStore = (pool: Pool, options: Options = {}): CacheStore => {
  const s = schemaOf(options)
  return {
    get: (key) =>
      Effect.clockWith((clock) =>
        Effect.tryPromise({
          try: async () => {
            const now = clock.currentTimeMillisUnsafe()
            const result = await pool.query<{ value: string; expires_at_ms: string }>(
              `SELECT value, expires_at_ms FROM ${s}.weft_cache WHERE key = $1`,
              [key]
            )
            const row = result.rows[0]
            if (row === undefined) return undefined
            if (Number(row.expires_at_ms) <= now) {
              await pool.query(
                `DELETE FROM ${s}.weft_cache WHERE key = $1 AND expires_at_ms <= $2`,
                [key, now]
              )
              return undefined
            }
            return row.value
          },
          catch: failed("cache.get")
        })
      ),
    set: (key, value, ttlMillis) =>
      Effect.clockWith((clock) =>
        Effect.tryPromise({
          try: async () => {
            await pool.query(
              `INSERT INTO ${s}.weft_cache (key, value, expires_at_ms) VALUES ($1, $2, $3)
               ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at_ms = EXCLUDED.expires_at_ms`,
              [key, value, clock.currentTimeMillisUnsafe() + ttlMillis]
            )
          },
          catch: failed("cache.set")
        })
      ),
    deletePrefix: (prefix) =>
      Effect.tryPromise({
        try: async () => {
          const result = await pool.query(
            `DELETE FROM ${s}.weft_cache WHERE starts_with(key, $1)`,
            [prefix]
          )
          return result.rowCount ?? 0
        },
        catch: failed("cache.invalidate")
      })
  }
}

/** FNV-1a over UTF-8: the low 32 bits of a lock's key. */
const fnv1a = (text: string): number => {
  const bytes = new TextEncoder().encode(text)
  let hash = 0x811c9dc5
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193)
  return hash >>> 0
}

/**
 * Options of {@link lockBackend}.
 *
 * @example
 * ```ts
 * import type * as Postgres from "@weft/metered/postgres"
 * const options: Postgres.LockOptions = { namespace: 0x57454654 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface LockOptions {
  /** High 32 bits of every lock id (default `0x57454654`, "WEFT"). */
  readonly namespace?: number
}

/**
 * The 64-bit advisory lock id of a key's slot (as a decimal string for `bigint`).
 *
 * @example
 * ```ts
 * import { lockId } from "@weft/metered/postgres"
 * lockId("customer:42", 0) // a decimal bigint string, the same in every process
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const lockId = (key: string, slot: number, namespace = 0x57454654): string =>
  ((BigInt(namespace | 0) << 32n) | BigInt(fnv1a(`${key}#${slot}`))).toString()

/**
 * Advisory locks: each held slot keeps one pool connection for the holder's run (session-level
 * `pg_try_advisory_lock(bigint)`); renewal checks the connection is alive, and a dead connection
 * (which drops the lock) makes the holder fail with `LockLost`. Size the pool for the locks you
 * hold at once. Distinct keys can share a 32-bit hash: they then exclude each other (safe, but
 * serialised).
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * import { lockBackend } from "@weft/metered/postgres"
 * import pg from "pg"
 * const backend = lockBackend(new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:5432/test" }))
 * await Lock.run(backend, "nightly-etl", async () => "done")
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const lockBackend = (pool: Pool, options: LockOptions = {}): Backend => ({
  name: "postgres",
  tryAcquire: (key, slot) =>
    Effect.tryPromise({
      try: async (signal): Promise<Handle | undefined> => {
        const id = lockId(key, slot, options.namespace)
        const client: PoolClient = await pool.connect()
        if (signal.aborted) {
          client.release()
          return undefined
        }
        let broken = false
        const onError = () => {
          broken = true
        }
        client.on("error", onError)
        let locked = false
        try {
          const result = await client.query<{ locked: boolean }>(
            "SELECT pg_try_advisory_lock($1::bigint) AS locked",
            [id]
          )
          locked = result.rows[0]?.locked === true
        } catch (error) {
          client.off("error", onError)
          client.release(true)
          throw error
        }
        if (!locked) {
          client.off("error", onError)
          client.release()
          return undefined
        }
        return releaseIfAbandoned(
          {
            renew: Effect.promise(async () => {
              if (broken) return false
              try {
                await client.query("SELECT 1")
                return true
              } catch {
                broken = true
                return false
              }
            }),
            release: Effect.tryPromise({
              try: async () => {
                try {
                  if (!broken) await client.query("SELECT pg_advisory_unlock($1::bigint)", [id])
                } finally {
                  client.off("error", onError)
                  client.release(broken)
                }
              },
              catch: failed("lock.release")
            })
          },
          signal
        )
      },
      catch: failed("lock.acquire")
    })
})

/**
 * How to group cost totals.
 *
 * @example
 * ```ts
 * import type * as Postgres from "@weft/metered/postgres"
 * const byCustomer: Postgres.GroupBy = { key: "customer" }
 * ```
 * @since 0.1.0
 * @category models
 */
export type GroupBy =
  | "workflow"
  | "node"
  | "meter"
  | "model"
  | "execution"
  | { readonly key: string }
  | { readonly period: "hour" | "day" | "month"; readonly timeZone?: string }

/**
 * A totals query: group, and optional filters (time range on the Clock time of the records).
 *
 * @example
 * ```ts
 * import type * as Postgres from "@weft/metered/postgres"
 * const query: Postgres.TotalsQuery = { groupBy: { period: "day" }, workflowId: "summarise", keys: { customer: "acme" } }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface TotalsQuery {
  readonly groupBy: GroupBy
  readonly workflowId?: string
  readonly keys?: { readonly [key: string]: string }
  readonly from?: number
  readonly to?: number
}

/**
 * One row of totals: exact `nanos` (summed as `bigint`) and `cost` in currency units.
 *
 * @example
 * ```ts
 * import type * as Postgres from "@weft/metered/postgres"
 * const line = (row: Postgres.TotalsRow) => `${row.group}: ${row.cost} (${row.records} records)`
 * ```
 * @since 0.1.0
 * @category models
 */
export interface TotalsRow {
  readonly group: string
  readonly nanos: number
  readonly cost: number
  readonly records: number
}

/**
 * A cost ledger: a `Meter` sink that stores every record, and totals queries for reporting.
 *
 * @example
 * ```ts
 * import type * as Postgres from "@weft/metered/postgres"
 * declare const ledger: Postgres.CostLedger
 * ```
 * @since 0.1.0
 * @category models
 */
export interface CostLedger extends CostSink {
  readonly totals: (
    query: TotalsQuery
  ) => Effect.Effect<ReadonlyArray<TotalsRow>, BackendFailed | InvalidConfig>
}

const keyName = /^[A-Za-z0-9_.:-]{1,100}$/

/**
 * A cost ledger in `schema` (see {@link migrate}).
 *
 * @example
 * ```ts
 * import { Meter, PriceTable } from "@weft/metered"
 * import { costLedger } from "@weft/metered/postgres"
 * import { Effect } from "effect"
 * import pg from "pg"
 * const pool = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:5432/test" })
 * const ledger = costLedger(pool)
 * const meter = Meter.makeUnsafe({ prices: PriceTable.example, sink: ledger })
 * const perCustomer = await Effect.runPromise(ledger.totals({ groupBy: { key: "customer" } }))
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const costLedger = (pool: Pool, options: Options = {}): CostLedger => {
  const s = schemaOf(options)
  return {
    write: (record: CostRecord) =>
      Effect.tryPromise({
        try: async () => {
          await pool.query(
            `INSERT INTO ${s}.weft_costs
               (at_ms, execution_id, workflow_id, node_id, iteration, attempt, meter, model, quantities, nanos, cached, keys)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
            [
              record.at,
              record.executionId,
              record.workflowId,
              record.nodeId,
              record.iteration,
              record.attempt,
              record.meter,
              record.model,
              JSON.stringify(record.quantities),
              record.nanos,
              record.cached,
              JSON.stringify(record.keys)
            ]
          )
        },
        catch: failed("costs.write")
      }),
    totals: (query) =>
      Effect.suspend((): Effect.Effect<ReadonlyArray<TotalsRow>, BackendFailed | InvalidConfig> => {
        const params: Array<unknown> = []
        const param = (value: unknown) => {
          params.push(value)
          return `$${params.length}`
        }
        let group: string
        const by = query.groupBy
        if (by === "workflow") group = "workflow_id"
        else if (by === "node") group = "workflow_id || '.' || node_id"
        else if (by === "meter") group = "meter"
        else if (by === "model") group = "meter || '/' || model"
        else if (by === "execution") group = "execution_id"
        else if ("key" in by) {
          if (!keyName.test(by.key)) {
            return Effect.fail(
              new InvalidConfig({
                path: "groupBy.key",
                message: `key name "${by.key}" is not valid`
              })
            )
          }
          group = `COALESCE(keys ->> ${param(by.key)}, '(none)')`
        } else {
          const unit = { hour: "hour", day: "day", month: "month" }[by.period]
          if (unit === undefined) {
            return Effect.fail(
              new InvalidConfig({
                path: "groupBy.period",
                message: `period must be hour, day or month`
              })
            )
          }
          const format = { hour: 'YYYY-MM-DD"T"HH24', day: "YYYY-MM-DD", month: "YYYY-MM" }[
            by.period
          ]
          group = `to_char(date_trunc('${unit}', to_timestamp(at_ms / 1000.0) AT TIME ZONE ${param(by.timeZone ?? "UTC")}), '${format}')`
        }
        const where: Array<string> = []
        if (query.workflowId !== undefined) where.push(`workflow_id = ${param(query.workflowId)}`)
        if (query.keys !== undefined)
          where.push(`keys @> ${param(JSON.stringify(query.keys))}::jsonb`)
        if (query.from !== undefined) where.push(`at_ms >= ${param(query.from)}`)
        if (query.to !== undefined) where.push(`at_ms < ${param(query.to)}`)
        const sql = `SELECT ${group} AS "group", SUM(nanos)::text AS nanos, COUNT(*)::int AS records
          FROM ${s}.weft_costs ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`}
          GROUP BY 1 ORDER BY 1`
        return Effect.tryPromise({
          try: async () => {
            const result = await pool.query<{ group: string; nanos: string; records: number }>(
              sql,
              params
            )
            return result.rows.map((row) => ({
              group: row.group,
              nanos: Number(row.nanos),
              cost: fromNanos(Number(row.nanos)),
              records: row.records
            }))
          },
          catch: failed("costs.totals")
        })
      })
  }
}
