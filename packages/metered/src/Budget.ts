/**
 * Budgets: a spending limit per execution, or per key across executions (per customer per day…),
 * in the price table's currency. Before a metered call its estimated cost is **reserved**
 * atomically in every budget that applies (two concurrent calls cannot both pass on the same
 * remaining budget); after the call the reservation is **settled** with the actual cost. A call
 * whose estimate does not fit fails with `BudgetExceeded` and is not made. When the actual cost
 * overruns, the result is kept, the budget is marked exceeded, and the next call fails.
 *
 * Periods are calendar periods on the `Clock` (UTC unless `timeZone` is given), so `TestClock`
 * moves budgets into the next day.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { BackendFailed } from "./MeteredError.js"
import { InvalidConfig } from "./MeteredError.js"

/**
 * A calendar period of a keyed budget.
 *
 * @example
 * ```ts
 * import type { Budget } from "@weft/metered"
 * const period: Budget.Period = "day"
 * ```
 * @since 0.1.0
 * @category models
 */
export type Period = "hour" | "day" | "week" | "month" | "year" | "forever"

/**
 * A budget definition (plain data). `scope: "execution"` limits each execution; a keyed scope
 * limits all executions that carry the same value for `key` (given by `Meter.execute`'s
 * `keys` option) within one period.
 *
 * @example
 * ```ts
 * import type { Budget } from "@weft/metered"
 * const budgets: ReadonlyArray<Budget.Budget> = [
 *   { name: "per-run", limit: 0.05, scope: "execution" },
 *   { name: "customer-daily", limit: 2, scope: { key: "customer", period: "day" }, meters: ["llm"] }
 * ]
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Budget {
  readonly name: string
  /** Currency units of the price table. */
  readonly limit: number
  readonly scope:
    | "execution"
    | { readonly key: string; readonly period: Period; readonly timeZone?: string }
  /** Meters that count against this budget (default: all). */
  readonly meters?: ReadonlyArray<string>
}

/**
 * A reservation held in a store (amounts in integer nanos).
 *
 * @example
 * ```ts
 * import type { Budget } from "@weft/metered"
 * const r: Budget.Reservation = { bucket: "per-run:execution:e1", id: "r1", amount: 2_000_000 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Reservation {
  readonly bucket: string
  readonly id: string
  readonly amount: number
}

/**
 * Spent and reserved amounts of a bucket (integer nanos).
 *
 * @example
 * ```ts
 * import type { Budget } from "@weft/metered"
 * const state: Budget.BucketState = { spent: 10, reserved: 0 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface BucketState {
  readonly spent: number
  readonly reserved: number
}

/**
 * Outcome of a reservation attempt.
 *
 * @example
 * ```ts
 * import type { Budget } from "@weft/metered"
 * const refused: Budget.ReserveOutcome = { _tag: "Refused", spent: 10, reserved: 5 }
 * ```
 * @since 0.1.0
 * @category models
 */
export type ReserveOutcome =
  | { readonly _tag: "Reserved"; readonly reservation: Reservation }
  | ({ readonly _tag: "Refused" } & BucketState)

/**
 * A reservation request (amounts in integer nanos, times in Clock milliseconds).
 *
 * @example
 * ```ts
 * import type { Budget } from "@weft/metered"
 * const request: Budget.ReserveRequest = { bucket: "b", amount: 5, limit: 10, retainMillis: 0, now: 0, holdMillis: 600_000 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface ReserveRequest {
  readonly bucket: string
  readonly amount: number
  readonly limit: number
  /** How long the bucket must outlive its period (for stores that expire keys; 0 = forever). */
  readonly retainMillis: number
  /** The caller's Clock time. */
  readonly now: number
  /**
   * How long the reservation is held without being settled before it counts as abandoned (its
   * process died mid-call): the next reservation in the bucket releases it.
   */
  readonly holdMillis: number
}

