import { MockHttp, TestCache } from "@weft/fixtures"
import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { Effect, Schema } from "effect"
import * as net from "node:net"
import { describe, expect, it } from "vitest"
import { Harness, VirtualTime, workflowTest } from "../src/index.js"

class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  message: Schema.String
}) {}

const noRetryJitter = { jitter: "none" } as const

const withHarness = async <A>(
  f: (harness: Harness.Harness) => Promise<A>,
  options?: Harness.Options
): Promise<A> => {
  const harness = await Harness.create(options)
  try {
    return await f(harness)
  } finally {
    await harness.close()
  }
}

describe("harness.execute", () => {
  workflowTest(
    "runs a workflow on virtual time and reports virtual and real durations",
    async ({ harness }) => {
      const wf = Workflow.make("slow")
        .code("wait", "await sleep(600000); return { done: true }")
        .build()
      const result = await harness.execute(wf)
      harness.assertWorkflowSuccess(result)
      harness.assertNodeOutput(result, "wait", true, "done")
      expect(result.timing.virtualMs).toBe(600_000)
      expect(result.timing.realMs).toBeLessThan(5_000)
      expect(harness.now()).toBe(600_000)
    }
  )

  workflowTest("keeps one clock across executions in a test", async ({ harness }) => {
    const wf = Workflow.make("tick").code("wait", "await sleep(1000); return 1").build()
    await harness.execute(wf)
    const second = await harness.execute(wf)
    expect(second.startedAt).toBe(1000)
    expect(harness.now()).toBe(2000)
  })

  workflowTest("executeMany runs executions concurrently on one clock", async ({ harness }) => {
    const wf = Workflow.make("item").code("work", "await sleep(10); return { id: item_id }").build()
    const results = await harness.executeMany(
      Array.from({ length: 20 }, (_, i) => ({ workflow: wf, params: { work: { item_id: i } } }))
    )
    expect(results.map((r) => r.outputs.work)).toEqual(
      Array.from({ length: 20 }, (_, id) => ({ id }))
    )
    expect(harness.now()).toBe(10)
    expect(harness.results()).toHaveLength(20)
  })

  it("a harness concurrency limit spans all its executions", async () => {
    await withHarness(
      async (harness) => {
        // the task holds its permit for the whole second (it executes; it does not wait)
        harness.registerFunction("work", () => Effect.as(Effect.sleep("1 second"), 1))
        const wf = Workflow.make("one").task("work").build()
        const results = await harness.executeMany([
          { workflow: wf },
          { workflow: wf },
          { workflow: wf }
        ])
        expect(harness.now()).toBe(3000)
        expect(results.map((r) => r.nodes.work?.queuedMillis ?? 0).sort()).toEqual([0, 1000, 2000])
        harness.assertMaxConcurrency(1, results)
      },
      { concurrency: 1 }
    )
  })

  it("a guest wait gives the harness's permit back: waits overlap, execution does not", async () => {
    await withHarness(
      async (harness) => {
        // `sleep` is a wait (no permit held); the host call `busy` executes for 500 ms
        harness.registerFunction("busy", () => Effect.as(Effect.sleep("500 millis"), 1))
        const wf = Workflow.make("waits")
          .code("work", "await sleep(1000); return await busy()")
          .build()
        const results = await harness.executeMany([
          { workflow: wf },
          { workflow: wf },
          { workflow: wf }
        ])
        // the three sleeps overlap (0–1000 ms), then the busy halves run one at a time
        expect(harness.now()).toBe(2500)
        expect(results.map((r) => r.duration).sort()).toEqual([1500, 2000, 2500])
        for (const result of results) {
          expect(result.trace.map((e) => e.type)).toContain("node-waiting")
          expect(result.trace.map((e) => e.type)).toContain("node-resumed")
        }
        // counted like the limit: from node-started to the end, minus node-waiting … node-resumed
        harness.assertMaxConcurrency(1, results)
        // the wait spans are what make it 1: counted start to end, all three overlap
        const whole = results.map((r) => ({
          ...r,
          trace: r.trace.filter((e) => e.type !== "node-waiting" && e.type !== "node-resumed")
        }))
        expect(() => harness.assertMaxConcurrency(1, whole)).toThrow(/saw 3/)
      },
      { concurrency: 1 }
    )
  })

  workflowTest("advance moves the clock and runs what is due", async ({ harness }) => {
    await harness.advance("90 seconds")
    expect(harness.now()).toBe(90_000)
  })
})

