// The real-work marker shared by every Weft package (docs/contracts.md): Effect resolves
// references by key, so this copy and the ones in sandbox/runtime/fixtures are one service.
import { Context, Effect } from "effect"
import type { Owner } from "./suspensions.js"

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
  /**
   * Set for work of unknown nature (a Promise from user code): it may be real I/O or may wait on
   * the region's own clock. `runSeq` is the region's run counter when it began.
   */
  readonly unknown?: { readonly runSeq: number }
  /**
   * Counts the region fibers started on the work's behalf (a Weft API Promise such as
   * `ctx.getResource`, a fixture call): while any is alive the work waits on them, not on I/O.
   */
  readonly owner?: Owner
  /** A fiber suspended on a Promise / I/O callback it started (seen by the region's tracer). */
  readonly suspended?: boolean
}

/** The tracker `@weft/testing` provides: counts operations in flight, remembers their labels. */
export class CountingTracker implements RealWorkTracker {
  readonly inFlight = new Map<number, InFlight>()
  private nextId = 0
  epoch = 0
  constructor(
    private readonly onBegin: () => void,
    private readonly onEnded: () => void
  ) {}

  readonly begin = (label: string): (() => void) =>
    this.add({ label, startedAt: performance.now() })

  /** Marks work that may be real or may wait on the region's clock (see `InFlight.unknown`). */
  beginUnknown(label: string, runSeq: number, owner?: Owner): () => void {
    return this.add({
      label,
      startedAt: performance.now(),
      unknown: { runSeq },
      ...(owner === undefined ? {} : { owner })
    })
  }

  /** Marks a fiber suspended on real work it started (see `internal/suspensions.ts`). */
  beginSuspended(label: string, owner: Owner): () => void {
    return this.add({ label, startedAt: performance.now(), owner, suspended: true })
  }

  private add(op: InFlight): () => void {
    const id = this.nextId++
    this.inFlight.set(id, op)
    this.epoch++
    this.onBegin()
    let ended = false
    return () => {
      if (ended) return
      ended = true
      this.inFlight.delete(id)
      this.epoch++
      this.onEnded()
    }
  }

  /** The oldest operation for which `holds` is true (by default: any). */
  oldest(holds: (op: InFlight) => boolean = () => true): InFlight | undefined {
    let oldest: InFlight | undefined
    for (const op of this.inFlight.values()) {
      if (!holds(op)) continue
      if (oldest === undefined || op.startedAt < oldest.startedAt) oldest = op
    }
    return oldest
  }
}