/**
 * Where budgets are kept. `reserve` must be atomic: it succeeds only if the bucket is not marked
 * exceeded and `spent + reserved + amount <= limit` (after releasing reservations held past their
 * `holdMillis`). `settle` removes the reservation and adds
 * the actual amount to `spent` (marking the bucket exceeded when it passes the limit).
 * In memory: {@link memoryStore}; Redis: `@weft/metered/redis`; PostgreSQL: `@weft/metered/postgres`.
 *
 * @example
 * ```ts
 * import { Budget } from "@weft/metered"
 * const store: Budget.BudgetStore = Budget.memoryStore()
 * ```
 * @since 0.1.0
 * @category models
 */
export interface BudgetStore {
  readonly reserve: (request: ReserveRequest) => Effect.Effect<ReserveOutcome, BackendFailed>
  readonly settle: (
    reservation: Reservation,
    actual: number,
    retainMillis: number
  ) => Effect.Effect<BucketState, BackendFailed>
  readonly state: (bucket: string) => Effect.Effect<BucketState, BackendFailed>
}

/**
 * An in-process store (one Node process; atomic because reservations run synchronously).
 *
 * @example
 * ```ts
 * import { Budget } from "@weft/metered"
 * import { Effect } from "effect"
 * const store = Budget.memoryStore()
 * const outcome = await Effect.runPromise(
 *   store.reserve({ bucket: "b", amount: 5, limit: 10, retainMillis: 0, now: Date.now(), holdMillis: 60_000 })
 * )
 * outcome._tag // "Reserved"
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const memoryStore = (): BudgetStore => {
  type Held = { readonly amount: number; readonly expiresAt: number }
  const buckets = new Map<string, { spent: number; reserved: Map<string, Held> }>()
  let next = 0
  const bucketOf = (name: string) => {
    let bucket = buckets.get(name)
    if (bucket === undefined) {
      bucket = { spent: 0, reserved: new Map() }
      buckets.set(name, bucket)
    }
    return bucket
  }
  const reservedOf = (bucket: { reserved: Map<string, Held> }) => {
    let sum = 0
    for (const held of bucket.reserved.values()) sum += held.amount
    return sum
  }
  return {
    reserve: ({ bucket: name, amount, limit, now, holdMillis }) =>
      Effect.sync(() => {
        const bucket = bucketOf(name)
        for (const [id, held] of bucket.reserved) {
          if (held.expiresAt <= now) bucket.reserved.delete(id)
        }
        const reserved = reservedOf(bucket)
        if (bucket.spent > limit || bucket.spent + reserved + amount > limit) {
          return { _tag: "Refused", spent: bucket.spent, reserved } as const
        }
        const id = `r${++next}`
        bucket.reserved.set(id, { amount, expiresAt: now + holdMillis })
        return { _tag: "Reserved", reservation: { bucket: name, id, amount } } as const
      }),
    settle: (reservation, actual) =>
      Effect.sync(() => {
        const bucket = bucketOf(reservation.bucket)
        bucket.reserved.delete(reservation.id)
        bucket.spent += actual
        return { spent: bucket.spent, reserved: reservedOf(bucket) }
      }),
    state: (name) =>
      Effect.sync(() => {
        const bucket = buckets.get(name)
        return bucket === undefined
          ? { spent: 0, reserved: 0 }
          : { spent: bucket.spent, reserved: reservedOf(bucket) }
      })
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

const partsIn = (at: number, timeZone: string) => {
  const formatter = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit"
  })
  const parts: Record<string, number> = {}
  for (const part of formatter.formatToParts(at)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value)
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! }
}

/**
 * The label of the period containing `at` (epoch ms) in `timeZone` (default UTC):
 * `2026-12-04T09` (hour), `2026-12-04` (day), `2026-W49` is not used — weeks are labelled by
 * their Monday (`week:2026-11-30`), `2026-12` (month), `2026` (year), `forever`.
 *
 * @example
 * ```ts
 * import { Budget } from "@weft/metered"
 * Budget.periodLabel("day", Date.UTC(2026, 11, 4, 23, 30)) // "2026-12-04"
 * Budget.periodLabel("day", Date.UTC(2026, 11, 4, 23, 30), "Europe/Berlin") // "2026-12-05"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const periodLabel = (period: Period, at: number, timeZone = "UTC"): string => {
  if (period === "forever") return "forever"
  const { year, month, day, hour } = partsIn(at, timeZone)
  switch (period) {
    case "hour":
      return `${year}-${pad(month)}-${pad(day)}T${pad(hour)}`
    case "day":
      return `${year}-${pad(month)}-${pad(day)}`
    case "week": {
      const local = new Date(Date.UTC(year, month - 1, day))
      const monday = new Date(local.getTime() - ((local.getUTCDay() + 6) % 7) * 86_400_000)
      return `week:${monday.getUTCFullYear()}-${pad(monday.getUTCMonth() + 1)}-${pad(monday.getUTCDate())}`
    }
    case "month":
      return `${year}-${pad(month)}`
    case "year":
      return String(year)
  }
}

const retention: Record<Period, number> = {
  hour: 2 * 3_600_000,
  day: 2 * 86_400_000,
  week: 14 * 86_400_000,
  month: 62 * 86_400_000,
  year: 732 * 86_400_000,
  forever: 0
}

/** @internal how long a store keeps a bucket (0 = forever); execution buckets: a day */
export const retainMillis = (budget: Budget): number =>
  budget.scope === "execution" ? 86_400_000 : retention[budget.scope.period]

