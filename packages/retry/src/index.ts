/**
 * Retry policies as data: backoff kinds, jitter, caps, error filters, exact delays, Effect
 * schedules, a retry runner with a Promise facade, and a circuit breaker.
 *
 * @since 0.1.0
 */
export * as Backoff from "./Backoff.js"
export * as CircuitBreaker from "./CircuitBreaker.js"
export * as ErrorFilter from "./ErrorFilter.js"
export * as Jitter from "./Jitter.js"
export * as Policy from "./Policy.js"
export * as Retry from "./Retry.js"
