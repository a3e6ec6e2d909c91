// Fault injection at node attempts (fail, time out, mock, delay), applied through the runtime's
// own retry and timeout machinery: task functions by node id, code nodes by sandbox run label.
import type { Runtime } from "@weft/runtime"
import type { Sandbox } from "@weft/sandbox"
import { Effect } from "effect"

export type Consumable =
  | { readonly kind: "fail"; readonly error: unknown; remaining: number }
  | { readonly kind: "timeout"; remaining: number }

export interface NodeFaults {
  readonly consumable: Array<Consumable>
  delay?: { readonly millis: number; remaining: number }
  mock?: { readonly output: Runtime.Params[string] }
  injected: number
}

export const makeFaults = () => {
  const faults = new Map<string, NodeFaults>()
  const faultsFor = (nodeId: string): NodeFaults => {
    let entry = faults.get(nodeId)
    if (entry === undefined) {
      entry = { consumable: [], injected: 0 }
      faults.set(nodeId, entry)
    }
    return entry
  }
  /** Wraps one attempt of `nodeId` with whatever faults are registered for it. */
  const intercept = <A>(
    nodeId: string,
    attempt: Effect.Effect<A, unknown>,
    mocked: (output: Runtime.Params[string]) => A
  ): Effect.Effect<A, unknown> =>
    Effect.suspend(() => {
      const entry = faults.get(nodeId)
      if (entry === undefined) return attempt
      const steps: Array<Effect.Effect<unknown, unknown>> = []
      if (entry.delay !== undefined && entry.delay.remaining > 0) {
        entry.delay.remaining--
        steps.push(Effect.sleep(entry.delay.millis))
      }
      const next = entry.consumable.find((fault) => fault.remaining > 0)
      let body: Effect.Effect<A, unknown>
      if (next !== undefined) {
        next.remaining--
        entry.injected++
        body = next.kind === "fail" ? Effect.fail(next.error) : Effect.never
      } else if (entry.mock !== undefined) {
        entry.injected++
        body = Effect.succeed(mocked(entry.mock.output))
      } else {
        body = attempt
      }
      return steps.length === 0 ? body : Effect.andThen(Effect.all(steps, { discard: true }), body)
    })

  const wrappedSandbox = (sandbox: Sandbox.Sandbox["Service"]): Sandbox.Sandbox["Service"] => ({
    run: (request) =>
      request.label === undefined || !faults.has(request.label)
        ? sandbox.run(request)
        : (intercept(request.label, sandbox.run(request), (output) => ({
            output,
            logs: []
          })) as ReturnType<Sandbox.Sandbox["Service"]["run"]>)
  })

  return { faults, faultsFor, intercept, wrappedSandbox }
}

export type Faults = ReturnType<typeof makeFaults>
