/**
 * Response caching for resources: chosen methods of a client are cached by a key derived from
 * the method and its arguments (JSON), with a TTL and explicit invalidation. Concurrent identical
 * calls in one process coalesce into one upstream call. A cache hit makes no upstream call, so
 * wrapped *around* a metered client (`cache.wrap(meter.client(llm, …), …)`) a cached reply
 * costs nothing against a budget. Hits, misses and coalesced calls are counted (`stats()`) and,
 * given a meter, noted in the calling node's trace (`metered.cache` events).
 *
 * Stores: {@link memoryStore} (TTL on the `Clock`, so `TestClock` expires entries), Redis
 * (`@weft/metered/redis`) and PostgreSQL (`@weft/metered/postgres`).
 *
 * @since 0.1.0
 */
import { hash } from "node:crypto"
import { Cause, type Context, Duration, Effect, Exit, Metric } from "effect"
import type { Meter as MeterShape } from "./Meter.js"
import { facade } from "./internal/facade.js"
import { type BackendFailed, InvalidConfig } from "./MeteredError.js"

/**
 * A key-value store with TTLs (values are JSON text).
 *
 * @example
 * ```ts
 * import { Cache } from "@weft/metered"
 * const store: Cache.CacheStore = Cache.memoryStore()
 * ```
 * @since 0.1.0
 * @category models
 */
export interface CacheStore {
  readonly get: (key: string) => Effect.Effect<string | undefined, BackendFailed>
  readonly set: (
    key: string,
    value: string,
    ttlMillis: number
  ) => Effect.Effect<void, BackendFailed>
  /** Deletes every key that starts with `prefix`; returns how many. */
  readonly deletePrefix: (prefix: string) => Effect.Effect<number, BackendFailed>
}

/**
 * An in-process store; entries expire on the `Clock` of the Effect that reads them.
 *
 * @example
 * ```ts
 * import { Cache } from "@weft/metered"
 * import { Effect } from "effect"
 * const store = Cache.memoryStore()
 * await Effect.runPromise(store.set("k", "1", 60_000))
 * await Effect.runPromise(store.get("k")) // "1"
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const memoryStore = (): CacheStore => {
  const entries = new Map<string, { readonly value: string; readonly expiresAt: number }>()
  return {
    get: (key) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const entry = entries.get(key)
          if (entry === undefined) return undefined
          if (entry.expiresAt <= clock.currentTimeMillisUnsafe()) {
            entries.delete(key)
            return undefined
          }
          return entry.value
        })
      ),
    set: (key, value, ttlMillis) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          entries.set(key, { value, expiresAt: clock.currentTimeMillisUnsafe() + ttlMillis })
        })
      ),
    deletePrefix: (prefix) =>
      Effect.sync(() => {
        let deleted = 0
        for (const key of [...entries.keys()]) {
          if (key.startsWith(prefix)) {
            entries.delete(key)
            deleted++
          }
        }
        return deleted
      })
  }
}

/**
 * Counters since the cache was made.
 *
 * @example
 * ```ts
 * import type { Cache } from "@weft/metered"
 * const hitRate = (s: Cache.Stats) => s.hits / Math.max(1, s.hits + s.misses)
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  readonly hits: number
  readonly misses: number
  /** Calls that joined an identical call already in flight (no upstream call of their own). */
  readonly coalesced: number
  /** Upstream calls made. */
  readonly upstream: number
}

/**
 * What to cache on a client.
 *
 * @example
 * ```ts
 * import type { Cache } from "@weft/metered"
 * interface Llm { complete(request: { prompt: string }): Promise<{ text: string }> }
 * const options: Cache.WrapOptions<Llm> = { name: "llm", methods: ["complete"], ttl: "1 hour" }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface WrapOptions<T> {
  /** Namespace of this client's entries (used by `invalidate`). */
  readonly name: string
  readonly methods: ReadonlyArray<keyof T & string>
  readonly ttl: Duration.Input
}

