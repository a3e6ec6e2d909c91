// What a suspended fiber waits on. Virtual time may only jump when every fiber of a region waits
// on the Clock or on another fiber (a Deferred, Queue, latch, join — a "Weft wait"); a fiber
// suspended on anything else (a Promise, a socket write, a callback API) is doing real work.
//
// Effect calls the tracer's `context(primitive, fiber)` for every primitive a fiber evaluates
// (`Tracer.context`, public). The region's tracer uses it to watch `Effect.callback` primitives
// (the only way a fiber suspends on something outside the run loop): while their `register`
// runs, an async hook records whether it created any async resource (a Promise from `.then`, a
// TCP connect, a timer, a file request) and wrapped write methods record writes on sockets,
// streams and message ports. If it did and the fiber suspended, the suspension is real work until
// the fiber resumes. If it created nothing it waits on something in-process — another
// fiber, or a callback the harness cannot see; the latter is caught when it resumes from outside
// Effect after virtual time has moved under it (see `onExternalResume`).
//
// Work started from inside a suspension (a Weft API Promise such as `ctx.getResource`, a fixture
// call) runs as fibers of the region; an `Owner` (kept in an AsyncLocalStorage) counts them, and
// while any is alive the suspension waits on them, not on real I/O.
import { AsyncLocalStorage, createHook } from "node:async_hooks"
import { Duplex, Writable } from "node:stream"
import { MessagePort, Worker } from "node:worker_threads"
import { Cause, type Fiber, type Tracer } from "effect"

const identifierKey = "~effect/Effect/identifier"
const evaluateKey = "~effect/Effect/evaluate"
const exitKey = "~effect/Exit"
const YieldSignal: unknown = Symbol.for("effect/Effect/Yield")
const suspensionKey = Symbol.for("@weft/testing/Suspension")
const seenKey = Symbol.for("@weft/testing/Seen")

/** Set on a `register` function whose wait the region already accounts for (its own clock, …). */
export const accounted: unique symbol = Symbol.for("@weft/testing/AccountedWait") as never

/** Tags `register` as accounted for (see {@link accounted}) and returns it. */
export const accountedFor = <F extends Function>(register: F): F => {
  ;(register as unknown as { [accounted]?: boolean })[accounted] = true
  return register
}

/** Who started a piece of work: counts the region fibers started on its behalf. */
export class Owner {
  children = 0
}

export const owners = new AsyncLocalStorage<Owner>()

/**
 * Marks a Promise returned by a Weft API (a fixture call through the harness): awaiting it with
 * `.then` inside a callback's register is a wait on the region, not real work.
 */
export const weftPromise = <A>(promise: Promise<A>): Promise<A> => {
  // biome-ignore lint/suspicious/noThenProperty: a Promise's own `then`, kept a thenable
  Object.defineProperty(promise, "then", {
    configurable: true,
    writable: true,
    value: function (this: Promise<A>, ...args: Parameters<Promise<A>["then"]>) {
      if (probe !== undefined) probe.weft = true
      const [onFulfilled, onRejected] = args
      return quietly(() =>
        Promise.prototype.then.call(
          this,
          typeof onFulfilled === "function"
            ? (value: A) => legitimately(() => onFulfilled(value))
            : onFulfilled,
          typeof onRejected === "function"
            ? (error: unknown) => legitimately(() => onRejected(error))
            : onRejected
        )
      )
    }
  })
  return promise
}

// Set while fibers are being resumed by something the region accounts for (real work ending, a
// Weft Promise settling) — up to the next microtask, so everything that resumption runs
// synchronously (a fiber ending, its observers resuming others) counts as accounted for.
let legitimate = false
let clearing = false
const clearLegitimate = () => {
  legitimate = false
  clearing = false
}
/** Runs `f` as a resumption the region accounts for (see above). */
export const legitimately = <A>(f: () => A): A => {
  legitimate = true
  if (!clearing) {
    clearing = true
    queueMicrotask(clearLegitimate)
  }
  return f()
}

// One process-wide async hook, enabled only while a `register` runs in a region fiber.
interface Probe {
  created: Array<string>
  weft: boolean
}
let probe: Probe | undefined
let probeDepth = 0
let suppressed = 0
// Effect's own bookkeeping (a suspended fiber's async context) and deferred JS callbacks are not
// I/O: what a fiber forked inside a register does is classified when that fiber suspends.
const bookkeeping = new Set(["effect/Fiber", "Microtask", "TickObject"])
const hook = createHook({
  init(_asyncId, type) {
    if (probe !== undefined && suppressed === 0 && !bookkeeping.has(type)) probe.created.push(type)
  }
})

// A write on an open socket usually completes synchronously and creates no async resource; the
// answer then arrives through a listener registered long before (how @effect/sql-pg sends a
// query). So writes made while a register runs count as starting real work too: the write
// methods of streams and message ports are wrapped once, passing straight through otherwise.
let writesPatched = false
const patchWrites = () => {
  if (writesPatched) return
  writesPatched = true
  const patch = (proto: object, method: string, kind: string) => {
    const target = proto as Record<string, unknown>
    const original = target[method]
    if (typeof original !== "function") return
    target[method] = function (this: unknown, ...args: Array<unknown>) {
      if (probe !== undefined && suppressed === 0) probe.created.push(kind)
      return (original as (...a: Array<unknown>) => unknown).apply(this, args)
    }
  }
  patch(Writable.prototype, "write", "stream write")
  if (Duplex.prototype.write !== Writable.prototype.write)
    patch(Duplex.prototype, "write", "socket write")
  patch(MessagePort.prototype, "postMessage", "postMessage")
  patch(Worker.prototype, "postMessage", "postMessage")
}