describe("harness resources", () => {
  it("registers values, factories, acquire/release pairs and scoped effects; releases LIFO", async () => {
    const log: Array<string> = []
    await withHarness(async (harness) => {
      const config = await harness.resource("config", { region: "eu" })
      const db = await harness.resource("db", {
        acquire: async () => {
          log.push("open db")
          return { query: async (sql: string) => [{ sql }] }
        },
        release: async () => {
          log.push("close db")
        }
      })
      await harness.resource(
        "cache",
        Effect.acquireRelease(
          Effect.sync(() => {
            log.push("open cache")
            return { get: (key: string) => key.length }
          }),
          () => Effect.sync(() => log.push("close cache"))
        )
      )
      harness.addCleanup(() => log.push("cleanup"))
      expect(harness.getResource("config")).toBe(config)
      expect(harness.getResource("db")).toBe(db)
      expect(harness.isMock("db")).toBe(false)
      expect(log).toEqual(["open db", "open cache"])
    })
    expect(log).toEqual(["open db", "open cache", "cleanup", "close cache", "close db"])
  })

  workflowTest("records the calls a code node makes through getResource", async ({ harness }) => {
    const http = await harness.mock("http", {
      get: async (path: string) => ({ status: 200, data: `payload of ${path}` })
    })
    expect(harness.isMock("http")).toBe(true)
    const wf = Workflow.make("api")
      .code(
        "fetch_api",
        `const http = await getResource("http")
         const response = await http.get("/api/data")
         return { api_data: response.data }`
      )
      .build()
    const result = await harness.execute(wf)
    harness.assertNodeOutput(result, "fetch_api", "payload of /api/data", "api_data")
    harness.assertResourceCalled("http", "get", { times: 1, with: ["/api/data"] })
    harness.assertResourceNotCalled("http", "post")
    expect(harness.calls("http", "get")[0]).toMatchObject({
      method: "get",
      args: ["/api/data"],
      at: 0
    })
    expect(http.get).toBeTypeOf("function")
  })

  workflowTest(
    "assertResourceCalled fails listing the calls that were made",
    async ({ harness }) => {
      await harness.mock("payments", {
        post: async (_path: string, _body: unknown) => ({ id: "ch_1" })
      })
      const wf = Workflow.make("pay")
        .code(
          "charge",
          `const payments = await getResource("payments")
         return await payments.post("/charges", { amount: 100 })`
        )
        .build()
      await harness.execute(wf)
      expect(() =>
        harness.assertResourceCalled("payments", "post", { times: 2 })
      ).toThrowErrorMatchingInlineSnapshot(`
      [AssertionFailed: assertResourceCalled: expected payments.post to be called 2 times, it was called 1 time
      calls to payments:
        #1 [0ms] post("/charges", {"amount":100})]
    `)
      expect(() =>
        harness.assertResourceCalled("payments", "post", { with: ["/refunds"] })
      ).toThrow(
        /expected payments.post with \("\/refunds"\) to be called at least once, it was called 0 times/
      )
      expect(() => harness.assertResourceNotCalled("payments")).toThrow(
        /expected payments not to be called, it was called 1 time/
      )
      expect(() => harness.assertResourceCalled("nope", "get")).toThrow(
        'assertResourceCalled: no resource "nope"; registered: payments'
      )
    }
  )
})

describe("harness functions", () => {
  workflowTest(
    "registered functions serve task nodes and code-node host calls",
    async ({ harness }) => {
      let attempts = 0
      harness.registerFunction("flaky_operation", async () => {
        attempts++
        if (attempts < 3) throw new ConnectionError({ message: "Temporary failure" })
        return { success: true, attempts }
      })
      harness.registerFunction("double", (inputs: { readonly n: number }) => ({ n: inputs.n * 2 }))
      const wf = Workflow.make("retry_test")
        .code(
          "retry_operation",
          `for (let attempt = 0; attempt < 3; attempt++) {
           try { return await flaky_operation() }
           catch (e) { if (attempt === 2) throw e; await sleep(100 * 2 ** attempt) }
         }`
        )
        .task("twice", "double")
        .connect("retry_operation", "attempts", "twice", "n")
        .build()
      const result = await harness.execute(wf)
      harness.assertWorkflowSuccess(result)
      harness.assertNodeOutput(result, "retry_operation", { success: true, attempts: 3 })
      harness.assertNodeOutput(result, "twice", 6, "n")
      expect(result.duration).toBe(300)
    }
  )
})

