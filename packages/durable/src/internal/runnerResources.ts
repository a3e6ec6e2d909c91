// Resources that belong to the runner process: each recipe is acquired once, on first use by any
// execution, in the store's scope, and released when the store closes — a pool or client is not
// torn down and rebuilt per execution (nor per resume).
import { Resource } from "@weft/runtime"
import { Deferred, Effect, Exit, Scope } from "effect"

export const share = (
  resources: { readonly [name: string]: Resource.ResourceInput },
  scope: Scope.Scope
): { readonly [name: string]: Resource.ResourceInput } => {
  const shared: { [name: string]: Resource.ResourceInput } = {}
  for (const [name, input] of Object.entries(resources)) {
    if (!Resource.isResource(input)) {
      shared[name] = input
      continue
    }
    let cell: Deferred.Deferred<unknown, unknown> | undefined
    shared[name] = Resource.effect(
      Effect.suspend(() => {
        if (cell !== undefined) return Deferred.await(cell)
        const deferred = Deferred.makeUnsafe<unknown, unknown>()
        cell = deferred
        return Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(
            Effect.exit(restore(Effect.provideService(input.acquire, Scope.Scope, scope))),
            (exit) => {
              // a failed acquisition is not kept: the next use tries again
              if (Exit.isFailure(exit)) cell = undefined
              return Effect.andThen(Deferred.done(deferred, exit), exit)
            }
          )
        )
      })
    )
  }
  return shared
}
