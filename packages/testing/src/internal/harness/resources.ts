// Resources and mocks registered on the harness: acquired in its scope (released LIFO after the
// test), bound to its clock when they are fixtures, and proxied to record the workflow's calls.
import { Fixture } from "@weft/fixtures"
import { Resource } from "@weft/runtime"
import { Effect, Scope } from "effect"
import type { ResourceSource } from "../../Harness.js"
import type { Region } from "../../VirtualTime.js"
import { type ResourceCall, recordingProxy } from "../recording.js"
import type { CallTracked } from "./calls.js"
import { bindFixture, hasAcquire, isPromiseLike, isScopedEffect } from "./sources.js"

export interface Entry {
  readonly value: unknown
  readonly proxy: unknown
  readonly mock: boolean
  readonly calls: Array<ResourceCall>
}

export const makeResources = (
  region: Region,
  resources: Scope.Scope,
  entries: Map<string, Entry>,
  callTracked: CallTracked,
  ensureOpen: (what: string) => void
) => {
  // Acquire and release may do real I/O (connect, listen): tracked like a user function.
  const acquire = <A>(name: string, source: ResourceSource<A>): Effect.Effect<A, unknown> =>
    Effect.suspend((): Effect.Effect<A, unknown> => {
      const tracked = <B>(step: string, thunk: () => B | PromiseLike<B>) =>
        callTracked(`resource ${name} ${step}`, thunk) as Effect.Effect<B, unknown>
      if (Fixture.isMock(source)) return Effect.succeed(source as A)
      if (Resource.isResource(source)) {
        return region.run(Scope.provide(source.acquire, resources)) as Effect.Effect<A, unknown>
      }
      if (isScopedEffect(source)) {
        return region.run(Scope.provide(source, resources)) as Effect.Effect<A, unknown>
      }
      // Acquisition stays interruptible (a hung connect must not hold teardown hostage); a
      // value that arrives after the interruption is released at once.
      const interruptibleAcquire = <B>(
        step: string,
        thunk: () => B | PromiseLike<B>,
        release: (value: B) => unknown
      ) => {
        let abandoned = false
        const guarded = () => {
          const value = thunk()
          if (isPromiseLike(value)) {
            value.then(
              (late) => {
                if (abandoned) void Promise.resolve(release(late)).catch(() => {})
              },
              () => {}
            )
          }
          return value
        }
        return Effect.interruptible(tracked(step, guarded)).pipe(
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              abandoned = true
            })
          )
        )
      }
      const disposeOf = (value: unknown) => {
        const disposable = value as { [Symbol.asyncDispose]?: () => PromiseLike<void> }
        return typeof value === "object" &&
          value !== null &&
          typeof disposable[Symbol.asyncDispose] === "function"
          ? () => disposable[Symbol.asyncDispose]!()
          : undefined
      }
      if (hasAcquire(source)) {
        return region.run(
          Effect.acquireRelease(
            interruptibleAcquire("acquire", source.acquire, source.release),
            (value) => Effect.orDie(tracked("release", () => source.release(value)))
          ).pipe(Scope.provide(resources))
        ) as Effect.Effect<A, unknown>
      }
      if (typeof source === "function") {
        return region.run(
          Effect.acquireRelease(
            interruptibleAcquire("factory", source as () => A | PromiseLike<A>, (value) =>
              disposeOf(value)?.()
            ),
            (value) =>
              Effect.suspend(() => {
                const dispose = disposeOf(value)
                return dispose === undefined
                  ? Effect.void
                  : Effect.orDie(tracked("asyncDispose", dispose))
              })
          ).pipe(Scope.provide(resources))
        ) as Effect.Effect<A, unknown>
      }
      return Effect.succeed(source as A)
    })

  const register = <A>(name: string, source: ResourceSource<A>, mock: boolean) =>
    Effect.gen(function* () {
      ensureOpen(mock ? "mock" : "resource")
      const value = yield* acquire(name, source)
      bindFixture(value, region.fixtureContext)
      const calls: Array<ResourceCall> = []
      // A fixture keeps time on the region's clock and marks its own real I/O; any other
      // object's pending Promise is real work (a real client), so time waits for it.
      const fixture = Fixture.isMock(value)
      const proxy =
        typeof value === "object" && value !== null
          ? recordingProxy(
              name,
              value,
              calls,
              () => region.elapsed(),
              fixture ? undefined : (label) => region.realWork.begin(`resource ${label}`)
            )
          : value
      entries.set(name, { value, proxy, mock: mock || fixture, calls })
      return value
    })

  return { acquire, register }
}
