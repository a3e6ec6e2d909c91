/**
 * Mutual exclusion by key across processes: at most `limit` holders of a key at once. Backends:
 * {@link memoryBackend} (one process), Redis (`@weft/metered/redis`: token-checked release,
 * leases renewed while the holder runs) and PostgreSQL advisory locks (`@weft/metered/postgres`:
 * a connection held for the holder's run, in a Weft key namespace).
 *
 * A held lock that is lost (its lease could not be renewed, its connection died) interrupts the
 * holder with a typed `LockLost`. Waiting is bounded: past `waitMillis` the caller fails with
 * `LockTimeout`.
 *
 * For workflows, {@link layer} (or {@link limiter}) makes the runtime enforce the node option
 * `concurrency: { key, limit }` on `backend` for task and code nodes alike, through the runtime's
 * `Attempt.ConcurrencyLimiter` hook: one lock per attempt, released during a retry's backoff; a
 * lost lock interrupts the attempt, which fails with `LockLost`.
 * The older {@link guard} enforces the node option `concurrency: { key, limit }` (contract
 * C1 of `@weft/graph`) on task functions: the key template (`"customer:{customerId}"`) is filled
 * from the node's inputs, and the lock is held for one attempt — released before a retry's
 * backoff, taken again by the next attempt.
 *
 * @since 0.1.0
 */
import { ConcurrencyKey } from "@weft/graph"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Result, type Schema, Scope } from "effect"
import { Attempt, type Runtime } from "@weft/runtime"
import { type BackendFailed, InvalidConfig, LockLost, LockTimeout } from "./MeteredError.js"

/**
 * One held slot of a key, as a backend returns it.
 *
 * @example
 * ```ts
 * import type { Lock } from "@weft/metered"
 * import { Effect } from "effect"
 * const handle: Lock.Handle = { renew: Effect.succeed(true), release: Effect.void }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Handle {
  /** Extends the lease; `false` when the lock is no longer ours. */
  readonly renew: Effect.Effect<boolean, BackendFailed>
  readonly release: Effect.Effect<void, BackendFailed>
}

/**
 * A lock backend: tries to take one slot of a key without waiting. `tryAcquire` is interruptible;
 * a slot taken by an interrupted `tryAcquire` must be released by the backend itself (see
 * {@link releaseIfAbandoned}).
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * const backend: Lock.Backend = Lock.memoryBackend()
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Backend {
  readonly name: string
  readonly tryAcquire: (
    key: string,
    slot: number,
    leaseMillis: number
  ) => Effect.Effect<Handle | undefined, BackendFailed>
}

/**
 * For Promise-based backends: call with the `AbortSignal` of `Effect.tryPromise` once a slot is
 * taken. If the Effect was interrupted (the handle will never be delivered), the slot is released.
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * import { Effect } from "effect"
 * const tryAcquire = Effect.tryPromise({
 *   try: async (signal) => {
 *     const handle: Lock.Handle = { renew: Effect.succeed(true), release: Effect.void }
 *     return Lock.releaseIfAbandoned(handle, signal)
 *   },
 *   catch: (e) => e
 * })
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const releaseIfAbandoned = (handle: Handle, signal: AbortSignal): Handle => {
  const release = () => {
    void Effect.runPromise(Effect.ignore(handle.release))
  }
  if (signal.aborted) release()
  else signal.addEventListener("abort", release, { once: true })
  return handle
}

/**
 * How to take a lock.
 *
 * @example
 * ```ts
 * import type { Lock } from "@weft/metered"
 * const options: Lock.Options = { limit: 1, leaseMillis: 10_000, waitMillis: 30_000 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Holders at once (default 1). */
  readonly limit?: number
  /** Lease of a Redis lock, renewed every fifth of it while held (default 30 s): a renewal may run late by most of the lease (a busy event loop) without losing the lock. */
  readonly leaseMillis?: number
  /** Longest wait for a free slot (default 60 s; 0 = do not wait). */
  readonly waitMillis?: number
  /** Poll interval while waiting (default 50 ms). */
  readonly retryMillis?: number
  /** Named in `LockLost` / `LockTimeout` (default `""`). */
  readonly nodeId?: string
}