describe("fault injection", () => {
  workflowTest(
    "failNode fails the first attempts and the node's retry policy recovers",
    async ({ harness }) => {
      const wf = Workflow.make("charge")
        .code("charge", "return { id: 'ch_1' }", {
          retry: Policy.exponential({ base: "200 millis", maxAttempts: 5, ...noRetryJitter })
        })
        .build()
      harness.failNode("charge", new ConnectionError({ message: "reset by peer" }), { times: 2 })
      const result = await harness.execute(wf)
      harness.assertWorkflowSuccess(result)
      harness.assertRetried("charge", 2)
      harness.assertExecutionCount("charge", 3)
      expect(harness.faultsInjected("charge")).toBe(2)
      expect(result.duration).toBe(600)
      harness.assertNodeOutput(result, "charge", "ch_1", "id")
    }
  )

  workflowTest(
    "failNode without times exhausts the retries with the injected error",
    async ({ harness }) => {
      const wf = Workflow.make("charge")
        .task("charge", {
          retry: Policy.fixed({ delay: "1 second", maxAttempts: 3, ...noRetryJitter })
        })
        .build()
      harness.registerFunction("charge", () => ({ id: "never" }))
      harness.failNode("charge", new ConnectionError({ message: "down" }))
      const result = await harness.execute(wf)
      harness.assertWorkflowFailure(result, { node: "charge", tag: "ConnectionError" })
      harness.assertExecutionCount("charge", 3)
      expect(result.duration).toBe(2000)
    }
  )

  workflowTest(
    "failNode reaches the retry policy even when the task's function is not registered",
    async ({ harness }) => {
      const wf = Workflow.make("charge")
        .task("charge", {
          retry: Policy.fixed({ delay: "1 second", maxAttempts: 3, ...noRetryJitter })
        })
        .build()
      harness.failNode("charge", new ConnectionError({ message: "down" }))
      const result = await harness.execute(wf)
      harness.assertWorkflowFailure(result, { node: "charge", tag: "ConnectionError" })
      harness.assertExecutionCount("charge", 3)
      expect(result.duration).toBe(2000)
    }
  )

  workflowTest(
    "timeoutNode makes attempts hang until the real node timeout fires",
    async ({ harness }) => {
      const wf = Workflow.make("slow")
        .code("fetch", "return 42", {
          timeout: "5 seconds",
          retry: Policy.fixed({ delay: "1 second", maxAttempts: 3, ...noRetryJitter })
        })
        .build()
      harness.timeoutNode("fetch", { times: 1 })
      const result = await harness.execute(wf)
      harness.assertWorkflowSuccess(result)
      harness.assertRetried("fetch", 1)
      expect(result.duration).toBe(6000)
      expect(
        result.trace.some((e) => e.type === "node-retrying" && e.error === "NodeTimedOut")
      ).toBe(true)
    }
  )

  workflowTest(
    "failNode and mockNode on a code node: injected failures are retried on the clock, a mock skips the run",
    async ({ harness }) => {
      const wf = Workflow.make("fetch")
        .code("fetch", "return 42", {
          timeout: "5 seconds",
          retry: Policy.fixed({ delay: "1 second", maxAttempts: 3, ...noRetryJitter })
        })
        .build()
      harness.failNode("fetch", new ConnectionError({ message: "down" }), { times: 2 })
      const result = await harness.execute(wf)
      harness.assertWorkflowSuccess(result)
      harness.assertNodeOutput(result, "fetch", 42)
      harness.assertRetried("fetch", 2)
      expect(result.duration).toBe(2000)
      expect(
        result.trace.filter((e) => e.type === "node-started").map((e) => [e.at, e.attempt])
      ).toEqual([
        [0, 1],
        [1000, 2],
        [2000, 3]
      ])
      harness.mockNode("fetch", 7)
      const mocked = await harness.execute(wf)
      harness.assertNodeOutput(mocked, "fetch", 7)
      expect(mocked.duration).toBe(0)
    }
  )

  workflowTest("mockNode replaces a node's output without running it", async ({ harness }) => {
    const wf = Workflow.make("pipeline")
      .task("extract", "extractRows")
      .code("count", "return rows.length")
      .connect("extract", "rows", "count", "rows")
      .build()
    harness.mockNode("extract", { rows: [1, 2, 3] })
    const result = await harness.execute(wf)
    harness.assertWorkflowSuccess(result)
    harness.assertNodeOutput(result, "count", 3)
  })

  workflowTest(
    "delayNode delays attempts on the clock, which can trip a timeout",
    async ({ harness }) => {
      const wf = Workflow.make("late")
        .code("report", "return 'ok'", { timeout: "2 seconds" })
        .build()
      harness.delayNode("report", "3 seconds")
      const result = await harness.execute(wf)
      harness.assertWorkflowFailure(result, { node: "report", tag: "NodeTimedOut" })
      expect(result.duration).toBe(2000)
      harness.clearFaults("report")
      const again = await harness.execute(wf)
      harness.assertWorkflowSuccess(again)
    }
  )
})

