import { assert, describe, expect, it, layer } from "@effect/vitest"
import { readdirSync } from "node:fs"
import { Clock, Context, Deferred, Effect, Exit, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Sandbox, SandboxError } from "../src/index.js"

// The real-work marker is resolved by key; this copy stands in for @weft/testing's tracker.
interface RealWorkTracker {
  readonly begin: (label: string) => () => void
}
const RealWork = Context.Reference<RealWorkTracker>("@weft/RealWork", {
  defaultValue: () => ({ begin: () => () => {} })
})

// Waits (in real time) for a worker thread to answer; never used to wait for Clock time.
const realPause = (ms: number) =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * Drives TestClock until the forked run finishes, for runs whose sleeps sit behind worker round
 * trips. Bounded by real time, not by a count of steps, so a slow worker on a loaded machine
 * cannot leave the run asleep for ever.
 */
const driveClock = <A, E>(fiber: Fiber.Fiber<A, E>, step: number) =>
  Effect.gen(function* () {
    const giveUpAt = Date.now() + 20_000
    while (fiber.pollUnsafe() === undefined && Date.now() < giveUpAt) {
      yield* realPause(2)
      yield* TestClock.adjust(step)
    }
    return yield* Fiber.join(fiber)
  })

const drivers: ReadonlyArray<{
  readonly name: string
  readonly layer: Layer.Layer<Sandbox.Sandbox>
}> = [
  { name: "in-thread driver", layer: Sandbox.layerQuickJsInThread },
  { name: "worker-pool driver", layer: Sandbox.layerQuickJs({ workers: 2 }) }
]

