/**
 * Running untrusted code nodes.
 *
 * @since 0.1.0
 */
export * as Sandbox from "./Sandbox.js"