/** Runs `f` without its async resources counting as real work (the region's own timers). */
export const quietly = <A>(f: () => A): A => {
  suppressed++
  try {
    return f()
  } finally {
    suppressed--
  }
}

/**
 * Fibers started while an `Owner` is current are counted for it until they end. A fiber is only
 * known by its context when it starts (`FiberRuntimeMetrics.recordFiberStart`), and that context
 * may be replaced while it runs, so on its first primitive the owner is bound to the fiber
 * itself (an observer of its end).
 */
export class Attribution {
  private readonly pending = new WeakMap<object, Array<Owner>>()
  constructor(private readonly onEnded: () => void) {}
  start(context: object): void {
    const owner = owners.getStore()
    if (owner === undefined) return
    owner.children++
    const list = this.pending.get(context)
    if (list === undefined) this.pending.set(context, [owner])
    else list.push(owner)
  }
  private take(context: object): Owner | undefined {
    const list = this.pending.get(context)
    if (list === undefined) return undefined
    const owner = list.pop()
    if (list.length === 0) this.pending.delete(context)
    return owner
  }
  /**
   * The fiber's first primitive (every fiber of the region evaluates at least one through its
   * tracer, even one interrupted before it ran): its context is still the one it started with.
   */
  adopt(fiber: Fiber.Fiber<unknown, unknown>): void {
    const owner = this.take(fiber.context)
    if (owner === undefined) return
    fiber.addObserver(() => {
      owner.children--
      this.onEnded()
    })
  }
}

interface Suspension {
  readonly real: boolean
  readonly end: (() => void) | undefined
  readonly at: number
  readonly label: string
}

type Evaluate = (
  primitive: Tracer.EffectPrimitive<unknown>,
  fiber: Fiber.Fiber<unknown, unknown>
) => unknown

export interface SuspensionHooks {
  /** Marks a real suspension; returns the function that ends it. */
  readonly beginReal: (label: string, owner: Owner) => () => void
  /** The region clock's current time. */
  readonly now: () => number
  /** A label for the fiber (its open spans). */
  readonly describe: (fiber: Fiber.Fiber<unknown, unknown>) => string
  /** True while the region itself is resuming fibers (its driver, scheduler). */
  readonly internal: () => boolean
  /** Called once per fiber, on its first primitive. */
  readonly firstSeen: (fiber: Fiber.Fiber<unknown, unknown>) => void
  /** A fiber that waited in-process was resumed from outside Effect after the clock moved. */
  readonly onExternalResume: (label: string, since: number, now: number) => void
}

const isExternalOutcome = (primitive: unknown): boolean => {
  if (typeof primitive !== "object" || primitive === null || !(exitKey in primitive)) return false
  const exit = primitive as unknown as {
    readonly _tag: string
    readonly cause?: Cause.Cause<unknown>
  }
  if (exit._tag === "Success") return true
  return exit.cause !== undefined && !Cause.hasInterrupts(exit.cause)
}

/** The tracer `context` hook of a region: classifies what its fibers suspend on. */
export const makeContextHook = (hooks: SuspensionHooks, inner: Evaluate | undefined): Evaluate => {
  patchWrites()
  let depth = 0
  const run: Evaluate =
    inner ??
    ((primitive, fiber) =>
      (primitive as unknown as Record<string, (f: unknown) => unknown>)[evaluateKey]!.call(
        primitive,
        fiber
      ))
  return (primitive, fiber) => {
    const holder = fiber as unknown as {
      [suspensionKey]?: Suspension | undefined
      [seenKey]?: true
    }
    if (holder[seenKey] === undefined) {
      holder[seenKey] = true
      hooks.firstSeen(fiber)
    }
    const suspended = holder[suspensionKey]
    if (suspended !== undefined) {
      holder[suspensionKey] = undefined
      if (suspended.end !== undefined) {
        suspended.end()
        legitimately(() => undefined)
      } else if (depth === 0 && !legitimate && !hooks.internal() && isExternalOutcome(primitive)) {
        const now = hooks.now()
        if (now > suspended.at) hooks.onExternalResume(suspended.label, suspended.at, now)
      }
    }
    const record = primitive as unknown as Record<string, unknown>
    if (record[identifierKey] !== "Async") {
      depth++
      try {
        return run(primitive, fiber)
      } finally {
        depth--
      }
    }
    const register = record.register as { [accounted]?: boolean } | undefined
    if (register?.[accounted] === true) {
      depth++
      try {
        return run(primitive, fiber)
      } finally {
        depth--
      }
    }
    const mine: Probe = { created: [], weft: false }
    const outer = probe
    const owner = new Owner()
    probe = mine
    if (probeDepth++ === 0) hook.enable()
    depth++
    let result: unknown
    try {
      result = owners.run(owner, () => run(primitive, fiber))
    } finally {
      depth--
      if (--probeDepth === 0) hook.disable()
      probe = outer
    }
    if (result === YieldSignal && holder[suspensionKey] === undefined) {
      const at = hooks.now()
      if (mine.created.length > 0) {
        const kinds = [...new Set(mine.created)].slice(0, 3).join(", ")
        const label = `${hooks.describe(fiber)} awaiting ${kinds}`
        holder[suspensionKey] = { real: true, end: hooks.beginReal(label, owner), at, label }
      } else if (!mine.weft) {
        holder[suspensionKey] = { real: false, end: undefined, at, label: hooks.describe(fiber) }
      }
    }
    return result
  }
}
