/**
 * A workflow: an id and the nodes it runs.
 *
 * @since 0.1.0
 */

/**
 * A workflow as plain data.
 *
 * @since 0.1.0
 * @category models
 */
export interface Workflow {
  readonly id: string
  readonly nodes: ReadonlyArray<string>
}

/**
 * Creates an empty workflow.
 *
 * @example
 * ```ts
 * import { Workflow } from "@weft/graph"
 * const wf = Workflow.make("checkout")
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (id: string): Workflow => ({ id, nodes: [] })