/**
 * A held lock: `lost` fails with `LockLost` if the lock is lost while held.
 *
 * @example
 * ```ts
 * import type { Lock } from "@weft/metered"
 * const describe = (held: Lock.Held) => `${held.key}#${held.slot}`
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Held {
  readonly key: string
  readonly slot: number
  readonly lost: Effect.Effect<never, LockLost>
}

/**
 * Takes a slot of `key` in the current scope (released when the scope closes), waiting up to
 * `waitMillis`; renews it in the background every `leaseMillis / 5`.
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * import { Effect } from "effect"
 * const backend = Lock.memoryBackend()
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const held = yield* Lock.acquire(backend, "customer:42", { waitMillis: 1_000 })
 *   return held.slot
 * }))
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const acquire = (
  backend: Backend,
  key: string,
  options: Options = {}
): Effect.Effect<Held, LockTimeout | BackendFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const limit = Math.max(1, Math.floor(options.limit ?? 1))
    const lease = options.leaseMillis ?? 30_000
    const wait = options.waitMillis ?? 60_000
    const retry = options.retryMillis ?? 50
    const nodeId = options.nodeId ?? ""
    const started = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    const scope = yield* Effect.scope
    for (;;) {
      for (let slot = 0; slot < limit; slot++) {
        // taking a slot is interruptible (a backend releases what an interrupted take got); once
        // it is ours, registering its release is not
        const held = yield* Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(restore(backend.tryAcquire(key, slot, lease)), (handle) =>
            handle === undefined
              ? Effect.succeed(undefined)
              : Effect.as(Scope.addFinalizer(scope, Effect.ignore(handle.release)), handle)
          )
        )
        if (held !== undefined) {
          const lost = yield* Deferred.make<never, LockLost>()
          const lostError = new LockLost({
            key,
            nodeId,
            message: `lock ${key} (${backend.name}) was lost${nodeId === "" ? "" : ` while ${nodeId} ran`}`
          })
          const renewal = Effect.gen(function* () {
            for (;;) {
              yield* Effect.sleep(Math.max(1, Math.floor(lease / 5)))
              const ok = yield* Effect.orElseSucceed(held.renew, () => false)
              if (!ok) return yield* Deferred.fail(lost, lostError)
            }
          })
          const fiber = yield* Effect.forkIn(renewal, scope)
          yield* Scope.addFinalizer(scope, Fiber.interrupt(fiber))
          return { key, slot, lost: Deferred.await(lost) }
        }
      }
      const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
      if (now - started >= wait) {
        return yield* new LockTimeout({
          key,
          nodeId,
          waited: now - started,
          message: `lock ${key} (${backend.name}, limit ${limit}) not acquired within ${wait}ms${nodeId === "" ? "" : ` by ${nodeId}`}`
        })
      }
      yield* Effect.sleep(Math.min(retry, Math.max(1, wait - (now - started))))
    }
  })

/**
 * Runs `effect` holding a slot of `key`; interrupts it with `LockLost` if the lock is lost.
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * import { Effect } from "effect"
 * const backend = Lock.memoryBackend()
 * const charge = Lock.withLock(backend, "customer:42", Effect.succeed("charged"), { waitMillis: 5_000 })
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const withLock = <A, E, R>(
  backend: Backend,
  key: string,
  effect: Effect.Effect<A, E, R>,
  options: Options = {}
): Effect.Effect<A, E | LockLost | LockTimeout | BackendFailed, R> =>
  Effect.scoped(
    Effect.flatMap(acquire(backend, key, options), (held) => Effect.raceFirst(effect, held.lost))
  )

/**
 * Promise facade of {@link withLock}: `fn` gets an `AbortSignal` that aborts when the lock is lost.
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * const backend = Lock.memoryBackend()
 * const total = await Lock.run(backend, "report", async (signal) => (signal.aborted ? 0 : 42))
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const run = <A>(
  backend: Backend,
  key: string,
  fn: (signal: AbortSignal) => PromiseLike<A>,
  options: Options = {}
): Promise<A> =>
  Effect.runPromiseExit(
    withLock(
      backend,
      key,
      Effect.tryPromise({ try: (signal) => Promise.resolve(fn(signal)), catch: (e) => e }),
      options
    )
  ).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  })

/**
 * An in-process backend (no leases: a holder keeps its slot until it releases it).
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * const backend = Lock.memoryBackend()
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const memoryBackend = (): Backend => {
  const held = new Set<string>()
  return {
    name: "memory",
    tryAcquire: (key, slot) =>
      Effect.sync(() => {
        const id = `${key}#${slot}`
        if (held.has(id)) return undefined
        held.add(id)
        return {
          renew: Effect.sync(() => held.has(id)),
          release: Effect.sync(() => {
            held.delete(id)
          })
        }
      })
  }
}

/**
 * The `concurrency` option of a node (contract C1 of `@weft/graph`).
 *
 * @example
 * ```ts
 * import type { Lock } from "@weft/metered"
 * const option: Lock.Concurrency = { key: "customer:{customerId}", limit: 1 }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Concurrency {
  readonly key: string
  readonly limit: number
}

/**
 * Fills a key template's `{path}` placeholders from `inputs` with `@weft/graph`'s
 * `ConcurrencyKey` (the same reading as every engine: strings as they are, other values as JSON
 * text); throws `InvalidConfig` naming the node and the placeholder that does not resolve.
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * Lock.renderKey("customer:{order.customerId}", { order: { customerId: 42 } }, "charge") // "customer:42"
 * ```
 * @since 0.1.0
 * @category accessors
 */
