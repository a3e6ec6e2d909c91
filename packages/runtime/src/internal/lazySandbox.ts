// A sandbox layer that builds the real one on first use (in the layer's scope), so a run without
// code nodes never starts a worker pool.
import { Context, Deferred, Effect, Exit, Layer, Scope } from "effect"
import { Sandbox } from "./sandbox.js"

export const lazySandbox = (layer: Layer.Layer<Sandbox>): Layer.Layer<Sandbox> =>
  Layer.effect(
    Sandbox,
    Effect.gen(function* () {
      const scope = yield* Scope.Scope
      let built: Deferred.Deferred<Sandbox["Service"]> | undefined
      const get = Effect.suspend(() => {
        if (built !== undefined) return Deferred.await(built)
        const deferred = Deferred.makeUnsafe<Sandbox["Service"]>()
        built = deferred
        return Layer.build(layer).pipe(
          Scope.provide(scope),
          Effect.map((context) => Context.get(context, Sandbox)),
          Effect.onExit((exit) =>
            Exit.isSuccess(exit)
              ? Deferred.succeed(deferred, exit.value)
              : Deferred.failCause(deferred, exit.cause)
          )
        )
      })
      return Sandbox.of({
        run: (request) => Effect.flatMap(get, (sandbox) => sandbox.run(request))
      })
    })
  )
