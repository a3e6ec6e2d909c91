import { execFile } from "node:child_process"
import { readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, type Layer } from "effect"
import { Sandbox } from "../src/index.js"

const drivers: ReadonlyArray<{
  readonly name: string
  readonly make: (options: Sandbox.QuickJsOptions) => Layer.Layer<Sandbox.Sandbox>
}> = [
  {
    name: "in-thread driver",
    make: (options) => Sandbox.layerQuickJsInThreadWith(options)
  },
  { name: "worker-pool driver", make: (options) => Sandbox.layerQuickJs(options) }
]

// A run that waits forever in a host call, signalling once it is suspended there.
const parked = (entered: Deferred.Deferred<void>) =>
  Sandbox.run({
    source: "await park(); return 'never'",
    host: { park: () => Effect.andThen(Deferred.succeed(entered, undefined), Effect.never) }
  })

describe("multiplexed workers", () => {
  it.live("a worker serves other runs while a run is suspended in a host call", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<number>()
      const waiting = yield* Deferred.make<void>()
      // Two runs wait for a value only a third run can produce: with one worker each holding
      // its worker while suspended, the third would never start.
      const waiters = yield* Effect.forkChild(
        Effect.forEach(
          [1, 2],
          () =>
            Sandbox.run({
              source: "return (await waitFor()) * 2",
              host: {
                waitFor: () =>
                  Effect.andThen(Deferred.succeed(waiting, undefined), Deferred.await(gate))
              }
            }),
          { concurrency: "unbounded" }
        )
      )
      yield* Deferred.await(waiting)
      const producer = yield* Sandbox.run({
        source: "await produce(21); return 'produced'",
        host: { produce: (value) => Effect.as(Deferred.succeed(gate, Number(value)), null) }
      }).pipe(Effect.timeout("20 seconds"))
      assert.strictEqual(producer.output, "produced")
      const results = yield* Fiber.join(waiters).pipe(Effect.timeout("20 seconds"))
      assert.deepStrictEqual(
        results.map((result) => result.output),
        [42, 42]
      )
    }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 1 })))
  )

  for (const driver of drivers) {
    it.live(
      `${driver.name}: past maxSuspendedPerWorker a run fails with SandboxSuspendedLimit`,
      () =>
        Effect.gen(function* () {
          const entered = [yield* Deferred.make<void>(), yield* Deferred.make<void>()]
          const fibers = []
          for (const signal of entered) {
            fibers.push(yield* Effect.forkChild(parked(signal)))
            yield* Deferred.await(signal)
          }
          const error = yield* Effect.flip(parked(yield* Deferred.make<void>()))
          assert.strictEqual(error._tag, "SandboxSuspendedLimit")
          if (error._tag === "SandboxSuspendedLimit") {
            assert.strictEqual(error.maxSuspendedPerWorker, 2)
            assert.strictEqual(error.retryable, false)
            expect(error.message).toMatch(/maxSuspendedPerWorker/)
          }
          // Runs that do not suspend still run, and freeing a slot lets a suspending run through.
          assert.strictEqual((yield* Sandbox.run({ source: "return 1" })).output, 1)
          for (const fiber of fibers) yield* Fiber.interrupt(fiber)
          assert.strictEqual((yield* Sandbox.run({ source: "await sleep(1); return 2" })).output, 2)
        }).pipe(Effect.provide(driver.make({ workers: 1, maxSuspendedPerWorker: 2 })))
    )
  }
})