describe("deadlocks and stuck work", () => {
  workflowTest(
    "a workflow waiting on an event that never comes hits the runtime's deadlock watchdog fast",
    async ({ harness }) => {
      const wf = Workflow.make("stuck")
        .code("listener", "const event = await nextEvent(); return event")
        .deadlockTimeout("5 seconds")
        .build()
      const started = performance.now()
      const result = await harness.execute(wf)
      expect(performance.now() - started).toBeLessThan(5_000)
      harness.assertWorkflowFailure(result)
      expect(result.timing.virtualMs).toBeGreaterThanOrEqual(5000)
    }
  )
})

describe("determinism", () => {
  it("retries, timeouts and parallel branches produce the same trace on every run", async () => {
    const wf = Workflow.make("mixed")
      .code("a", "await sleep(300); return 1")
      .code("b", "await sleep(100); return 2", {
        retry: Policy.exponential({ base: "150 millis", maxAttempts: 4, ...noRetryJitter })
      })
      .code("c", "await sleep(5000); return 3", { timeout: "1 second" })
      .code("d", "return a + b")
      .connect("a", "", "d", "a")
      .connect("b", "", "d", "b")
      .continueOnFailure()
      .build()
    const traces = new Set<string>()
    for (let i = 0; i < 10; i++) {
      await withHarness(async (harness) => {
        harness.failNode("b", new ConnectionError({ message: "flaky" }), { times: 2 })
        const result = await harness.execute(wf, {}, { executionId: "fixed" })
        traces.add(JSON.stringify(result.trace))
      })
    }
    expect(traces.size).toBe(1)
  })
})

describe("sandbox choices", () => {
  it("a shared in-thread sandbox serves every harness and is not a leak", async () => {
    const wf = Workflow.make("w").code("wait", "await sleep(1000); return 42").build()
    for (let i = 0; i < 3; i++) {
      await withHarness(
        async (harness) => {
          const result = await harness.execute(wf)
          harness.assertNodeOutput(result, "wait", 42)
          expect(result.duration).toBe(1000)
        },
        { sandbox: "shared" }
      )
    }
  })

  it("drives virtual time around worker round trips", async () => {
    await withHarness(
      async (harness) => {
        const wf = Workflow.make("w")
          .code("wait", "await sleep(60000); return [1, 2].map((x) => x * 2)")
          .build()
        const result = await harness.execute(wf)
        harness.assertNodeOutput(result, "wait", [2, 4])
        expect(result.timing.virtualMs).toBe(60_000)
      },
      { sandbox: "workers" }
    )
  })
})

// A real asynchronous operation the harness is not told about (a real API, a real timer).
const realCall = <A>(ms: number, value: A) =>
  new Promise<A>((resolve) => setTimeout(() => resolve(value), ms))

