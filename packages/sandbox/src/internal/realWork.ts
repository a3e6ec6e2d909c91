import { Context, Effect } from "effect"

/** Tracks real (non-Clock) asynchronous work; `@weft/testing` provides the real tracker. */
export interface RealWorkTracker {
  readonly begin: (label: string) => () => void
}

/** Shared by key with every other package's copy (see docs/contracts.md). */
export const RealWork = Context.Reference<RealWorkTracker>("@weft/RealWork", {
  defaultValue: () => ({ begin: () => () => {} })
})

/** Marks `effect` as real (non-Clock) asynchronous work for the duration of its run. */
export const withRealWork = <A, E, R>(label: string, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const tracker = yield* RealWork
    return yield* Effect.acquireUseRelease(
      Effect.sync(() => tracker.begin(label)),
      () => effect,
      (end) => Effect.sync(end)
    )
  })
