/**
 * Executing Weft workflows.
 *
 * @since 0.1.0
 */
export * as Attempt from "./Attempt.js"
/**
 * @since 0.1.0
 */
export * as ExecutionError from "./ExecutionError.js"
/**
 * @since 0.1.0
 */
export * as ExecutionResult from "./ExecutionResult.js"
/**
 * @since 0.2.0
 */
export * as Journal from "./Journal.js"
/**
 * @since 0.1.0
 */
export * as Metrics from "./Metrics.js"
/**
 * @since 0.1.0
 */
export * as Resource from "./Resource.js"
/**
 * @since 0.1.0
 */
export * as Runtime from "./Runtime.js"
/**
 * @since 0.1.0
 */
export * as Scheduler from "./Scheduler.js"
/**
 * @since 0.1.0
 */
export * as Timeline from "./Timeline.js"
/**
 * @since 0.1.0
 */
export * as Trace from "./Trace.js"
