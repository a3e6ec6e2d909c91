/**
 * Retry policies as data.
 *
 * @since 0.1.0
 */
export * as Policy from "./Policy.js"
