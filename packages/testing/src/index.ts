/**
 * The Weft test harness.
 *
 * @since 0.1.0
 */
export * as Assert from "./Assert.js"
