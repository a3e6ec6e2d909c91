/**
 * `@weft/testing`: the Weft workflow test harness for vitest — execute, assert, virtual time,
 * fault injection, leak checks.
 *
 * @since 0.1.0
 */

/**
 * Assertions on execution results.
 *
 * @since 0.1.0
 */
export * as Assert from "./Assert.js"

/**
 * Async test utilities (waitFor, assertEventually, assertConverges, time limits, …).
 *
 * @since 0.1.0
 */
export * as Async from "./Async.js"

/**
 * The per-test harness.
 *
 * @since 0.1.0
 */
export * as Harness from "./Harness.js"

/**
 * Custom vitest matchers for execution results.
 *
 * @since 0.1.0
 */
export * as Matchers from "./Matchers.js"

/**
 * Performance and memory assertions.
 *
 * @since 0.1.0
 */
export * as Performance from "./Performance.js"

/**
 * Virtual time that advances by itself.
 *
 * @since 0.1.0
 */
export * as VirtualTime from "./VirtualTime.js"

/**
 * vitest integration: `workflowTest` and the `WorkflowTest` service.
 *
 * @since 0.1.0
 */
export * as WorkflowTest from "./WorkflowTest.js"

/**
 * A vitest `test` with an isolated `harness` per test (see `WorkflowTest.workflowTest`).
 *
 * @since 0.1.0
 * @category testing
 */
export { workflowTest } from "./WorkflowTest.js"
