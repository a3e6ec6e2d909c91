/**
 * Resources a run provides to its nodes (`getResource(name)` in code nodes, `context.resource(name)`
 * in task functions). Each run acquires what it uses — lazily on first use, or eagerly before a
 * node that lists it in `resources` — and releases everything in reverse order of acquisition
 * when the run ends, whether it succeeded, failed, timed out or was cancelled.
 *
 * Any plain value given in `resources: { name: value }` is used as is (never released). Use the
 * constructors here for values that must be created and cleaned up per run.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Scope } from "effect"

const TypeId = "~@weft/runtime/Resource" as const
const AllowedMethods = "~@weft/runtime/Resource/allowed" as const

/**
 * A resource recipe: how to acquire it (in the run's scope) — release is part of the acquisition.
 *
 * @example
 * ```ts
 * import { Resource } from "@weft/runtime"
 * const db: Resource.Resource<{ query: (sql: string) => Promise<unknown> }> =
 *   Resource.make(async () => ({ query: async () => [] }))
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Resource<A = unknown> {
  readonly [TypeId]: typeof TypeId
  readonly acquire: Effect.Effect<A, unknown, Scope.Scope>
}

/**
 * What `resources: { name: ... }` accepts: a `Resource` recipe, or any other value used as is.
 *
 * @example
 * ```ts
 * import type { Resource } from "@weft/runtime"
 * const resources: Record<string, Resource.ResourceInput> = { config: { region: "eu" } }
 * ```
 * @since 0.1.0
 * @category models
 */
export type ResourceInput = Resource<unknown> | object | string | number | boolean

/**
 * Whether a value is a resource recipe (rather than a value to use as is).
 *
 * @example
 * ```ts
 * import { Resource } from "@weft/runtime"
 * Resource.isResource(Resource.value(1)) // true
 * Resource.isResource({ query: () => 1 }) // false
 * ```
 * @since 0.1.0
 * @category guards
 */
export const isResource = (u: unknown): u is Resource<unknown> =>
  typeof u === "object" && u !== null && (u as { [TypeId]?: unknown })[TypeId] === TypeId

/**
 * A resource from a (possibly async) factory, with an optional release function called when the
 * run ends.
 *
 * @example
 * ```ts
 * import { Resource } from "@weft/runtime"
 * const pool = Resource.make(
 *   async () => ({ query: async (sql: string) => [sql] }),
 *   async () => { console.log("pool closed") }
 * )
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = <A>(
  acquire: () => A | PromiseLike<A>,
  release?: (resource: A) => void | PromiseLike<void>
): Resource<A> => {
  const releaseEffect = (resource: A): Effect.Effect<void> =>
    Effect.promise(async () => {
      await release?.(resource)
    })
  // Interruptible, so a hung connect does not block the node's timeout or the run's cancellation;
  // a connection that arrives after the interruption is released at once.
  const acquireEffect = Effect.callback<A, unknown>((resume) => {
    let interrupted = false
    new Promise<A>((resolve) => resolve(acquire())).then(
      (resource) => {
        if (!interrupted) resume(Effect.succeed(resource))
        else if (release !== undefined)
          void Promise.resolve(resource)
            .then(release)
            .catch(() => {})
      },
      (error) => {
        if (!interrupted) resume(Effect.fail(error))
      }
    )
    return Effect.sync(() => {
      interrupted = true
    })
  })
  return {
    [TypeId]: TypeId,
    acquire:
      release === undefined
        ? acquireEffect
        : Effect.uninterruptibleMask((restore) =>
            Effect.tap(restore(acquireEffect), (resource) =>
              Effect.addFinalizer(() => releaseEffect(resource))
            )
          )
  }
}

/**
 * A resource from a scoped Effect (`Effect.acquireRelease`, a `Scope`-using constructor such as a
 * fixture's `.scoped`, …): finalizers run when the run ends.
 *
 * @example
 * ```ts
 * import { Resource } from "@weft/runtime"
 * import { Effect } from "effect"
 * const conn = Resource.effect(
 *   Effect.acquireRelease(Effect.sync(() => ({ ping: () => "pong" })), () => Effect.log("closed"))
 * )
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const effect = <A, E>(acquire: Effect.Effect<A, E, Scope.Scope>): Resource<A> => ({
  [TypeId]: TypeId,
  acquire
})

/**
 * A resource that is a service built by an Effect `Layer`; the layer is built in the run's scope
 * (so its finalizers run when the run ends).
 *
 * @example
 * ```ts
 * import { Resource } from "@weft/runtime"
 * import { Context, Layer } from "effect"
 * class Cache extends Context.Service<Cache, { readonly get: (key: string) => string | undefined }>()("app/Cache") {}
 * const cache = Resource.layer(Layer.succeed(Cache, { get: () => undefined }), Cache)
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const layer = <I, S, E>(layer: Layer.Layer<I, E>, key: Context.Key<I, S>): Resource<S> => ({
  [TypeId]: TypeId,
  acquire: Effect.map(Layer.build(layer), (context) => Context.get(context, key))
})

/**
 * A resource that is a plain value (the same as passing the value directly).
 *
 * @example
 * ```ts
 * import { Resource } from "@weft/runtime"
 * const config = Resource.value({ region: "eu-west-1" })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const value = <A>(resource: A): Resource<A> => ({
  [TypeId]: TypeId,
  acquire: Effect.succeed(resource)
})

/**
 * Limits what code nodes may call on a resource to `methods` (they still must be functions of
 * it). Without an allowlist a guest may call the resource's own function properties and the
 * methods of its own classes — never `constructor`, `valueOf`, `toString`, `toJSON`, `then`,
 * `__*__`, methods of `Object.prototype` or of Node's `EventEmitter` / streams — and never read a
 * data field. Recommended for third-party clients, so e.g. a pool's `end()` is not callable.
 * Task functions (trusted host code) get the resource itself.
 *
 * @example
 * ```ts
 * import { Resource } from "@weft/runtime"
 * declare const pool: { query: (sql: string) => Promise<unknown>; end: () => Promise<void> }
 * const db = Resource.allow(pool, ["query"])
 * ```
 * @since 0.2.0
 * @category combinators
 */
export const allow = <A>(
  resource: Resource<A> | A,
  methods: ReadonlyArray<string>
): Resource<A> => {
  const base: Resource<A> = isResource(resource) ? (resource as Resource<A>) : value(resource)
  return { [TypeId]: TypeId, acquire: base.acquire, [AllowedMethods]: [...methods] } as Resource<A>
}

/**
 * The allowlist set with {@link allow}, if any.
 *
 * @example
 * ```ts
 * import { Resource } from "@weft/runtime"
 * Resource.allowedMethods(Resource.allow({ query: () => 1, end: () => {} }, ["query"])) // ["query"]
 * ```
 * @since 0.2.0
 * @category accessors
 */
export const allowedMethods = (resource: unknown): ReadonlyArray<string> | undefined =>
  typeof resource === "object" && resource !== null
    ? ((resource as { readonly [AllowedMethods]?: ReadonlyArray<string> })[AllowedMethods] ??
      undefined)
    : undefined
