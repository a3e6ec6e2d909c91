// The virtual-time driver's errors (re-exported, documented, from `VirtualTime`).
import { Schema } from "effect"

export const formatMs = (ms: number): string =>
  Number.isInteger(ms) ? `${ms}ms` : `${ms.toFixed(3)}ms`

/**
 * Every fiber of the program waits on something nobody will provide: nothing can run, no real
 * work is in flight and no timer is pending. `waiting` lists the innermost open spans.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Deferred, Effect } from "effect"
 * const stuck = Effect.flatMap(Deferred.make<void>(), Deferred.await)
 * VirtualTime.run(stuck) // fails with VirtualTimeDeadlock at virtual t=0ms
 * ```
 * @since 0.1.0
 * @category errors
 */
export class VirtualTimeDeadlock extends Schema.TaggedError<VirtualTimeDeadlock>()(
  "VirtualTimeDeadlock",
  {
    at: Schema.Number,
    waiting: Schema.Array(Schema.String),
    message: Schema.String
  }
) {}

/**
 * The run passed `maxAdvances` or `maxVirtualTime` — usually an endless periodic timer
 * (a poller or watchdog) hiding a program that will never finish.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * VirtualTime.run(Effect.forever(Effect.sleep("1 second")), { maxAdvances: 100 })
 * // fails with VirtualTimeLimitExceeded (limit: "advances")
 * ```
 * @since 0.1.0
 * @category errors
 */
export class VirtualTimeLimitExceeded extends Schema.TaggedError<VirtualTimeLimitExceeded>()(
  "VirtualTimeLimitExceeded",
  {
    limit: Schema.Literals(["advances", "virtual-time"]),
    at: Schema.Number,
    advances: Schema.Number,
    waiting: Schema.Array(Schema.String),
    message: Schema.String
  }
) {}

/**
 * A real operation marked with `withRealWork` stayed in flight longer than `realWorkTimeout`.
 * Virtual time is frozen while real work runs, so this is what stops a stuck one.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * import { Effect } from "effect"
 * const hang = VirtualTime.withRealWork("db:query", Effect.never)
 * VirtualTime.run(hang, { realWorkTimeout: "1 second" }) // fails naming "db:query"
 * ```
 * @since 0.1.0
 * @category errors
 */
export class RealWorkStuck extends Schema.TaggedError<RealWorkStuck>()("RealWorkStuck", {
  label: Schema.String,
  elapsedMs: Schema.Number,
  at: Schema.Number,
  message: Schema.String
}) {}

/**
 * A fiber waiting on something the harness could not see (a callback API that started no async
 * resource of its own, e.g. an event on an already-open socket) was resumed from outside Effect
 * after virtual time had moved on under it: a timeout or sleep may have fired early. The message
 * names the fiber (its open spans) and the virtual interval, and says how to fix it.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * const isUnobserved = (e: VirtualTime.VirtualTimeError) => e._tag === "RealWorkUnobserved"
 * ```
 * @since 0.2.0
 * @category errors
 */
export class RealWorkUnobserved extends Schema.TaggedError<RealWorkUnobserved>()(
  "RealWorkUnobserved",
  {
    label: Schema.String,
    from: Schema.Number,
    to: Schema.Number,
    message: Schema.String
  }
) {}

/**
 * Any failure raised by the virtual-time driver itself.
 *
 * @example
 * ```ts
 * import { VirtualTime } from "@weft/testing"
 * const isDriverError = (e: VirtualTime.VirtualTimeError) => e._tag === "VirtualTimeDeadlock"
 * ```
 * @since 0.1.0
 * @category errors
 */
export type VirtualTimeError =
  | VirtualTimeDeadlock
  | VirtualTimeLimitExceeded
  | RealWorkStuck
  | RealWorkUnobserved