const periods: ReadonlySet<string> = new Set(["hour", "day", "week", "month", "year", "forever"])

/**
 * Checks budget definitions read from outside; the error names the entry (`budgets[1].limit`).
 *
 * @example
 * ```ts
 * import { Budget } from "@weft/metered"
 * import { Effect } from "effect"
 * const exit = await Effect.runPromiseExit(Budget.validate([{ name: "b", limit: -1, scope: "execution" }]))
 * exit._tag // "Failure": budgets[0].limit must be a finite number >= 0
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const validate = (
  budgets: ReadonlyArray<Budget>
): Effect.Effect<ReadonlyArray<Budget>, InvalidConfig> =>
  Effect.suspend(() => {
    const names = new Set<string>()
    const fail = (path: string, message: string) =>
      Effect.fail(new InvalidConfig({ path, message: `${path}: ${message}` }))
    for (const [i, budget] of budgets.entries()) {
      const at = `budgets[${i}]`
      if (typeof budget.name !== "string" || budget.name === "")
        return fail(`${at}.name`, "must be a non-empty string")
      if (names.has(budget.name))
        return fail(`${at}.name`, `duplicate budget name "${budget.name}"`)
      names.add(budget.name)
      if (typeof budget.limit !== "number" || !Number.isFinite(budget.limit) || budget.limit < 0)
        return fail(`${at}.limit`, `must be a finite number >= 0, got ${String(budget.limit)}`)
      const scope = budget.scope
      if (scope !== "execution") {
        if (typeof scope !== "object" || scope === null)
          return fail(`${at}.scope`, 'must be "execution" or { key, period }')
        if (typeof scope.key !== "string" || scope.key === "")
          return fail(`${at}.scope.key`, "must be a non-empty string")
        if (!periods.has(scope.period))
          return fail(
            `${at}.scope.period`,
            `must be one of hour, day, week, month, year, forever; got ${String(scope.period)}`
          )
        if (scope.timeZone !== undefined) {
          try {
            new Intl.DateTimeFormat("en-US", { timeZone: scope.timeZone })
          } catch {
            return fail(`${at}.scope.timeZone`, `unknown time zone "${scope.timeZone}"`)
          }
        }
      }
    }
    return Effect.succeed(budgets)
  })
