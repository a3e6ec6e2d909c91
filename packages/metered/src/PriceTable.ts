/**
 * Prices as data: per meter (a kind of metered thing: `llm`, `embeddings`, `sms`…), per model, per
 * quantity (`input`, `output` tokens…), an `amount` of the table's currency per `per` units.
 * Users supply and update the table (load it from JSON, a database, a config service); no price
 * lives in code. {@link example} is an illustrative table to copy, not a source of truth.
 *
 * Costs are computed in integer nano-units of the currency (1e-9), rounded half-up per usage
 * record, so sums over any number of records are exact (in memory and in PostgreSQL's `bigint`).
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { InvalidConfig, InvalidQuantity, ModelNotPriced, UnknownMeter } from "./MeteredError.js"

/**
 * One price: `amount` (in the table's currency) per `per` units of a quantity.
 *
 * @example
 * ```ts
 * import type { PriceTable } from "@weft/metered"
 * const perMillionTokens: PriceTable.Price = { amount: 0.15, per: 1_000_000 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Price {
  readonly amount: number
  readonly per: number
}

/**
 * A price table: `meters[meter].models[model][quantity]`. A meter without models (e.g. an SMS
 * gateway) uses the model name `"default"`.
 *
 * @example
 * ```ts
 * import type { PriceTable } from "@weft/metered"
 * const table: PriceTable.PriceTable = {
 *   currency: "USD",
 *   meters: { sms: { models: { default: { messages: { amount: 0.0079, per: 1 } } } } }
 * }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface PriceTable {
  readonly currency: string
  readonly meters: {
    readonly [meter: string]: {
      readonly models: { readonly [model: string]: { readonly [quantity: string]: Price } }
    }
  }
}

/**
 * What one call used: quantities of a meter/model (`{ input: 1200, output: 300 }`).
 *
 * @example
 * ```ts
 * import type { PriceTable } from "@weft/metered"
 * const usage: PriceTable.Usage = { meter: "llm", model: "gpt-4o-mini", quantities: { input: 1200, output: 300 } }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Usage {
  readonly meter: string
  /** Default `"default"`. */
  readonly model?: string
  readonly quantities: { readonly [quantity: string]: number }
}