export const renderKey = (
  template: string,
  inputs: { readonly [name: string]: Schema.Json },
  nodeId: string
): string => {
  const parts = ConcurrencyKey.parse(template)
  if (Result.isFailure(parts)) {
    throw new InvalidConfig({
      path: `nodes.${nodeId}.concurrency.key`,
      message: `node ${nodeId}: concurrency key "${template}": ${parts.failure}`
    })
  }
  const key = ConcurrencyKey.render(parts.success, inputs)
  if (Result.isFailure(key)) {
    const miss = key.failure
    throw new InvalidConfig({
      path: `nodes.${nodeId}.concurrency.key`,
      message: `node ${nodeId}: concurrency key "${template}": {${miss.placeholder}} is not an input of ${nodeId} ('${miss.missing}' not found${miss.at === "" ? "" : ` at ${miss.at}`}; available: ${miss.available.join(", ") || "(none)"})`
    })
  }
  return key.success
}

interface ContextLike {
  readonly nodeId: string
  readonly signal: AbortSignal
}

/**
 * Wraps task functions so every task node with a `concurrency: { key, limit }` option runs each
 * attempt holding a slot of its key on `backend` (nodes without the option run as before). The
 * function's `context.signal` aborts when the lock is lost; the attempt fails with `LockLost`.
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * import { Runtime } from "@weft/runtime"
 * declare const workflow: Runtime.Workflow // a node { kind: "task", id: "charge", function: "charge", concurrency: { key: "customer:{customerId}", limit: 1 } }
 * const functions = Lock.guard(Lock.memoryBackend(), workflow, {
 *   charge: async (inputs: { customerId: string }) => ({ charged: inputs.customerId })
 * }, { waitMillis: 30_000 })
 * const runtime = Runtime.make({ functions })
 * ```
 * @since 0.1.0
 * @category combinators
 */
