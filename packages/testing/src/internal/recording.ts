// Records every method call the workflow makes on a harness resource (through the runtime's
// resource bridge or a task function), without changing what the call does.
import { weftPromise } from "./suspensions.js"

export interface ResourceCall {
  readonly resource: string
  readonly method: string
  readonly args: ReadonlyArray<unknown>
  /** Clock time (virtual under the harness) of the call. */
  readonly at: number
  outcome: "pending" | "returned" | "threw"
  result?: unknown
  error?: unknown
}

const isPromiseLike = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as { then?: unknown }).then === "function"

/**
 * A proxy that records calls to `target`'s methods. Methods are called on the target itself,
 * so classes with private fields keep working; symbols and non-function properties pass through.
 */
export const recordingProxy = <A extends object>(
  name: string,
  target: A,
  calls: Array<ResourceCall>,
  now: () => number,
  /** Marks a pending Promise-returning call as real work (returns the function that ends it). */
  realWork?: (label: string) => () => void
): A => {
  const wrappers = new Map<PropertyKey, unknown>()
  return new Proxy(target, {
    get(t, property) {
      const value = Reflect.get(t, property, t) as unknown
      if (
        typeof value !== "function" ||
        typeof property === "symbol" ||
        property === "constructor"
      ) {
        return value
      }
      const cached = wrappers.get(property)
      if (cached !== undefined) return cached
      const method = property
      const wrapper = (...args: Array<unknown>) => {
        const call: ResourceCall = { resource: name, method, args, at: now(), outcome: "pending" }
        calls.push(call)
        let out: unknown
        try {
          out = (value as (...a: Array<unknown>) => unknown).apply(t, args)
        } catch (error) {
          call.outcome = "threw"
          call.error = error
          throw error
        }
        if (isPromiseLike(out)) {
          const end = realWork?.(`${name}.${method}`)
          const settled = Promise.resolve(out).then(
            (result) => {
              end?.()
              call.outcome = "returned"
              call.result = result
              return result
            },
            (error: unknown) => {
              end?.()
              call.outcome = "threw"
              call.error = error
              throw error
            }
          )
          // A fixture's call waits on the region's clock: awaiting it is not real work.
          return realWork === undefined ? weftPromise(settled) : settled
        }
        call.outcome = "returned"
        call.result = out
        return out
      }
      wrappers.set(property, wrapper)
      return wrapper
    }
  })
}