for (const driver of drivers) {
  layer(driver.layer, { timeout: 30_000 })(driver.name, (it) => {
    const run = (request: Sandbox.RunRequest) => Sandbox.run(request)
    const fail = (request: Sandbox.RunRequest) => Effect.flip(Sandbox.run(request))

    it.effect("returns `result` when the code assigns it, else the return value", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual((yield* run({ source: "result = { ok: true }" })).output, {
          ok: true
        })
        assert.deepStrictEqual((yield* run({ source: "return [1, 2, 3]" })).output, [1, 2, 3])
        assert.strictEqual(
          (yield* run({ source: "result = 'assigned'; return 'returned'" })).output,
          "assigned"
        )
        assert.deepStrictEqual(
          (yield* run({ source: "const result = [1]\nresult.push(2)" })).output,
          [1, 2]
        )
        assert.strictEqual(
          (yield* run({ source: "if (true) { let result = 1 }" })).output,
          undefined
        )
        assert.strictEqual((yield* run({ source: "const x = 1" })).output, undefined)
        assert.strictEqual((yield* run({ source: "" })).output, undefined)
      })
    )

    it.effect("binds inputs as variables and supports top-level await", () =>
      Effect.gen(function* () {
        const result = yield* run({
          source: "await null\nreturn items.map((item) => item.price * rate)",
          inputs: { items: [{ price: 2 }, { price: 5 }], rate: 10 }
        })
        assert.deepStrictEqual(result.output, [20, 50])
      })
    )

    it.effect("rejects input names that cannot be variables with SandboxInvalidInput", () =>
      Effect.gen(function* () {
        for (const name of ["a-b", "1st", "class", "result", "__weft_inputs"]) {
          const error = yield* fail({ source: "return 1", inputs: { [name]: 1 } })
          assert.strictEqual(error._tag, "SandboxInvalidInput")
          if (error._tag === "SandboxInvalidInput") assert.strictEqual(error.input, name)
        }
      })
    )

    it.effect("rejects inputs that are not JSON with SandboxInvalidInput", () =>
      Effect.gen(function* () {
        const cyclic: Record<string, unknown> = {}
        cyclic.self = cyclic
        for (const value of [Number.NaN, new Date(0), cyclic, () => 1, undefined]) {
          const inputs = { value } as unknown as Sandbox.RunRequest["inputs"]
          const error = yield* fail({
            source: "return value",
            ...(inputs === undefined ? {} : { inputs })
          })
          assert.strictEqual(error._tag, "SandboxInvalidInput")
        }
      })
    )

    it.effect(
      "runs host functions in the caller's fiber, so sleep follows the caller's TestClock",
      () =>
        Effect.gen(function* () {
          const sleeping = yield* Deferred.make<void>()
          const fiber = yield* Effect.forkChild(
            run({
              // sleep() and sleeping() start in this order, so the sleep is registered before the signal.
              source:
                "const start = await now()\nconst nap = sleep(60000)\nawait sleeping()\nawait nap\nreturn (await now()) - start",
              host: {
                now: () => Clock.currentTimeMillis,
                sleeping: () => Deferred.succeed(sleeping, undefined)
              }
            })
          )
          yield* Deferred.await(sleeping)
          yield* TestClock.adjust(60_000)
          const result = yield* Fiber.join(fiber)
          assert.strictEqual(result.output, 60_000)
        })
    )

    it.effect("throws a failing host call into the guest with the error's _tag and message", () =>
      Effect.gen(function* () {
        const result = yield* run({
          source:
            "try { await charge(5) } catch (error) { return [error instanceof Error, error.name, error.message] }",
          host: { charge: () => Effect.fail({ _tag: "CardDeclined", message: "card declined" }) }
        })
        assert.deepStrictEqual(result.output, [true, "CardDeclined", "card declined"])
      })
    )

    it.effect(
      "fails with SandboxHostCallFailed carrying the original host error when the guest does not catch it",
      () =>
        Effect.gen(function* () {
          const original = { _tag: "RateLimited", message: "slow down", retryAfter: 250 }
          const error = yield* fail({
            source: "const a = await ok()\nawait limited(a)",
            host: { ok: () => Effect.succeed(1), limited: () => Effect.fail(original) },
            label: "charge-node"
          })
          assert.strictEqual(error._tag, "SandboxHostCallFailed")
          if (error._tag === "SandboxHostCallFailed") {
            assert.strictEqual(error.function, "limited")
            assert.strictEqual(error.cause, original)
            assert.strictEqual(error.label, "charge-node")
            assert.include(error.message, "slow down")
          }
        })
    )

    it.effect("passes only JSON through host calls, both ways", () =>
      Effect.gen(function* () {
        const seen: Array<ReadonlyArray<Sandbox.Json>> = []
        const result = yield* run({
          source:
            "const back = await echo({ a: [1, 'two', null] }, undefined, () => 1)\nreturn [back, typeof back]",
          host: {
            echo: (...args) => {
              seen.push(args)
              return Effect.succeed(args[0] ?? null)
            }
          }
        })
        assert.deepStrictEqual(seen, [[{ a: [1, "two", null] }, null, null]])
        assert.deepStrictEqual(result.output, [{ a: [1, "two", null] }, "object"])
      })
    )

    it.effect(
      "gives getResource a non-thenable proxy whose method calls go through the bridge",
      () =>
        Effect.gen(function* () {
          const calls: Array<string> = []
          const resources: Sandbox.ResourceBridge = {
            acquire: (name) =>
              name === "db"
                ? Effect.sync(() => void calls.push(`acquire ${name}`))
                : Effect.fail({ _tag: "UnknownResource", message: `no ${name}` }),
            call: (name, method, args) =>
              Effect.sync(() => {
                calls.push(`${name}.${method}(${JSON.stringify(args)})`)
                return { rows: [{ id: 1 }] }
              })
          }
          const result = yield* run({
            source: [
              "const db = await getResource('db')",
              "const found = await db.query('select 1', [2])",
              "let missing",
              "try { await getResource('cache') } catch (error) { missing = error.name }",
              "return { found, thenType: typeof db.then, missing }"
            ].join("\n"),
            resources
          })
          assert.deepStrictEqual(result.output, {
            found: { rows: [{ id: 1 }] },
            thenType: "undefined",
            missing: "UnknownResource"
          })
          assert.deepStrictEqual(calls, ["acquire db", 'db.query(["select 1",[2]])'])
        })
    )

    it.effect("captures console.log lines, bounded by limits.logLines", () =>
      Effect.gen(function* () {
        const result = yield* run({
          source:
            "console.log('hello', { n: 1 }, [2]); for (let i = 0; i < 10; i++) console.info('line', i)",
          limits: { logLines: 3 }
        })
        assert.deepStrictEqual(result.logs, [
          'hello {"n":1} [2]',
          "line 0",
          "line 1",
          "… 8 more log lines dropped"
        ])
      })
    )

    it.effect("keeps NUL, lone surrogates, emoji and CJK intact in log lines", () =>
      Effect.gen(function* () {
        const text = "a\u0000b \ud800 😀 中文"
        const result = yield* run({ source: "console.log(text)", inputs: { text } })
        assert.deepStrictEqual(result.logs, [text])
      })
    )

    it.effect("reports syntax errors with the line they are on", () =>
      Effect.gen(function* () {
        const error = yield* fail({ source: "const a = 1\nconst b = ;" })
        assert.strictEqual(error._tag, "SandboxSyntaxError")
        if (error._tag === "SandboxSyntaxError") assert.strictEqual(error.line, 2)
      })
    )

    it.effect("rejects code that closes the function it is wrapped in", () =>
      Effect.gen(function* () {
        const error = yield* fail({ source: "return 1 })(); (async () => {" })
        assert.strictEqual(error._tag, "SandboxSyntaxError")
      })
    )

    it.effect(
      "reports an uncaught guest throw as SandboxRuntimeError with name, message and line",
      () =>
        Effect.gen(function* () {
          const error = yield* fail({ source: "const a = 1\n\nthrow new TypeError('bad ' + a)" })
          assert.strictEqual(error._tag, "SandboxRuntimeError")
          if (error._tag === "SandboxRuntimeError") {
            assert.strictEqual(error.name, "TypeError")
            assert.strictEqual(error.message, "bad 1")
            assert.strictEqual(error.line, 3)
          }
        })
    )

    it.effect("rejects host functions that would replace console, require or getResource", () =>
      Effect.gen(function* () {
        const resources: Sandbox.ResourceBridge = {
          acquire: () => Effect.void,
          call: () => Effect.succeed(null)
        }
        for (const name of ["console", "require", "getResource", "a-b"]) {
          const error = yield* fail({
            source: "return 1",
            host: { [name]: () => Effect.succeed(1) },
            resources
          })
          assert.strictEqual(error._tag, "SandboxInvalidInput")
          if (error._tag === "SandboxInvalidInput") assert.strictEqual(error.input, `host.${name}`)
        }
      })
    )

    it.effect("keeps the logs written before a failure on the error", () =>
      Effect.gen(function* () {
        const error = yield* fail({
          source: "console.log('step 1')\nthrow new Error('step 2 failed')"
        })
        assert.strictEqual(error._tag, "SandboxRuntimeError")
        if (error._tag === "SandboxRuntimeError") assert.deepStrictEqual(error.logs, ["step 1"])
      })
    )

    it.effect("rejects limits that are not positive numbers", () =>
      Effect.gen(function* () {
        const error = yield* fail({ source: "return 1", limits: { timeout: -1 } })
        assert.strictEqual(error._tag, "SandboxInvalidInput")
      })
    )

    it.effect(
      "stops the guest and frees it when the calling fiber is interrupted during a host call",
      () =>
        Effect.gen(function* () {
          const entered = yield* Deferred.make<void>()
          const interrupted = yield* Deferred.make<void>()
          const fiber = yield* Effect.forkChild(
            run({
              source: "await wait(); return 1",
              host: {
                wait: () =>
                  Deferred.succeed(entered, undefined).pipe(
                    Effect.andThen(Effect.never),
                    Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
                  )
              }
            })
          )
          yield* Deferred.await(entered)
          yield* Fiber.interrupt(fiber)
          yield* Deferred.await(interrupted)
          assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(fiber)))
          assert.strictEqual(
            (yield* run({ source: "return 'still working'" })).output,
            "still working"
          )
        })
    )

    it.effect("marks engine round trips as real work, and never a host callback", () =>
      Effect.gen(function* () {
        let active = 0
        let begun = 0
        const activeInCallbacks: Array<number> = []
        const tracker: RealWorkTracker = {
          begin: () => {
            active++
            begun++
            return () => void active--
          }
        }
        const result = yield* run({
          source: "const a = await probe(); await sleep(10); return a + await probe()",
          host: {
            probe: () =>
              Effect.sync(() => {
                activeInCallbacks.push(active)
                return 1
              })
          }
        }).pipe(
          Effect.provideService(RealWork, tracker),
          Effect.forkChild,
          Effect.flatMap((fiber) => driveClock(fiber, 10))
        )
        assert.strictEqual(result.output, 2)
        assert.deepStrictEqual(activeInCallbacks, [0, 0])
        assert.strictEqual(active, 0)
        assert.isAtLeast(begun, 1)
      })
    )
  })
}