describe("real work", () => {
  workflowTest(
    "a registered task function's pending Promise holds virtual time still: no false node timeout",
    async ({ harness }) => {
      harness.registerFunction("fetchRates", () => realCall(40, { eur: 1.1 }))
      const wf = Workflow.make("rates").task("fetch", "fetchRates", { timeout: "1 second" }).build()
      const result = await harness.execute(wf)
      harness.assertWorkflowSuccess(result)
      harness.assertNodeOutput(result, "fetch", 1.1, "eur")
      expect(result.duration).toBe(0)
      expect(result.timing.realMs).toBeGreaterThanOrEqual(35)
    }
  )

  workflowTest(
    "a registered function's real work with no timer pending is not taken for a deadlock",
    async ({ harness }) => {
      harness.registerFunction("fetchRates", () => realCall(40, { eur: 1.1 }))
      const result = await harness.execute(Workflow.make("rates").task("fetchRates").build())
      harness.assertNodeOutput(result, "fetchRates", 1.1, "eur")
    }
  )

  workflowTest(
    "a host function called from a code node holds virtual time while its Promise is pending",
    async ({ harness }) => {
      harness.registerFunction("fetchRates", () => realCall(40, { eur: 1.1 }))
      const wf = Workflow.make("rates")
        .code("fetch", "return await fetchRates()", { timeout: "1 second" })
        .build()
      const result = await harness.execute(wf)
      harness.assertNodeOutput(result, "fetch", 1.1, "eur")
      expect(result.duration).toBe(0)
    }
  )

  workflowTest(
    "a registered function awaiting a fixture's virtual delay lets time advance (and time out)",
    async ({ harness }) => {
      const http = await harness.mock(
        "http",
        MockHttp.make().on("GET", "/rates").delay("30 seconds").reply(200, { eur: 1.1 })
      )
      harness.registerFunction("fetchRates", async () => (await http.get("/rates")).body)
      const slow = Workflow.make("rates").task("fetch", "fetchRates").build()
      const result = await harness.execute(slow)
      harness.assertNodeOutput(result, "fetch", 1.1, "eur")
      expect(result.duration).toBe(30_000)
      const impatient = Workflow.make("rates")
        .task("fetch", "fetchRates", { timeout: "5 seconds" })
        .build()
      const timedOut = await harness.execute(impatient)
      harness.assertWorkflowFailure(timedOut, { node: "fetch", tag: "NodeTimedOut" })
      expect(timedOut.duration).toBe(5_000)
    }
  )

  workflowTest(
    "a resource whose async acquire takes real time is not taken for a deadlock",
    async ({ harness }) => {
      const db = await harness.resource("db", {
        acquire: () => realCall(40, { query: async () => [] as Array<unknown> }),
        release: () => realCall(20, undefined)
      })
      const cache = await harness.resource("cache", () => realCall(40, { get: () => null }))
      expect(harness.getResource("db")).toBe(db)
      expect(harness.getResource("cache")).toBe(cache)
    }
  )

  workflowTest(
    "a real client's pending call holds virtual time still, so a node timeout does not fire under it",
    async ({ harness }) => {
      await harness.resource("api", {
        get: () => new Promise((resolve) => setTimeout(() => resolve({ ok: true }), 30))
      })
      const wf = Workflow.make("real")
        .code("call", `const api = await getResource("api"); return await api.get()`, {
          timeout: "10 millis"
        })
        .build()
      const result = await harness.execute(wf)
      harness.assertWorkflowSuccess(result)
      expect(result.duration).toBe(0)
      expect(result.timing.realMs).toBeGreaterThanOrEqual(25)
    }
  )

  it("a stuck real operation fails fast, naming it", async () => {
    await withHarness(
      async (harness) => {
        harness.registerFunction("charge", () =>
          VirtualTime.withRealWork("payments-api POST /charges", Effect.never)
        )
        const error = await harness
          .execute(Workflow.make("stuck").task("charge").build())
          .catch((e: unknown) => e)
        expect(error).toMatchObject({ _tag: "RealWorkStuck", label: "payments-api POST /charges" })
      },
      { time: { realWorkTimeout: "100 millis" }, leakCheck: false }
    )
  })
})

// Concurrent tests: one holds a server (released at its end) while the other one ends.
let serverListening: () => void = () => {}
const listening = new Promise<void>((resolve) => {
  serverListening = resolve
})
describe.concurrent("leak check with concurrent tests", () => {
  workflowTest("holds a server while a concurrent test ends", async ({ harness }) => {
    await harness.resource("server", {
      acquire: () =>
        new Promise<net.Server>((resolve) => {
          const s = net.createServer().listen(0, "127.0.0.1", () => resolve(s))
        }),
      release: (s) => new Promise<void>((resolve) => s.close(() => resolve()))
    })
    serverListening()
    await realCall(400, undefined)
  })

  workflowTest("does not blame another test's open server on this harness", async ({ harness }) => {
    await listening
    expect(harness.results()).toHaveLength(0)
  })
})

