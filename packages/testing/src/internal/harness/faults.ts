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
  /**
   * Wraps one attempt of `nodeId` with whatever faults are registered for it. `start` marks the
   * attempt as running (a code node's `onStart`: its timeout starts there); it runs before any
   * injected delay, hang, failure or mock, and `attempt(true)` is then told it already ran.
   */
  const intercept = <A>(
    nodeId: string,
    attempt: (started: boolean) => Effect.Effect<A, unknown>,
    mocked: (output: Runtime.Params[string]) => A,
    start: Effect.Effect<void> = Effect.void
  ): Effect.Effect<A, unknown> =>
    Effect.suspend(() => {
      const entry = faults.get(nodeId)
      if (entry === undefined) return attempt(false)
      let delayed: number | undefined
      if (entry.delay !== undefined && entry.delay.remaining > 0) {
        entry.delay.remaining--
        delayed = entry.delay.millis
      }
      const next = entry.consumable.find((fault) => fault.remaining > 0)
      let body: Effect.Effect<A, unknown> | undefined
      if (next !== undefined) {
        next.remaining--
        entry.injected++
        body = next.kind === "fail" ? Effect.fail(next.error) : Effect.never
      } else if (entry.mock !== undefined) {
        entry.injected++
        body = Effect.succeed(mocked(entry.mock.output))
      }
      // Nothing injected into this attempt: it runs as it is (and starts itself).
      if (body === undefined && delayed === undefined) return attempt(false)
      return start.pipe(
        Effect.andThen(delayed === undefined ? Effect.void : Effect.sleep(delayed)),
        Effect.andThen(body ?? attempt(true))
      )
    })

  const wrappedSandbox = (sandbox: Sandbox.Sandbox["Service"]): Sandbox.Sandbox["Service"] => ({
    run: (request) => {
      if (request.label === undefined || !faults.has(request.label)) return sandbox.run(request)
      // The attempt runs from the moment a fault takes it over: the node's timeout starts then
      // (queue time 0), and the real run that may follow a delay must not start it again.
      const { onStart, ...rest } = request
      return intercept(
        request.label,
        (started) => sandbox.run(started ? rest : request),
        (output) => ({ output, logs: [] }),
        onStart === undefined ? Effect.void : onStart({ queuedMillis: 0 })
      ) as ReturnType<Sandbox.Sandbox["Service"]["run"]>
    }
  })

  return { faults, faultsFor, intercept, wrappedSandbox }
}

export type Faults = ReturnType<typeof makeFaults>