describe("Sandbox.layerQuickJs (worker pool)", () => {
  it.live("terminates a worker that overshoots its deadline in native code, and replaces it", () =>
    Effect.gen(function* () {
      const started = Date.now()
      const error = yield* Effect.flip(
        Sandbox.run({ source: "for (;;) { 'x'.repeat(1e6) }", limits: { timeout: 300 } })
      )
      assert.strictEqual(error._tag, "SandboxTimeout")
      // Not the ~40 s a native-heavy loop overshoots by without termination (room for a loaded machine).
      expect(Date.now() - started).toBeLessThan(10_000)
      assert.strictEqual((yield* Sandbox.run({ source: "return 'replaced'" })).output, "replaced")
    }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 1 })))
  )

  it.live("stops a busy guest at once when the calling fiber is interrupted", () =>
    Effect.gen(function* () {
      const running = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(
        Sandbox.run({
          source: "await running()\nwhile (true) {}",
          host: { running: () => Deferred.succeed(running, undefined) },
          limits: { timeout: 20_000 }
        })
      )
      yield* Deferred.await(running) // the guest is in its loop (or about to be), not still queued
      const started = Date.now()
      yield* Fiber.interrupt(fiber)
      expect(Date.now() - started).toBeLessThan(2_000)
      assert.strictEqual((yield* Sandbox.run({ source: "return 2" })).output, 2)
    }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 1 })))
  )

  it.live("cancels a run queued behind a busy worker at once when its fiber is interrupted", () =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<void>()
      const busy = yield* Effect.forkChild(
        Sandbox.run({
          source: "await started()\nwhile (true) {}",
          host: { started: () => Deferred.succeed(started, undefined) },
          limits: { timeout: 20_000 }
        })
      )
      yield* Deferred.await(started) // the only worker is now busy for up to 20 s
      const queued = yield* Effect.forkChild(Sandbox.run({ source: "return 'queued'" }))
      yield* realPause(50)
      const interruptedAt = Date.now()
      yield* Fiber.interrupt(queued)
      expect(Date.now() - interruptedAt).toBeLessThan(5_000)
      yield* Fiber.interrupt(busy)
      assert.strictEqual((yield* Sandbox.run({ source: "return 3" })).output, 3)
    }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 1 })))
  )

  it.live("terminates every worker thread when the layer is released", () =>
    Effect.gen(function* () {
      // Linux: one entry per OS thread of this process; each worker thread adds at least one.
      const threads = () => readdirSync("/proc/self/task").length
      const useAPool = Effect.scoped(
        Effect.gen(function* () {
          const context = yield* Layer.build(Sandbox.layerQuickJs({ workers: 2 }))
          yield* Sandbox.run({ source: "return 1" }).pipe(Effect.provide(context))
        })
      )
      // Warm up first, so thread pools Node creates lazily (libuv, V8) already exist.
      yield* useAPool
      yield* realPause(200)
      const before = threads()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const context = yield* Layer.build(Sandbox.layerQuickJs({ workers: 2 }))
          yield* Effect.forEach(
            [1, 2, 3, 4],
            () => Sandbox.run({ source: "await sleep(20); return 1" }),
            {
              concurrency: 4
            }
          ).pipe(Effect.provide(context))
          expect(threads()).toBeGreaterThanOrEqual(before + 2)
        })
      )
      for (let i = 0; i < 100 && threads() > before; i++) yield* realPause(20)
      expect(threads()).toBeLessThanOrEqual(before)
    })
  )

  it.live("runs more requests than workers by queueing them", () =>
    Effect.gen(function* () {
      const outputs = yield* Effect.forEach(
        [1, 2, 3, 4, 5, 6],
        (n) =>
          Effect.map(
            Sandbox.run({ source: "await sleep(5); return n * n", inputs: { n } }),
            (r) => r.output
          ),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(outputs, [1, 4, 9, 16, 25, 36])
    }).pipe(Effect.provide(Sandbox.layerQuickJs({ workers: 2 })))
  )
})