/**
 * A cache (see the module docs).
 *
 * @example
 * ```ts
 * import { Cache } from "@weft/metered"
 * const cache: Cache.Cache = Cache.makeUnsafe({ store: Cache.memoryStore() })
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Cache {
  /** The client with `methods` cached (other members untouched). */
  readonly wrap: <T extends object>(target: T, options: WrapOptions<T>) => T
  /** Drops entries: all of `name`, of one method, or one call (`args`). Returns how many. */
  readonly invalidate: (
    name: string,
    method?: string,
    args?: ReadonlyArray<unknown>
  ) => Promise<number>
  readonly invalidateEffect: (
    name: string,
    method?: string,
    args?: ReadonlyArray<unknown>
  ) => Effect.Effect<number, BackendFailed>
  readonly stats: () => Stats
  /** The store key of one call (for inspection). */
  readonly keyOf: (name: string, method: string, args: ReadonlyArray<unknown>) => string
}

/**
 * Options of `make`.
 *
 * @example
 * ```ts
 * import { Cache, Meter, PriceTable } from "@weft/metered"
 * const options: Cache.Options = { store: Cache.memoryStore(), meter: Meter.makeUnsafe({ prices: PriceTable.example }) }
 * ```
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly store: CacheStore
  /** Notes hits and misses in the calling node's trace. */
  readonly meter?: MeterShape
  /** Key prefix in the store (default `weft:cache:`). */
  readonly prefix?: string
}

/**
 * The metric every cache updates: `weft_cache_requests_total{cache, method, outcome}` with
 * `outcome` one of `hit`, `miss`, `coalesced` (an Effect `Metric` counter, in the registry of the
 * context the cache was made in).
 *
 * @example
 * ```ts
 * import { Cache } from "@weft/metered"
 * import { Effect, Metric } from "effect"
 * const hits = Metric.value(Metric.withAttributes(Cache.requests, { cache: "llm", method: "complete", outcome: "hit" }))
 * ```
 * @since 0.1.0
 * @category models
 */
export const requests = Metric.counter("weft_cache_requests_total", {
  description: "Cached method calls by outcome (hit, miss, coalesced)",
  incremental: true
})

