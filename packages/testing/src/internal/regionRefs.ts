// Context references every region kind shares, and the run that joins an enclosing region.
import { Clock, Context, Effect } from "effect"
import type { Leaks, Measured, Mode, Timing } from "../VirtualTime.js"

export interface RegionMarker {
  readonly mode: Mode
}

// Set in `fixtureContext`: the fiber runs a fixture call.
export const FixtureCall = Context.Reference<boolean>("@weft/testing/FixtureCall", {
  defaultValue: () => false
})

export const ActiveRegion = Context.Reference<RegionMarker | undefined>(
  "@weft/testing/VirtualTimeRegion",
  {
    defaultValue: () => undefined
  }
)

export const noLeaks: Leaks = { fibers: 0, timers: 0, realWork: [] }

/** Runs `effect` inside an enclosing region: it simply joins that region's clock. */
export const inheritedRun = <A, E, R>(effect: Effect.Effect<A, E, R>, mode: Mode) =>
  Effect.gen(function* () {
    const realStart = performance.now()
    const start = yield* Clock.currentTimeMillis
    const value = yield* effect
    const end = yield* Clock.currentTimeMillis
    const timing: Timing = {
      mode,
      virtualMs: end - start,
      realMs: performance.now() - realStart,
      advances: 0
    }
    return { value, timing, leaks: noLeaks } satisfies Measured<A>
  })