export const guard = <F extends { readonly [name: string]: Runtime.RegisteredFunction }>(
  backend: Backend,
  workflow: Runtime.Workflow,
  functions: F,
  options: Omit<Options, "limit" | "nodeId"> = {}
): F => {
  const byNode = new Map<string, Concurrency>()
  for (const node of workflow.nodes) {
    const concurrency = (node as { readonly concurrency?: Concurrency }).concurrency
    if (concurrency !== undefined) {
      if (
        typeof concurrency.key !== "string" ||
        !Number.isInteger(concurrency.limit) ||
        concurrency.limit < 1
      ) {
        throw new InvalidConfig({
          path: `nodes.${node.id}.concurrency`,
          message: `node ${node.id}: concurrency must be { key: string, limit: integer >= 1 }`
        })
      }
      byNode.set(node.id, concurrency)
    }
  }
  const out: Record<string, Runtime.RegisteredFunction> = {}
  for (const [name, fn] of Object.entries(functions)) {
    out[name] = ((inputs: unknown, context: ContextLike) => {
      const concurrency = context === undefined ? undefined : byNode.get(context.nodeId)
      const call = fn as (...a: ReadonlyArray<unknown>) => unknown
      if (concurrency === undefined) return call(inputs, context)
      return Effect.suspend(() => {
        let key: string
        try {
          key = renderKey(
            concurrency.key,
            inputs as { readonly [name: string]: Schema.Json },
            context.nodeId
          )
        } catch (error) {
          return Effect.fail(error)
        }
        const controller = new AbortController()
        const guarded = new Proxy(context, {
          get: (target, property) =>
            property === "signal"
              ? AbortSignal.any([target.signal, controller.signal])
              : Reflect.get(target, property, target)
        })
        // called synchronously in the attempt's fiber, so wrappers inside (Meter.functions) see it
        const body = Effect.suspend((): Effect.Effect<unknown, unknown> => {
          let value: unknown
          try {
            value = call(inputs, guarded)
          } catch (error) {
            return Effect.fail(error)
          }
          if (Effect.isEffect(value)) return value as Effect.Effect<unknown, unknown>
          return Effect.callback<unknown, unknown>((resume) => {
            Promise.resolve(value).then(
              (done) => resume(Effect.succeed(done)),
              (error) => resume(Effect.fail(error))
            )
            return Effect.sync(() => controller.abort())
          })
        })
        return withLock(backend, key, body, {
          ...options,
          limit: concurrency.limit,
          nodeId: context.nodeId
        })
      })
    }) as Runtime.RegisteredFunction
  }
  return out as unknown as F
}

/**
 * A `@weft/runtime` concurrency limiter on `backend`: each attempt of a node with
 * `concurrency: { key, limit }` holds a slot of its rendered key (`limit` holders at once) for the
 * attempt only — released before a retry's backoff and while the attempt waits, taken again
 * after. Waiting past `waitMillis` fails the attempt with `LockTimeout`; a lease that cannot be
 * renewed interrupts it with `LockLost`. Both go through the node's retry policy.
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * import { Attempt, Runtime } from "@weft/runtime"
 * import { Effect } from "effect"
 * declare const workflow: Runtime.Workflow
 * const runtime = Runtime.make({})
 * const run = runtime
 *   .execute(workflow)
 *   .pipe(Effect.provideService(Attempt.ConcurrencyLimiter, Lock.limiter(Lock.memoryBackend())))
 * ```
 * @since 0.2.0
 * @category constructors
 */
export const limiter = (
  backend: Backend,
  options: Omit<Options, "limit" | "nodeId"> = {}
): Attempt.Limiter => ({
  take: (request) =>
    Effect.map(
      acquire(backend, request.key, { ...options, limit: request.limit, nodeId: request.nodeId }),
      (held): Attempt.Slot => ({ lost: held.lost })
    )
})

/**
 * {@link limiter} as a layer: provide it to `runtime.execute(...)` (or `meter.execute(...)`) and
 * every `concurrency` option is enforced on `backend`, across every process that uses the same
 * Redis or PostgreSQL.
 *
 * @example
 * ```ts
 * import { Lock } from "@weft/metered"
 * import { lockBackend } from "@weft/metered/redis"
 * import { Runtime } from "@weft/runtime"
 * import { Effect } from "effect"
 * import { Redis } from "ioredis"
 * declare const workflow: Runtime.Workflow
 * const locks = Lock.layer(lockBackend(new Redis()), { leaseMillis: 10_000, waitMillis: 60_000 })
 * const run = Runtime.make({}).execute(workflow).pipe(Effect.provide(locks))
 * ```
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  backend: Backend,
  options: Omit<Options, "limit" | "nodeId"> = {}
): Layer.Layer<never> =>
  Layer.succeed(Attempt.ConcurrencyLimiter)(limiter(backend, options)) as Layer.Layer<never>