/** JSON with sorted object keys, so `{a,b}` and `{b,a}` are one cache entry. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]])
        )
      : v
  ) ?? "null"

class CacheImpl implements Cache {
  private readonly inFlight = new Map<string, Promise<unknown>>()
  private readonly prefix: string
  private readonly runWith: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
  private counters = { hits: 0, misses: 0, coalesced: 0, upstream: 0 }

  constructor(
    private readonly options: Options,
    context: Context.Context<never>
  ) {
    this.prefix = options.prefix ?? "weft:cache:"
    const run = Effect.runPromiseExitWith(context)
    this.runWith = (effect) =>
      run(effect).then((exit) => {
        if (Exit.isSuccess(exit)) return exit.value
        throw Cause.squash(exit.cause)
      })
  }

  keyOf = (name: string, method: string, args: ReadonlyArray<unknown>): string =>
    `${this.prefix}${name}:${method}:${hash("sha256", canonical(args), "base64url")}`

  stats = (): Stats => ({ ...this.counters })

  invalidateEffect = (
    name: string,
    method?: string,
    args?: ReadonlyArray<unknown>
  ): Effect.Effect<number, BackendFailed> =>
    this.options.store.deletePrefix(
      method === undefined
        ? `${this.prefix}${name}:`
        : args === undefined
          ? `${this.prefix}${name}:${method}:`
          : this.keyOf(name, method, args)
    )

  invalidate = (name: string, method?: string, args?: ReadonlyArray<unknown>): Promise<number> =>
    this.runWith(this.invalidateEffect(name, method, args))

  wrap = <T extends object>(target: T, options: WrapOptions<T>): T => {
    const ttl = Duration.toMillis(Duration.fromInputUnsafe(options.ttl))
    const wrapped: Record<string, unknown> = {}
    const store = this.options.store
    const meter = this.options.meter
    for (const method of options.methods) {
      const upstream = (target as Record<string, unknown>)[method]
      if (typeof upstream !== "function") {
        throw new InvalidConfig({
          path: `cache.${options.name}.${method}`,
          message: `Cache.wrap: the client has no method "${method}" to cache`
        })
      }
      const count = (outcome: "hit" | "miss" | "coalesced") =>
        Metric.update(Metric.withAttributes(requests, { cache: options.name, method, outcome }), 1)
      const counted = { hit: count("hit"), miss: count("miss"), coalesced: count("coalesced") }
      wrapped[method] = (...args: ReadonlyArray<unknown>): Promise<unknown> => {
        const key = this.keyOf(options.name, method, args)
        // the caller (node) is read now, while it is known; notes are written later
        const note = (outcome: "hit" | "miss" | "coalesced") =>
          meter === undefined
            ? Effect.void
            : meter.note({ type: "metered.cache", outcome, cache: options.name, method })
        const noteHit = Effect.andThen(note("hit"), counted.hit)
        const noteMiss = Effect.andThen(note("miss"), counted.miss)
        const noteCoalesced = Effect.andThen(note("coalesced"), counted.coalesced)
        const pending = this.inFlight.get(key)
        if (pending !== undefined) {
          this.counters.coalesced++
          return this.runWith(noteCoalesced).then(() => pending)
        }
        const counters = this.counters
        const call = this.runWith(
          Effect.gen(function* () {
            const cached = yield* store.get(key)
            if (cached !== undefined) {
              counters.hits++
              yield* noteHit
              return JSON.parse(cached) as unknown
            }
            counters.misses++
            counters.upstream++
            yield* noteMiss
            const reply = yield* Effect.tryPromise({
              try: () =>
                Promise.resolve(
                  (upstream as (...a: Array<unknown>) => unknown).apply(target, [...args])
                ),
              catch: (error) => error
            })
            let text: string | undefined
            try {
              text = JSON.stringify(reply)
            } catch {
              text = undefined
            }
            if (text === undefined) {
              return yield* new InvalidConfig({
                path: `cache.${options.name}.${method}`,
                message: `${options.name}.${method} returned a reply JSON cannot hold; only JSON replies can be cached`
              })
            }
            yield* store.set(key, text, ttl)
            return reply
          })
        ).finally(() => {
          this.inFlight.delete(key)
        })
        this.inFlight.set(key, call)
        return call
      }
    }
    return facade(target, wrapped)
  }
}

/**
 * Creates a cache bound to the current context (its `Clock` drives the memory store's TTLs).
 *
 * @example
 * ```ts
 * import { Cache } from "@weft/metered"
 * import { Effect } from "effect"
 * const program = Effect.gen(function* () {
 *   const cache = yield* Cache.make({ store: Cache.memoryStore() })
 *   const llm = cache.wrap({ complete: async (prompt: string) => ({ text: prompt }) }, {
 *     name: "llm", methods: ["complete"], ttl: "10 minutes"
 *   })
 *   return yield* Effect.promise(() => llm.complete("hi"))
 * })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Cache> =>
  Effect.map(Effect.context<never>(), (context) => new CacheImpl(options, context))

/**
 * Creates a cache on the live Clock (for Promise code).
 *
 * @example
 * ```ts
 * import { Cache } from "@weft/metered"
 * const cache = Cache.makeUnsafe({ store: Cache.memoryStore() })
 * const api = cache.wrap({ rates: async (base: string) => ({ base, eur: 1.1 }) }, { name: "fx", methods: ["rates"], ttl: "1 minute" })
 * await api.rates("USD")
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeUnsafe = (options: Options): Cache => Effect.runSync(make(options))