describe("Sandbox.checkSyntax", () => {
  it("accepts a valid body with top-level await and return", () => {
    expect(Sandbox.syntaxMessage("const a = await f()\nreturn a")).toBeUndefined()
    expect(Sandbox.checkSyntaxSync("return 1")).toBeUndefined()
    expect(Effect.runSync(Sandbox.Sandbox.checkSyntax("return 1"))).toBeUndefined()
  })
  it("names the line and column of a syntax error in the user's own source", () => {
    expect(Sandbox.syntaxMessage("const a = 1\nconst b = ;")).toMatch(/^line 2, column 11: /)
    const error = Sandbox.checkSyntaxSync("const a = 1\n  a ==== 2", { label: "n1" })
    expect(error).toMatchObject({ _tag: "SandboxSyntaxError", label: "n1", line: 2, column: 8 })
  })
  it("puts an unclosed block at the end of the user's last line, not in the wrapper", () => {
    const error = Sandbox.checkSyntaxSync("if (x) {\n  foo(1)")
    expect(error).toMatchObject({ line: 2, column: 9 })
  })
  it("fails the Effect form with SandboxSyntaxError carrying line and column", () => {
    const error = Effect.runSync(Effect.flip(Sandbox.checkSyntax("return (1\n+", { label: "n2" })))
    expect(error._tag).toBe("SandboxSyntaxError")
    expect(error.label).toBe("n2")
    expect(error.line).toBe(2)
    expect(error.column).toBeTypeOf("number")
  })
  it("checks loop conditions as an expression or else a body", () => {
    expect(
      Sandbox.checkSyntaxSync("iteration >= 3 || outputs.check.ok", { as: "condition" })
    ).toBeUndefined()
    expect(
      Sandbox.checkSyntaxSync("const n = outputs.a\nreturn n > 1", { as: "condition" })
    ).toBeUndefined()
    expect(Sandbox.checkSyntaxSync("iteration >=", { as: "condition" })?.line).toBe(1)
  })
  it("rejects a body that escapes its wrapper", () => {
    expect(Sandbox.syntaxMessage("return 1 })(); (async () => {")).toMatch(
      /function body on its own/
    )
  })
  it("rejects import statements", () => {
    expect(Sandbox.syntaxMessage("import fs from 'node:fs'")).toMatch(
      /import statements are not available/
    )
  })
  it("reports the same line and column when a run fails to parse", async () => {
    const error: unknown = await Sandbox.runPromise(
      { source: "const a = 1\n  a ==== 2" },
      { driver: "in-thread" }
    ).catch((e: unknown) => e)
    expect(error).toMatchObject({ _tag: "SandboxSyntaxError", line: 2, column: 8 })
  })
})