describe("leak check", () => {
  it("fails close() when a fiber started by the workflow outlives the test", async () => {
    const harness = await Harness.create()
    harness.registerFunction("spawn", () =>
      Effect.as(Effect.forkDetach(Effect.forever(Effect.sleep("1 second"))), "spawned")
    )
    await harness.execute(Workflow.make("leaky").task("spawn").build())
    await expect(harness.close()).rejects.toThrow(
      /leak check: 1 thing outlived the test:\n {2}- 1 fiber still running, 1 virtual timer still pending/
    )
  })

  it("fails close() when a server is left listening", async () => {
    const harness = await Harness.create()
    const server = net.createServer().listen(0, "127.0.0.1")
    await new Promise((resolve) => server.once("listening", resolve))
    try {
      await expect(harness.close()).rejects.toMatchObject({
        _tag: "LeakDetected",
        leaks: ["1 TCPServerWrap handle(s) still open (a server not closed)"]
      })
    } finally {
      server.close()
    }
  })

  it("passes when everything was released", async () => {
    const harness = await Harness.create()
    const server = await harness.resource("server", {
      acquire: () =>
        new Promise<net.Server>((resolve) => {
          const s = net.createServer().listen(0, "127.0.0.1", () => resolve(s))
        }),
      release: (s) => new Promise<void>((resolve) => s.close(() => resolve()))
    })
    expect(server.listening).toBe(true)
    await expect(harness.close()).resolves.toBeUndefined()
  })

  it("can be turned off", async () => {
    const harness = await Harness.create({ leakCheck: false })
    harness.registerFunction("spawn", () => Effect.forkDetach(Effect.never))
    await harness.execute(Workflow.make("leaky").task("spawn").build())
    await expect(harness.close()).resolves.toBeUndefined()
  })

  it("names the real work a still-running execution waited on (why a test timed out)", async () => {
    const harness = await Harness.create()
    let called = false
    harness.registerFunction("charge", () => {
      called = true
      return new Promise(() => {}) // a real call that never answers
    })
    const outcome = harness
      .execute(Workflow.make("stuck").task("charge").build())
      .catch((error: Error) => error.message)
    await harness.waitFor(() => called)
    await expect(harness.close()).rejects.toThrow(
      "leak check: 1 thing outlived the test:\n  - 1 execution or harness call still running at teardown (interrupted); real work in flight: function charge (node charge)"
    )
    expect(await outcome).toMatch(/^interrupted: the harness was closed/)
  })

  it("interrupts executions still running at close and releases their resources", async () => {
    const harness = await Harness.create({ leakCheck: false })
    let released = false
    await harness.resource("db", {
      acquire: () => ({ query: () => 1 }),
      release: () => {
        released = true
      }
    })
    const wf = Workflow.make("forever").code("wait", "await sleep(1e12); return 1").build()
    const outcome = harness.execute(wf).then(
      () => "finished",
      (error: Error) => error.message
    )
    await harness.close()
    expect(await outcome).toMatch(/^interrupted: the harness was closed/)
    expect(released).toBe(true)
  })
})

describe("time opt-outs", () => {
  it("manual time: executions wait until you advance the clock", async () => {
    await withHarness(
      async (harness) => {
        const wf = Workflow.make("wait").code("w", "await sleep(60000); return 1").build()
        const pending = harness.execute(wf)
        await harness.advance("1 minute")
        const result = await pending
        expect(result.duration).toBe(60_000)
        expect(result.timing.mode).toBe("manual")
      },
      { time: "manual" }
    )
  })

  it("live time: sleeps really sleep", async () => {
    await withHarness(
      async (harness) => {
        const wf = Workflow.make("wait").code("w", "await sleep(30); return 1").build()
        const result = await harness.execute(wf)
        expect(result.timing.mode).toBe("live")
        expect(result.timing.realMs).toBeGreaterThanOrEqual(25)
      },
      { time: "live" }
    )
  })
})

