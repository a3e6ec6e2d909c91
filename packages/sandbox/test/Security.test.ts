import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, assert, beforeAll, describe, expect, it, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { Sandbox, type SandboxError } from "../src/index.js"

// Small limits keep the suite fast; every case must end in the listed value or typed error.
const limits: Partial<Sandbox.Limits> = { timeout: 300, memoryBytes: 32 * 1024 * 1024 }
// Cases about memory, stack or output get time to spare, so a loaded machine cannot turn them into timeouts.
const roomy: Partial<Sandbox.Limits> = { timeout: 5_000, memoryBytes: 32 * 1024 * 1024 }

let canaryHits = 0
let canary: Server
let canaryUrl = ""
beforeAll(async () => {
  canary = createServer((_request, response) => {
    canaryHits++
    response.end("canary")
  })
  await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve))
  canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}/`
})
afterAll(async () => {
  await new Promise<void>((resolve) => canary.close(() => resolve()))
})

type Expected =
  | { readonly output: Sandbox.Json | undefined }
  | {
      readonly error: SandboxError.SandboxError["_tag"]
      readonly name?: string
      readonly message?: RegExp
    }

interface Case {
  readonly name: string
  readonly request: () => Sandbox.RunRequest
  readonly expected: Expected
  /** The in-thread driver is for trusted code: it cannot stop a loop that stays inside one native call. */
  readonly workersOnly?: boolean
}

const unicode = "emoji 😀 CJK 中文 nul \u0000 lone \ud800 \udfff end"
const echo: Sandbox.HostFunction = (value) => Effect.succeed(value ?? null)

const cases: ReadonlyArray<Case> = [
  {
    name: "process is not reachable",
    request: () => ({ source: "return typeof process" }),
    expected: { output: "undefined" }
  },
  {
    name: "process.env throws a ReferenceError",
    request: () => ({ source: "return process.env" }),
    expected: { error: "SandboxRuntimeError", name: "ReferenceError" }
  },
  {
    name: "require is unsupported",
    request: () => ({ source: "const fs = require('fs')" }),
    expected: { error: "SandboxUnsupported" }
  },
  {
    name: "import() is unsupported",
    request: () => ({ source: "await import('node:fs')" }),
    expected: { error: "SandboxUnsupported" }
  },
  {
    name: "a static import is unsupported",
    request: () => ({ source: "import fs from 'node:fs'" }),
    expected: { error: "SandboxUnsupported" }
  },
  {
    name: "globalThis.constructor.constructor('return process')() finds no process",
    request: () => ({ source: "return globalThis.constructor.constructor('return process')()" }),
    expected: { error: "SandboxRuntimeError", name: "ReferenceError", message: /process/ }
  },
  {
    name: "the Function constructor reached through a host function finds no host",
    request: () => ({
      source:
        "return echo.constructor.constructor('return [typeof process, typeof Buffer, typeof echo]')()",
      host: { echo }
    }),
    expected: { output: ["undefined", "undefined", "function"] }
  },
  {
    name: "the Function constructor reached through an input object finds no host",
    request: () => ({
      source:
        "return data.constructor.constructor('return typeof process + typeof globalThis.process')()",
      inputs: { data: { a: 1 } }
    }),
    expected: { output: "undefinedundefined" }
  },
  {
    name: "a host call's returned value carries no host prototype",
    request: () => ({
      source:
        "const v = await echo({ a: 1 })\nreturn v.constructor.constructor('return typeof process')()",
      host: { echo }
    }),
    expected: { output: "undefined" }
  },
  {
    name: "fetch, XMLHttpRequest and WebSocket do not exist (the canary is never hit)",
    request: () => ({
      source:
        "try { await fetch(url) } catch (e) {}\nreturn [typeof fetch, typeof XMLHttpRequest, typeof WebSocket, typeof setTimeout]",
      inputs: { url: canaryUrl }
    }),
    expected: { output: ["undefined", "undefined", "undefined", "undefined"] }
  },
  {
    name: "while(true){} times out",
    request: () => ({ source: "while (true) {}", limits }),
    expected: { error: "SandboxTimeout" }
  },
  {
    name: "a loop after an await times out",
    request: () => ({ source: "await null\nwhile (true) {}", limits }),
    expected: { error: "SandboxTimeout" }
  },
  {
    name: "while(true) await null times out",
    request: () => ({ source: "while (true) await null", limits }),
    expected: { error: "SandboxTimeout" }
  },
  {
    name: "a loop of native calls is stopped by terminating the worker",
    request: () => ({ source: "for (;;) { 'x'.repeat(1e6) }", limits }),
    expected: { error: "SandboxTimeout" },
    workersOnly: true
  },
  {
    name: "a flood of host calls that are never awaited is cut off",
    request: () => ({ source: "for (;;) sleep(1)", limits: roomy }),
    expected: { error: "SandboxRuntimeError", message: /host calls are pending/ }
  },
  {
    name: "a promise that never settles fails at once",
    request: () => ({ source: "await new Promise(() => {})", limits: roomy }),
    expected: { error: "SandboxRuntimeError", name: "NeverSettles" }
  },
  {
    name: "a 1 GB allocation loop hits the memory limit",
    request: () => ({
      source:
        "const chunks = []\nfor (let i = 0; i < 1024; i++) chunks.push(new Uint8Array(1024 * 1024).fill(1))",
      limits: roomy
    }),
    expected: { error: "SandboxMemoryLimit" }
  },
  {
    name: "one huge array hits the memory limit",
    request: () => ({ source: "return new Array(2 ** 28).fill(0).length", limits: roomy }),
    expected: { error: "SandboxMemoryLimit" }
  },
  {
    name: "a loop of typed arrays hits the memory limit",
    request: () => ({
      source: "const all = []\nwhile (true) all.push(new Float64Array(1e6))",
      limits: roomy
    }),
    expected: { error: "SandboxMemoryLimit" }
  },
  {
    name: "one giant typed array is refused",
    request: () => ({ source: "return new Float64Array(2 ** 31).length", limits: roomy }),
    expected: { error: "SandboxRuntimeError", name: "RangeError" }
  },
  {
    name: "string doubling hits the memory limit",
    request: () => ({ source: "let s = 'x'\nwhile (true) s += s", limits: roomy }),
    expected: { error: "SandboxMemoryLimit" }
  },
  {
    name: "deep recursion overflows the stack cleanly",
    request: () => ({
      source: "function down(n) { return down(n + 1) + 1 }\nreturn down(0)",
      limits: roomy
    }),
    expected: { error: "SandboxStackOverflow" }
  },
  {
    name: "ReDoS times out",
    request: () => ({ source: "return /(a+)+$/.test('a'.repeat(40) + 'b')", limits }),
    expected: { error: "SandboxTimeout" }
  },
  {
    name: "a throwing toJSON fails the run with a runtime error",
    request: () => ({ source: "return { toJSON() { throw new Error('evil') } }", limits: roomy }),
    expected: { error: "SandboxRuntimeError", message: /evil/ }
  },
  {
    name: "a looping toJSON times out",
    request: () => ({ source: "return { toJSON() { while (true) {} } }", limits }),
    expected: { error: "SandboxTimeout" }
  },
  {
    name: "an error whose message getter loops is never read",
    request: () => ({
      source: "throw { get message() { while (true) {} }, get name() { while (true) {} } }",
      limits: roomy
    }),
    expected: { error: "SandboxRuntimeError", message: /no readable message/ }
  },
  {
    name: "an Error whose message getter throws is reported without it",
    request: () => ({
      source:
        "const e = new Error('x')\nObject.defineProperty(e, 'message', { get() { throw 1 } })\nthrow e",
      limits: roomy
    }),
    expected: { error: "SandboxRuntimeError", message: /no readable message/ }
  },
  {
    name: "Atomics.wait does not exist",
    request: () => ({
      source: "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)",
      limits: roomy
    }),
    expected: { error: "SandboxRuntimeError", name: "ReferenceError" }
  },
  {
    name: "a 50 MB output is refused without being copied",
    request: () => ({
      source: "return 'x'.repeat(50 * 1024 * 1024)",
      // Generous time: this case is about size, and building 50 MB takes a while on a loaded machine.
      limits: {
        ...limits,
        timeout: 10_000,
        memoryBytes: 256 * 1024 * 1024,
        outputBytes: 1024 * 1024
      }
    }),
    expected: { error: "SandboxOutputTooLarge" }
  },
  {
    name: "a large structured output is refused",
    request: () => ({
      source: "return Array.from({ length: 100000 }, (_, i) => ({ i, text: 'xxxxxxxxxxxxxxxx' }))",
      limits: { ...limits, timeout: 10_000, outputBytes: 64 * 1024 }
    }),
    expected: { error: "SandboxOutputTooLarge" }
  },
  {
    name: "a replaced Promise species cannot forge the run's outcome",
    request: () => ({
      source: [
        "class Fake { constructor(executor) { executor(() => {}, () => {}); return { kind: 'done', output: 'not json{' } } }",
        "Promise.prototype.constructor = { [Symbol.species]: Fake }",
        "return 1"
      ].join("\n")
    }),
    expected: { output: 1 }
  },
  {
    name: "an Object.prototype.then cannot swap the run's outcome for a forged one",
    request: () => ({
      source: [
        "const hijack = function (resolve) {",
        "  delete Object.prototype.then",
        "  if (this.kind === 'done') return resolve({ kind: 'done', output: 'not json{' })",
        "  resolve(this)",
        "  Object.prototype.then = hijack",
        "}",
        "Object.prototype.then = hijack",
        "return 1"
      ].join("\n")
    }),
    expected: { output: 1 }
  },
  {
    name: "Unicode round-trips (emoji, CJK, NUL, lone surrogates)",
    request: () => ({
      source: "return { text, length: text.length }",
      inputs: { text: unicode }
    }),
    expected: { output: { text: unicode, length: unicode.length } }
  },
  {
    name: "empty code returns undefined",
    request: () => ({ source: "" }),
    expected: { output: undefined }
  },
  {
    name: "a syntax error is a SandboxSyntaxError",
    request: () => ({ source: "return (" }),
    expected: { error: "SandboxSyntaxError" }
  },
  {
    name: "a runtime error is a SandboxRuntimeError",
    request: () => ({ source: "null.x" }),
    expected: { error: "SandboxRuntimeError", name: "TypeError" }
  },
  {
    name: "top-level this is the guest's own global, without host objects",
    request: () => ({
      source: "return [this === globalThis, typeof this.process, typeof this.Buffer]"
    }),
    expected: { output: [true, "undefined", "undefined"] }
  }
]

const drivers: ReadonlyArray<{
  readonly name: string
  readonly workers: boolean
  readonly layer: Layer.Layer<Sandbox.Sandbox>
}> = [
  { name: "in-thread driver", workers: false, layer: Sandbox.layerQuickJsInThread },
  { name: "worker-pool driver", workers: true, layer: Sandbox.layerQuickJs({ workers: 2 }) }
]

const check = (
  expected: Expected,
  exit: { readonly output?: unknown; readonly error?: SandboxError.SandboxError }
) => {
  if ("output" in expected) {
    assert.isUndefined(exit.error, `unexpected ${exit.error?._tag}: ${exit.error?.message}`)
    assert.deepStrictEqual(exit.output, expected.output)
    return
  }
  assert.isDefined(
    exit.error,
    `expected ${expected.error}, got output ${JSON.stringify(exit.output)}`
  )
  assert.strictEqual(exit.error?._tag, expected.error, exit.error?.message)
  if (expected.name !== undefined && exit.error?._tag === "SandboxRuntimeError") {
    assert.strictEqual(exit.error.name, expected.name)
  }
  if (expected.message !== undefined) assert.match(exit.error?.message ?? "", expected.message)
}

const attempt = (request: Sandbox.RunRequest) =>
  Sandbox.run(request).pipe(
    Effect.match({
      onSuccess: (result) => ({ output: result.output }),
      onFailure: (error) => ({ error })
    })
  )

const gc = (): void => {
  const collect = (globalThis as { readonly gc?: () => void }).gc
  collect?.()
  collect?.()
}
const usedMemory = (): number => {
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external + usage.arrayBuffers
}

for (const driver of drivers) {
  layer(driver.layer, { timeout: 60_000 })(`security: ${driver.name}`, (it) => {
    for (const testCase of cases) {
      if (testCase.workersOnly === true && !driver.workers) continue
      it.effect(testCase.name, () =>
        Effect.gen(function* () {
          const hitsBefore = canaryHits
          check(testCase.expected, yield* attempt(testCase.request()))
          assert.strictEqual(canaryHits, hitsBefore, "the canary server was reached")
        })
      )
    }

    it.effect(
      "prototype pollution in the guest leaves host prototypes and later runs untouched",
      () =>
        Effect.gen(function* () {
          const seen: Array<unknown> = []
          const polluted = yield* Sandbox.run({
            source: [
              "Object.prototype.polluted = 'yes'",
              "Array.prototype.map = null",
              "JSON.parse = () => 'hijacked'",
              "data.__proto__.viaInput = 1",
              "await take(JSON.stringify({ __proto__: null }) && { ['__proto__']: { viaArgs: 1 } })",
              "return 'done'"
            ].join("\n"),
            inputs: { data: { a: 1 } },
            host: {
              take: (value) =>
                Effect.sync(() => {
                  seen.push(value)
                  return null
                })
            }
          })
          assert.strictEqual(polluted.output, "done")
          const plain: Record<string, unknown> = {}
          assert.isUndefined(plain.polluted)
          assert.isUndefined(plain.viaInput)
          assert.isUndefined(plain.viaArgs)
          assert.isFunction([].map)
          assert.strictEqual(JSON.parse("1"), 1)
          assert.strictEqual(Object.getPrototypeOf(seen[0]), Object.prototype)
          const clean = yield* Sandbox.run({
            source: "return [typeof ({}).polluted, typeof [].map, JSON.parse('2')]"
          })
          assert.deepStrictEqual(clean.output, ["undefined", "function", 2])
        })
    )

    it.effect(
      "the host survives every case and memory returns to its baseline after 300 mixed runs",
      () =>
        Effect.gen(function* () {
          const mixed: ReadonlyArray<Sandbox.RunRequest> = [
            { source: "return items.map((x) => x * 2)", inputs: { items: [1, 2, 3] } },
            { source: "const a = await echo(1); console.log(a); return a", host: { echo } },
            { source: "throw new Error('boom')" },
            { source: "return (" },
            {
              source: "const all = []\nwhile (true) all.push(new Float64Array(1e5))",
              limits: { memoryBytes: 8 * 1024 * 1024 }
            },
            { source: "function down() { return down() + 1 }\nreturn down()" },
            { source: "return 'y'.repeat(300000)", limits: { outputBytes: 1024 } },
            { source: "return { text: '中文 😀'.repeat(1000) }" }
          ]
          const runAll = (times: number) =>
            Effect.forEach(
              Array.from(
                { length: times },
                (_, index) => mixed[index % mixed.length] as Sandbox.RunRequest
              ),
              attempt,
              { discard: true }
            )
          assert.isFunction(
            (globalThis as { readonly gc?: unknown }).gc,
            "run the tests with --expose-gc"
          )
          yield* runAll(24)
          gc()
          const baseline = usedMemory()
          yield* runAll(300)
          gc()
          const after = usedMemory()
          const growth = after - baseline
          expect(growth, `memory grew by ${(growth / 1024 / 1024).toFixed(1)} MiB`).toBeLessThan(
            48 * 1024 * 1024
          )
          assert.strictEqual((yield* Sandbox.run({ source: "return 'alive'" })).output, "alive")
        })
    )
  })
}

describe("canary", () => {
  it("the canary server really counts requests made from the host", async () => {
    const before = canaryHits
    await fetch(canaryUrl).then((response) => response.text())
    expect(canaryHits).toBe(before + 1)
  })
})