describe("queue time", () => {
  it.live("onStart runs when the run leaves the queue, not when it is submitted", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      const aHasWorker = yield* Deferred.make<void>()
      // The only worker runs A's guest code for 300 ms (A was queued first and never suspends);
      // B must queue until A's step ends.
      const a = yield* Effect.forkChild(
        Sandbox.run({
          source: "const end = Date.now() + 300; while (Date.now() < end) {}; return Date.now()",
          onStart: () =>
            Effect.andThen(
              Effect.sync(() => void events.push("a started")),
              Deferred.succeed(aHasWorker, undefined)
            )
        })
      )
      yield* Deferred.await(aHasWorker)
      const bStarts: Array<{ readonly at: number; readonly queuedMillis: number }> = []
      const b = yield* Sandbox.run({
        source: "return 'b'",
        onStart: (info) =>
          Effect.sync(() => {
            bStarts.push({ at: Date.now(), queuedMillis: info.queuedMillis })
            events.push("b started")
          })
      })
      assert.strictEqual(b.output, "b")
      const aEnded = (yield* Fiber.join(a)).output
      assert.deepStrictEqual(events, ["a started", "b started"])
      assert.strictEqual(bStarts.length, 1)
      const bStart = bStarts[0]
      assert.isDefined(bStart)
      assert.isNumber(aEnded)
      if (bStart !== undefined && typeof aEnded === "number") {
        expect(bStart.at).toBeGreaterThanOrEqual(aEnded) // not before A's guest code finished
        expect(bStart.queuedMillis).toBeGreaterThan(100) // it waited for most of A's 300 ms
      }
    }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 1 })))
  )

  it.live("a guest's time limit counts only its own running time, not the queue", () =>
    Effect.gen(function* () {
      // Four 150 ms runs with a 400 ms limit on one worker: the last waits ~450 ms in the queue.
      const outputs = yield* Effect.forEach(
        [1, 2, 3, 4],
        (n) =>
          Sandbox.run({
            source: "const end = Date.now() + 150; while (Date.now() < end) {}; return n",
            inputs: { n },
            limits: { timeout: 400 }
          }),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(
        outputs.map((result) => result.output),
        [1, 2, 3, 4]
      )
    }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 1 })))
  )
})

describe("out of memory", () => {
  for (const layer of [Sandbox.layerQuickJsInThread, Sandbox.layerQuickJs({ workers: 1 })]) {
    it.live(
      "an endless queue of promise jobs is SandboxMemoryLimit, not a `null` runtime error",
      () =>
        Effect.gen(function* () {
          const error = yield* Effect.flip(
            Sandbox.run({
              source: "for (;;) Promise.resolve().then(() => {})",
              limits: { memoryBytes: 8 * 1024 * 1024 }
            })
          )
          assert.strictEqual(error._tag, "SandboxMemoryLimit")
          // A guest's own `throw null` is still a runtime error.
          const thrown = yield* Effect.flip(Sandbox.run({ source: "throw null" }))
          assert.strictEqual(thrown._tag, "SandboxRuntimeError")
        }).pipe(Effect.provide(layer))
    )
  }
})

describe("the shared sandbox", () => {
  const threads = () => readdirSync("/proc/self/task").length

  it.live("is created once and reused across layers and handles, until closed", () =>
    Effect.gen(function* () {
      assert.strictEqual(
        (yield* Sandbox.run({ source: "return 1" }).pipe(Effect.provide(Sandbox.layerShared)))
          .output,
        1
      )
      const before = threads()
      for (let i = 0; i < 5; i++) {
        const result = yield* Sandbox.run({ source: "return i", inputs: { i } }).pipe(
          Effect.provide(Sandbox.layerShared)
        )
        assert.strictEqual(result.output, i)
      }
      const viaHandle = yield* Effect.promise(() =>
        Sandbox.shared().run({ source: "return 'handle'" })
      )
      assert.strictEqual(viaHandle.output, "handle")
      expect(threads()).toBeLessThanOrEqual(before)
      yield* Effect.promise(() => Sandbox.closeShared())
      for (let i = 0; i < 100 && threads() >= before; i++)
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
      expect(threads()).toBeLessThan(before)
      // Usable again after closing: a new one is created.
      const again = yield* Effect.promise(() => Sandbox.shared().run({ source: "return 2" }))
      assert.strictEqual(again.output, 2)
      yield* Effect.promise(() => Sandbox.closeShared())
    })
  )

  it("lets the process exit after a run without being closed", async () => {
    const entry = fileURLToPath(new URL("../src/index.ts", import.meta.url))
    const script = `import { Sandbox } from ${JSON.stringify(entry)}
const { output } = await Sandbox.shared().run({ source: "return 40 + 2" })
console.log("output", output)`
    const exit = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script],
        { timeout: 60_000, cwd: fileURLToPath(new URL("..", import.meta.url)) },
        (error, stdout) =>
          resolve({ code: error === null ? 0 : (error.code as number | null), stdout })
      )
      child.stdin?.end()
    })
    expect(exit.stdout).toMatch(/output 42/)
    expect(exit.code).toBe(0)
  }, 70_000)

  it.live("interrupting a run on the shared sandbox leaves it usable", () =>
    Effect.gen(function* () {
      const entered = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(parked(entered))
      yield* Deferred.await(entered)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(fiber)))
      assert.strictEqual((yield* Sandbox.run({ source: "return 3" })).output, 3)
      yield* Effect.promise(() => Sandbox.closeShared())
    }).pipe(Effect.provide(Sandbox.layerShared))
  )
})
