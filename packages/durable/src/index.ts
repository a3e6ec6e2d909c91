/**
 * Durable Weft executions on Effect's workflow engine.
 *
 * @since 0.1.0
 */
export * as Durable from "./Durable.js"
/**
 * @since 0.1.0
 */
export * as DurableError from "./DurableError.js"