describe("harness assertions use the last result by default", () => {
  it("complains when nothing was executed", async () => {
    await withHarness(async (harness) => {
      expect(() => harness.assertExecutionCount("a", 1)).toThrow(
        "assertExecutionCount: no workflow has been executed by this harness yet"
      )
    })
  })

  workflowTest("assertOrder and assertMaxConcurrency read the trace", async ({ harness }) => {
    // b and c execute for 10 ms each (a guest sleep would be a wait, which does not count)
    harness.registerFunction("hold", (inputs: { readonly x: number }) =>
      Effect.as(Effect.sleep(10), inputs.x)
    )
    const wf = Workflow.make("diamond")
      .code("a", "await sleep(10); return 1")
      .task("b", "hold")
      .task("c", "hold")
      .code("d", "return [b, c]")
      .connect("a", "", "b", "x")
      .connect("a", "", "c", "x")
      .connect("b", "", "d", "b")
      .connect("c", "", "d", "c")
      .build()
    await harness.execute(wf)
    harness.assertOrder("a", "b", "d")
    harness.assertMaxConcurrency(2)
    expect(() => harness.assertMaxConcurrency(1)).toThrow(
      /^assertMaxConcurrency: expected at most 1 nodes executing at once \(waits excluded\), saw 2/
    )
    expect(() => harness.assertOrder("b", "c")).toThrow(/c started before b finished/)
  })
})

describe("fixtures follow the harness clock", () => {
  workflowTest(
    "a cache TTL set by a workflow expires when virtual time passes it",
    async ({ harness }) => {
      const cache = await harness.mock("cache", TestCache.make())
      const wf = Workflow.make("cache")
        .code(
          "store",
          `const cache = await getResource("cache"); await cache.set("session", "abc", 60000); return 1`
        )
        .build()
      await harness.execute(wf)
      expect(await cache.get("session")).toBe("abc")
      await harness.advance("61 seconds")
      expect(await cache.get("session")).toBeNull()
      harness.assertResourceCalled("cache", "set", { times: 1, with: ["session", "abc", 60000] })
    }
  )
})

describe("harness helpers", () => {
  workflowTest(
    "runConcurrent / runSequential run executions and keep their order",
    async ({ harness }) => {
      const wf = (id: string, ms: number) =>
        Workflow.make(id).code("work", `await sleep(${ms}); return "${id}"`).build()
      const concurrent = await harness.runConcurrent([
        () => harness.execute(wf("slow", 2000)),
        () => harness.execute(wf("fast", 1000))
      ])
      expect(concurrent.map((r) => r.outputs.work)).toEqual(["slow", "fast"])
      expect(harness.now()).toBe(2000)
      const sequential = await harness.runSequential([
        () => harness.execute(wf("one", 1000)),
        () => harness.execute(wf("two", 1000))
      ])
      expect(sequential.map((r) => r.startedAt)).toEqual([2000, 3000])
      expect(harness.results()).toHaveLength(4)
      expect(harness.lastResult().workflowId).toBe("two")
      expect(harness.trace().filter((e) => e.type === "execution-started")).toHaveLength(4)
    }
  )

  workflowTest("waitFor, assertEventually and assertRaises", async ({ harness }) => {
    let ready = false
    // Something on the harness clock makes the condition true at virtual t=1s.
    void harness.run(
      Effect.sleep("1 second").pipe(
        Effect.andThen(
          Effect.sync(() => {
            ready = true
          })
        )
      )
    )
    await harness.waitFor(() => ready, { timeout: "2 seconds" })
    expect(harness.now()).toBe(1000)
    await harness.assertEventually(() => expect(ready).toBe(true))
    const error = await harness.assertRaises(
      () => harness.run(Effect.fail(new ConnectionError({ message: "x" }))),
      {
        tag: "ConnectionError"
      }
    )
    expect(error).toBeInstanceOf(ConnectionError)
    expect(() => harness.getResource("missing")).toThrow(
      'harness.getResource: no resource "missing"; registered: (none)'
    )
  })

  workflowTest(
    "assertTimeLimit holds virtual time while fn does real work, so a quick real call passes",
    async ({ harness }) => {
      await expect(harness.assertTimeLimit("2 seconds", () => realCall(40, "done"))).resolves.toBe(
        "done"
      )
      expect(harness.now()).toBe(0)
    }
  )

  it("refuses to run after close", async () => {
    const harness = await Harness.create()
    await harness.close()
    await harness.close() // idempotent
    await expect(harness.execute(Workflow.make("w").code("a", "return 1").build())).rejects.toThrow(
      "harness.execute: the harness is closed (the test has ended)"
    )
  })
})
