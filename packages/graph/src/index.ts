/**
 * `@weft/graph`: the Weft workflow model — builder, validation, JSON form and analysis.
 *
 * @since 0.1.0
 */

/**
 * Questions about a workflow's shape: order, levels, neighbours, critical path, cycles, Mermaid.
 *
 * @since 0.1.0
 */
export * as Analysis from "./Analysis.js"

/**
 * Concurrency key templates (`"customer:{customerId}"`): parse, check and render.
 *
 * @since 0.1.0
 */
export * as ConcurrencyKey from "./ConcurrencyKey.js"

/**
 * Connections from a node's output path (or, for failure connections, its error) to another node's input.
 *
 * @since 0.1.0
 */
export * as Connection from "./Connection.js"

/**
 * Loops with convergence conditions, and the feedback-connection rule.
 *
 * @since 0.1.0
 */
export * as Loop from "./Loop.js"

/**
 * Code, task, delay and event nodes.
 *
 * @since 0.1.0
 */
export * as Node from "./Node.js"

/**
 * Dot paths into JSON outputs.
 *
 * @since 0.1.0
 */
export * as Path from "./Path.js"

/**
 * The workflow model, builder, validation and JSON form.
 *
 * @since 0.1.0
 */
export * as Workflow from "./Workflow.js"

/**
 * The validation error, also available as `Workflow.WorkflowInvalid`.
 *
 * @since 0.1.0
 * @category errors
 */
export { WorkflowInvalid } from "./Workflow.js"