/**
 * An illustrative table of a few OpenAI-style models (USD per million tokens; list prices seen in
 * 2025, **not maintained**): copy it into your configuration and keep it current yourself.
 *
 * @example
 * ```ts
 * import { PriceTable } from "@weft/metered"
 * const mine: PriceTable.PriceTable = {
 *   ...PriceTable.example,
 *   meters: { ...PriceTable.example.meters, sms: { models: { default: { messages: { amount: 0.0079, per: 1 } } } } }
 * }
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const example: PriceTable = {
  currency: "USD",
  meters: {
    llm: {
      models: {
        "gpt-4o": {
          input: { amount: 2.5, per: 1_000_000 },
          output: { amount: 10, per: 1_000_000 }
        },
        "gpt-4o-mini": {
          input: { amount: 0.15, per: 1_000_000 },
          output: { amount: 0.6, per: 1_000_000 }
        },
        "gpt-4.1-nano": {
          input: { amount: 0.1, per: 1_000_000 },
          output: { amount: 0.4, per: 1_000_000 }
        }
      }
    },
    embeddings: {
      models: { "text-embedding-3-small": { input: { amount: 0.02, per: 1_000_000 } } }
    }
  }
}

const NANOS = 1_000_000_000

/**
 * Currency units to integer nanos (1e-9 units).
 *
 * @example
 * ```ts
 * import { PriceTable } from "@weft/metered"
 * PriceTable.toNanos(0.05) // 50_000_000
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const toNanos = (amount: number): number => Math.round(amount * NANOS)

/**
 * Integer nanos back to currency units.
 *
 * @example
 * ```ts
 * import { PriceTable } from "@weft/metered"
 * PriceTable.fromNanos(50_000_000) // 0.05
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const fromNanos = (nanos: number): number => nanos / NANOS

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Checks a price table read from outside (JSON, a database): every problem is reported with its
 * path (the first one fails the result).
 *
 * @example
 * ```ts
 * import { PriceTable } from "@weft/metered"
 * import { Result } from "effect"
 * const checked = PriceTable.validate({ currency: "USD", meters: { llm: { models: { m: { input: { amount: 1, per: 0 } } } } } })
 * Result.isFailure(checked) // true: meters.llm.models.m.input.per must be a positive number
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const validate = (input: unknown): Result.Result<PriceTable, InvalidConfig> => {
  const fail = (path: string, message: string) =>
    Result.fail(new InvalidConfig({ path, message: `price table ${path}: ${message}` }))
  if (!isPlainObject(input)) return fail("(root)", "must be an object")
  if (typeof input.currency !== "string" || input.currency === "")
    return fail("currency", "must be a non-empty string")
  if (!isPlainObject(input.meters)) return fail("meters", "must be an object")
  for (const [meter, entry] of Object.entries(input.meters)) {
    const at = `meters.${meter}`
    if (!isPlainObject(entry) || !isPlainObject(entry.models))
      return fail(`${at}.models`, "must be an object of models")
    for (const [model, prices] of Object.entries(entry.models)) {
      if (!isPlainObject(prices)) return fail(`${at}.models.${model}`, "must be an object")
      for (const [quantity, price] of Object.entries(prices)) {
        const p = `${at}.models.${model}.${quantity}`
        if (!isPlainObject(price)) return fail(p, "must be { amount, per }")
        if (typeof price.amount !== "number" || !Number.isFinite(price.amount) || price.amount < 0)
          return fail(`${p}.amount`, `must be a finite number >= 0, got ${String(price.amount)}`)
        if (typeof price.per !== "number" || !Number.isFinite(price.per) || price.per <= 0)
          return fail(`${p}.per`, `must be a positive number, got ${String(price.per)}`)
      }
    }
  }
  return Result.succeed(input as unknown as PriceTable)
}

/**
 * The cost of one usage record in integer nanos; fails with `UnknownMeter`, `ModelNotPriced` or
 * `InvalidQuantity` (negative, NaN, infinite, or a quantity the table does not price), each
 * naming the entry.
 *
 * @example
 * ```ts
 * import { PriceTable } from "@weft/metered"
 * import { Result } from "effect"
 * const nanos = PriceTable.costNanos(PriceTable.example, {
 *   meter: "llm", model: "gpt-4o-mini", quantities: { input: 1_000_000, output: 0 }
 * })
 * Result.getOrThrow(nanos) // 150_000_000 (= 0.15 USD)
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const costNanos = (
  table: PriceTable,
  usage: Usage
): Result.Result<number, UnknownMeter | ModelNotPriced | InvalidQuantity> => {
  const meter = usage.meter
  const model = usage.model ?? "default"
  const entry = Object.hasOwn(table.meters, meter) ? table.meters[meter] : undefined
  if (entry === undefined) {
    const known = Object.keys(table.meters).sort()
    return Result.fail(
      new UnknownMeter({
        meter,
        known,
        message: `meter "${meter}" is not in the price table; known: ${known.join(", ") || "(none)"}`
      })
    )
  }
  const prices = Object.hasOwn(entry.models, model) ? entry.models[model] : undefined
  if (prices === undefined) {
    const known = Object.keys(entry.models).sort()
    return Result.fail(
      new ModelNotPriced({
        meter,
        model,
        known,
        message: `model "${model}" has no prices under meter "${meter}"; priced: ${known.join(", ") || "(none)"}`
      })
    )
  }
  let total = 0
  for (const [quantity, value] of Object.entries(usage.quantities)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      return Result.fail(
        new InvalidQuantity({
          meter,
          model,
          quantity,
          value: String(value),
          message: `quantity ${quantity} of ${meter}/${model} is ${String(value)}; quantities are finite numbers >= 0`
        })
      )
    }
    const price = Object.hasOwn(prices, quantity) ? prices[quantity] : undefined
    if (price === undefined) {
      return Result.fail(
        new InvalidQuantity({
          meter,
          model,
          quantity,
          value: String(value),
          message: `quantity ${quantity} has no price under ${meter}/${model}; priced: ${Object.keys(prices).sort().join(", ") || "(none)"}`
        })
      )
    }
    total += (value * price.amount * NANOS) / price.per
  }
  return Result.succeed(Math.round(total))
}

/**
 * The cost of one usage record in currency units (see {@link costNanos}).
 *
 * @example
 * ```ts
 * import { PriceTable } from "@weft/metered"
 * import { Result } from "effect"
 * Result.getOrThrow(PriceTable.cost(PriceTable.example, { meter: "llm", model: "gpt-4o", quantities: { output: 1000 } })) // 0.01
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const cost = (
  table: PriceTable,
  usage: Usage
): Result.Result<number, UnknownMeter | ModelNotPriced | InvalidQuantity> =>
  Result.map(costNanos(table, usage), fromNanos)
