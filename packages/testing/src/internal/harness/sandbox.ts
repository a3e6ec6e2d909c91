// The sandbox code nodes run in: built on first use, inside the harness's time region.
import { Sandbox } from "@weft/sandbox"
import { Context, Deferred, Effect, Exit, Layer, Scope } from "effect"
import type { Options } from "../../Harness.js"
import type { Region } from "../../VirtualTime.js"

// One in-thread sandbox per process for `sandbox: "shared"`; its runs mark their real work in
// the caller's context, so it need not be built inside a harness's time region.
let shared: Promise<Context.Context<Sandbox.Sandbox>> | undefined
export const sharedSandbox = (): Effect.Effect<Context.Context<Sandbox.Sandbox>> =>
  Effect.promise(() => {
    shared ??= Effect.runPromise(
      Layer.buildWithScope(Sandbox.layerQuickJsInThread, Scope.makeUnsafe())
    )
    return shared
  })

export const makeLazySandbox = (
  options: Options,
  region: Region,
  resources: Scope.Scope
): Sandbox.Sandbox["Service"] => {
  let sandboxService: Sandbox.Sandbox["Service"] | undefined
  const sandboxLayer: Layer.Layer<Sandbox.Sandbox> =
    options.sandbox === undefined || options.sandbox === "in-thread" || options.sandbox === "shared"
      ? Sandbox.layerQuickJsInThread
      : options.sandbox === "workers"
        ? Sandbox.layerQuickJs()
        : options.sandbox
  // Built on the first code-node run (task-only workflows never pay for it), once.
  let sandboxBuild: Deferred.Deferred<Sandbox.Sandbox["Service"]> | undefined
  const getSandbox: Effect.Effect<Sandbox.Sandbox["Service"]> = Effect.suspend(() => {
    if (sandboxService !== undefined) return Effect.succeed(sandboxService)
    if (sandboxBuild !== undefined) return Deferred.await(sandboxBuild)
    const build = Deferred.makeUnsafe<Sandbox.Sandbox["Service"]>()
    sandboxBuild = build
    const built =
      options.sandbox === undefined || options.sandbox === "shared"
        ? sharedSandbox()
        : region.run(Layer.buildWithScope(Layer.fresh(sandboxLayer), resources))
    return built.pipe(
      Effect.map((context) => Context.get(context, Sandbox.Sandbox)),
      Effect.orDie,
      Effect.exit,
      Effect.flatMap((exit) => {
        if (Exit.isSuccess(exit)) sandboxService = exit.value
        return Effect.andThen(Deferred.done(build, exit), exit)
      }),
      Effect.uninterruptible
    )
  })
  const lazySandbox: Sandbox.Sandbox["Service"] = {
    run: (request) => Effect.flatMap(getSandbox, (sandbox) => sandbox.run(request))
  }

  return lazySandbox
}