describe("Sandbox.isValidInputName", () => {
  it("accepts identifiers and rejects names that are not", () => {
    expect(Sandbox.isValidInputName("items")).toBe(true)
    expect(Sandbox.isValidInputName("$rate_2")).toBe(true)
    expect(Sandbox.isValidInputName("1items")).toBe(false)
    expect(Sandbox.isValidInputName("a-b")).toBe(false)
    expect(Sandbox.isValidInputName("await")).toBe(false)
  })
})

describe("Promise facade", () => {
  it("runPromise runs one request with Promise-returning host functions", async () => {
    const result = await Sandbox.runPromise(
      {
        source: "return await twice(a)",
        inputs: { a: 21 },
        host: { twice: async (n) => Number(n) * 2 }
      },
      { driver: "in-thread" }
    )
    expect(result).toEqual({ output: 42, logs: [] })
  })

  it("make returns a handle that rejects with typed errors and closes its workers", async () => {
    const sandbox = Sandbox.make({ workers: 1 })
    try {
      expect((await sandbox.run({ source: "return 'ok'" })).output).toBe("ok")
      const error: unknown = await sandbox
        .run({ source: "throw new RangeError('nope')" })
        .catch((e: unknown) => e)
      expect(SandboxError.isSandboxError(error)).toBe(true)
      expect(error).toMatchObject({
        _tag: "SandboxRuntimeError",
        name: "RangeError",
        message: "nope"
      })
    } finally {
      await sandbox.close()
    }
  })
})
