// The real-work marker shared by every Weft package (docs/contracts.md): Effect resolves
// references by key, so this copy and the ones in sandbox/runtime/fixtures are one service.
import { Context, Effect } from "effect"

export interface RealWorkTracker {
  readonly begin: (label: string) => () => void
}

export const RealWork = Context.Reference<RealWorkTracker>("@weft/RealWork", {
  defaultValue: () => ({ begin: () => () => {} })
})

export const withRealWork = <A, E, R>(
  label: string,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.gen(function* () {
    const tracker = yield* RealWork
    return yield* Effect.acquireUseRelease(
      Effect.sync(() => tracker.begin(label)),
      () => effect,
      (end) => Effect.sync(end)
    )
  })

export interface InFlight {
  readonly label: string
  readonly startedAt: number
}

/** The tracker `@weft/testing` provides: counts operations in flight, remembers their labels. */
export class CountingTracker implements RealWorkTracker {
  readonly inFlight = new Map<number, InFlight>()
  private nextId = 0
  epoch = 0
  constructor(
    private readonly onBegin: () => void,
    private readonly onAllEnded: () => void
  ) {}

  readonly begin = (label: string): (() => void) => {
    const id = this.nextId++
    this.inFlight.set(id, { label, startedAt: performance.now() })
    this.epoch++
    this.onBegin()
    let ended = false
    return () => {
      if (ended) return
      ended = true
      this.inFlight.delete(id)
      this.epoch++
      if (this.inFlight.size === 0) this.onAllEnded()
    }
  }

  oldest(): InFlight | undefined {
    let oldest: InFlight | undefined
    for (const op of this.inFlight.values()) {
      if (oldest === undefined || op.startedAt < oldest.startedAt) oldest = op
    }
    return oldest
  }
}
