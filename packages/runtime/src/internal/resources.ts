// Per-execution resource registry: lazy/eager acquisition into the run's scope (finalizers run in
// reverse order of acquisition when the scope closes), the sandbox bridge's method calls.
import { Cause, Deferred, Effect, Exit, Scope } from "effect"
import { ResourceFailed, ResourceNotFound } from "../ExecutionError.js"
import { allowedMethods, isResource, type ResourceInput } from "../Resource.js"
import { callableMethods } from "./bridge.js"
import { errorMessage, toJson } from "./errors.js"
import type { Json } from "./model.js"

type Entry =
  | { readonly _tag: "ready"; readonly value: unknown }
  | { readonly _tag: "pending"; readonly deferred: Deferred.Deferred<unknown, ResourceFailed> }

export interface ResourceHooks {
  readonly acquired: (resource: string, nodeId: string) => void
  readonly released: (resource: string) => void
  readonly called: (resource: string, method: string, nodeId: string) => void
  /** Releasing the resource failed (the other resources are still released). */
  readonly releaseFailed: (error: ResourceFailed) => void
}

export class ResourceRegistry {
  private readonly entries = new Map<string, Entry>()
  /** Per resource, what a guest may call (built on its first call). */
  private readonly callables = new Map<
    string,
    ReadonlyMap<string, (...args: ReadonlyArray<unknown>) => unknown>
  >()
  private names: ReadonlyArray<string> | undefined

  constructor(
    private readonly definitions: { readonly [name: string]: ResourceInput },
    private readonly scope: Scope.Scope,
    private readonly hooks: ResourceHooks
  ) {}

  available(): ReadonlyArray<string> {
    this.names ??= Object.keys(this.definitions).sort()
    return this.names
  }

  acquire(name: string, nodeId: string): Effect.Effect<unknown, ResourceNotFound | ResourceFailed> {
    return Effect.suspend((): Effect.Effect<unknown, ResourceNotFound | ResourceFailed> => {
      const entry = this.entries.get(name)
      if (entry !== undefined) {
        return entry._tag === "ready" ? Effect.succeed(entry.value) : Deferred.await(entry.deferred)
      }
      if (!Object.hasOwn(this.definitions, name)) {
        const available = this.available()
        return Effect.fail(
          new ResourceNotFound({
            resource: name,
            nodeId,
            available: [...available],
            message: `node ${nodeId} asked for resource "${name}", which was not provided; available: ${available.length === 0 ? "(none)" : available.join(", ")}`
          })
        )
      }
      const definition = this.definitions[name]
      if (!isResource(definition)) {
        // a plain value needs no release, but the trace still pairs acquired / released
        this.entries.set(name, { _tag: "ready", value: definition })
        this.hooks.acquired(name, nodeId)
        return Scope.addFinalizer(
          this.scope,
          Effect.sync(() => this.hooks.released(name))
        ).pipe(Effect.as(definition))
      }
      const deferred = Deferred.makeUnsafe<unknown, ResourceFailed>()
      this.entries.set(name, { _tag: "pending", deferred })
      // each resource gets its own scope, closed by one finalizer of the run's scope: releases still
      // run in reverse order of acquisition, and one that fails is recorded, not a defect of the run
      const own = Scope.makeUnsafe()
      const acquisition = Scope.addFinalizerExit(this.scope, (exit) =>
        Scope.close(own, exit).pipe(
          Effect.catchCause((cause) =>
            Effect.sync(() =>
              this.hooks.releaseFailed(
                new ResourceFailed({
                  resource: name,
                  message: `releasing resource "${name}" failed: ${errorMessage(Cause.squash(cause))}`,
                  cause: toJson(Cause.squash(cause))
                })
              )
            )
          ),
          Effect.andThen(
            Effect.sync(() => {
              if (this.entries.get(name)?._tag === "ready") this.hooks.released(name)
            })
          )
        )
      ).pipe(
        Effect.andThen(Scope.provide(definition.acquire, own)),
        Effect.mapError(
          (cause) =>
            new ResourceFailed({
              resource: name,
              message: `acquiring resource "${name}" failed: ${errorMessage(cause)}`,
              cause: toJson(cause)
            })
        ),
        Effect.onExit((exit) =>
          Effect.suspend(() => {
            if (Exit.isSuccess(exit)) {
              this.entries.set(name, { _tag: "ready", value: exit.value })
              this.hooks.acquired(name, nodeId)
              return Deferred.succeed(deferred, exit.value)
            }
            this.entries.delete(name)
            return Deferred.failCause(deferred, exit.cause)
          })
        )
      )
      // the acquisition belongs to the run, not to the node that asked first: a node that times
      // out (or is interrupted) stops waiting, and the others still get the resource
      return Effect.andThen(
        Effect.forkIn(acquisition, this.scope, { startImmediately: true }),
        Deferred.await(deferred)
      )
    })
  }

  call(
    name: string,
    method: string,
    args: ReadonlyArray<Json>,
    nodeId: string,
    called: (resource: string, method: string) => void = (resource, method) =>
      this.hooks.called(resource, method, nodeId)
  ): Effect.Effect<Json | undefined, unknown> {
    return Effect.flatMap(this.acquire(name, nodeId), (resource) => {
      let callable = this.callables.get(name)
      if (callable === undefined) {
        callable = callableMethods(resource, allowedMethods(this.definitions[name]))
        this.callables.set(name, callable)
      }
      const fn = Object.hasOwn(this.definitions, name) ? callable.get(method) : undefined
      if (fn === undefined) {
        const names = [...callable.keys()].sort()
        return Effect.fail(
          new ResourceFailed({
            resource: name,
            message: `node ${nodeId} called "${method}" on resource "${name}", which code nodes may not call; callable: ${names.length === 0 ? "(none)" : names.join(", ")}`,
            cause: null
          })
        )
      }
      called(name, method)
      return callValue(() => fn.apply(resource, [...args]))
    })
  }
}

const isPromiseLike = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as { then?: unknown }).then === "function"

/** Calls a user function returning a value, a Promise or an Effect. */
export const callValue = <A = Json | undefined>(
  call: () => unknown,
  onInterrupt?: () => void
): Effect.Effect<A, unknown> =>
  Effect.suspend(() => {
    let value: unknown
    try {
      value = call()
    } catch (error) {
      return Effect.fail(error)
    }
    if (Effect.isEffect(value)) return value as Effect.Effect<A, unknown>
    if (isPromiseLike(value)) {
      return Effect.callback<A, unknown>((resume) => {
        value.then(
          (a) => resume(Effect.succeed(a as A)),
          (error) => resume(Effect.fail(error))
        )
        if (onInterrupt !== undefined) return Effect.sync(onInterrupt)
      })
    }
    return Effect.succeed(value as A)
  })
