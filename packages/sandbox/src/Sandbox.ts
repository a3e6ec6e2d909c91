/**
 * The sandbox service.
 *
 * @since 0.1.0
 */

/**
 * Whether a name can be bound as a guest variable.
 *
 * @example
 * ```ts
 * import { Sandbox } from "@weft/sandbox"
 * Sandbox.isValidInputName("items") // true
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isValidInputName = (name: string): boolean => /^[A-Za-z_$][\w$]*$/.test(name)
