/**
 * The Weft workflow model.
 *
 * @since 0.1.0
 */
export * as Workflow from "./Workflow.js"
