import { assert, describe, it } from "@effect/vitest"
import { Sandbox } from "../src/index.js"
import { Deferred, Effect, Fiber, Option } from "effect"

const current = Effect.map(Sandbox.stats, (stats) =>
  Option.getOrThrowWith(stats, () => new Error("the sandbox reports no stats"))
)

/** Polls the stats until `done` holds (a state the runs reach, not a duration); fails after 30 s. */
const until = (done: (stats: Sandbox.Stats) => boolean) =>
  Effect.gen(function* () {
    for (;;) {
      const stats = yield* current
      if (done(stats)) return stats
      yield* Effect.sleep(2)
    }
  }).pipe(
    Effect.timeoutOrElse({
      duration: 30_000,
      orElse: () =>
        Effect.flatMap(current, (stats) =>
          Effect.die(new Error(`stats never reached the state: ${JSON.stringify(stats)}`))
        )
    })
  )

describe("Sandbox.stats", () => {
  it.live("a 1-worker pool running one run with two waiting reports busy 1 and queued 2", () =>
    Effect.gen(function* () {
      const idle = yield* until((stats) => stats.workers === 1)
      assert.deepStrictEqual(idle, { workers: 1, busy: 0, suspended: 0, queued: 0 })
      const spinning = yield* Effect.forkChild(
        Sandbox.run({ source: "for (;;) {}", limits: { timeout: 60_000 } }),
        { startImmediately: true }
      )
      yield* until((stats) => stats.busy === 1)
      const waiting = yield* Effect.forEach([1, 2], (n) =>
        Effect.forkChild(Sandbox.run({ source: `return ${n}` }), { startImmediately: true })
      )
      const full = yield* until((stats) => stats.queued === 2)
      assert.deepStrictEqual(full, { workers: 1, busy: 1, suspended: 0, queued: 2 })
      yield* Fiber.interrupt(spinning)
      const outputs = yield* Fiber.joinAll(waiting)
      assert.deepStrictEqual(
        outputs.map((result) => result.output),
        [1, 2]
      )
      const after = yield* until((stats) => stats.busy === 0 && stats.queued === 0)
      assert.strictEqual(after.suspended, 0)
    }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 1 })))
  )

  it.live("a run parked in a host call counts as suspended, not busy", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<number>()
      const run = yield* Effect.forkChild(
        Sandbox.run({
          source: "return await hold()",
          host: { hold: () => Deferred.await(gate) }
        }),
        { startImmediately: true }
      )
      const parked = yield* until((stats) => stats.suspended === 1)
      assert.deepStrictEqual(parked, { workers: 1, busy: 0, suspended: 1, queued: 0 })
      yield* Deferred.succeed(gate, 7)
      assert.strictEqual((yield* Fiber.join(run)).output, 7)
      yield* until((stats) => stats.suspended === 0 && stats.busy === 0)
    }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 1 })))
  )

  it.live("the in-thread driver reports its one thread and its suspended runs", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<number>()
      const run = yield* Effect.forkChild(
        Sandbox.run({ source: "return await hold()", host: { hold: () => Deferred.await(gate) } }),
        { startImmediately: true }
      )
      const parked = yield* until((stats) => stats.suspended === 1)
      assert.deepStrictEqual(parked, { workers: 1, busy: 0, suspended: 1, queued: 0 })
      yield* Deferred.succeed(gate, 1)
      yield* Fiber.join(run)
      assert.deepStrictEqual(yield* current, { workers: 1, busy: 0, suspended: 0, queued: 0 })
    }).pipe(Effect.provide(Sandbox.layerQuickJsInThreadWith({ maxSuspendedPerWorker: 4 })))
  )
})
