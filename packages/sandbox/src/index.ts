/**
 * Running untrusted code nodes.
 *
 * @since 0.1.0
 */
export * as Sandbox from "./Sandbox.js"
/**
 * The typed errors of a sandbox run.
 *
 * @since 0.1.0
 */
export * as SandboxError from "./SandboxError.js"
