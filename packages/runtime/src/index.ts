/**
 * Executing Weft workflows.
 *
 * @since 0.1.0
 */
export * as Runtime from "./Runtime.js"
