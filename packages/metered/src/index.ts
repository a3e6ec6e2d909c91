/**
 * Costs and budgets, response caching and locks for Weft workflows.
 *
 * @since 0.1.0
 */
export * as Budget from "./Budget.js"
/**
 * @since 0.1.0
 */
export * as Cache from "./Cache.js"
/**
 * @since 0.1.0
 */
export * as Estimate from "./Estimate.js"
/**
 * @since 0.1.0
 */
export * as Lock from "./Lock.js"
/**
 * @since 0.1.0
 */
export * as Meter from "./Meter.js"
/**
 * @since 0.1.0
 */
export * as MeteredError from "./MeteredError.js"
/**
 * @since 0.1.0
 */
export * as PriceTable from "./PriceTable.js"
