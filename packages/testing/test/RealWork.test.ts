import { EventEmitter } from "node:events"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { PgClient } from "@effect/sql-pg"
import { Workflow } from "@weft/graph"
import { Resource } from "@weft/runtime"
import { Harness, VirtualTime, workflowTest } from "@weft/testing"
import { Effect, Exit, Redacted, Schedule } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

// A loopback server answering after 50 ms of real time.
let server: Server
let url: string
beforeAll(async () => {
  server = createServer((_req, res) => {
    setTimeout(() => res.end(JSON.stringify({ ok: true })), 50)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const databaseUrl = process.env.WEFT_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const pg = () => PgClient.layer({ url: Redacted.make(databaseUrl) })

// One task node with a 1 s timeout: if virtual time jumped over the real work, it would time out.
const oneTask = Workflow.make("real").task("call", "call", { timeout: "1 second" }).build()

describe("unmarked real work holds virtual time (new rule)", () => {
  workflowTest(
    "1. a task returning Effect.tryPromise(fetch) to a 50 ms loopback server",
    async ({ harness }) => {
      harness.registerFunction("call", () =>
        Effect.tryPromise(() => fetch(url).then((r) => r.json() as Promise<{ ok: boolean }>))
      )
      const result = await harness.execute(oneTask)
      expect(result).toSucceed()
      harness.assertNodeOutput(result, "call", true, "ok")
      expect(result.duration).toBe(0)
      expect(result.timing.realMs).toBeGreaterThanOrEqual(40)
    }
  )

  workflowTest("2a. a task querying PostgreSQL through @effect/sql-pg", async ({ harness }) => {
    harness.registerFunction("call", () =>
      Effect.gen(function* () {
        const sql = yield* PgClient.PgClient
        const rows = yield* sql<{ one: number }>`select 1 as one, pg_sleep(0.05)::text as slept`
        return { one: rows[0]!.one }
      }).pipe(Effect.provide(pg()), Effect.orDie)
    )
    const result = await harness.execute(oneTask)
    expect(result).toSucceed()
    harness.assertNodeOutput(result, "call", 1, "one")
    expect(result.duration).toBe(0)
  })

  it("2a'. @effect/sql-pg under VirtualTime.run: a 1 s timeout does not fire under 50 ms queries", async () => {
    const query = Effect.gen(function* () {
      const sql = yield* PgClient.PgClient
      const first = yield* sql<{ one: number }>`select 1 as one, pg_sleep(0.05)::text as slept`
      const second = yield* sql<{ two: number }>`select 2 as two, pg_sleep(0.05)::text as slept`
      return first[0]!.one + second[0]!.two
    }).pipe(Effect.provide(pg()), Effect.timeout("1 second"))
    const { value, timing } = await VirtualTime.measurePromise(query)
    expect(value).toBe(3)
    expect(timing.virtualMs).toBe(0)
  })

  workflowTest(
    "2b. a task calling a loopback server through Effect's HTTP client",
    async ({ harness }) => {
      harness.registerFunction("call", () =>
        Effect.gen(function* () {
          const response = yield* HttpClient.get(url)
          return (yield* response.json) as { ok: boolean }
        }).pipe(Effect.provide(FetchHttpClient.layer), Effect.orDie)
      )
      const result = await harness.execute(oneTask)
      expect(result).toSucceed()
      harness.assertNodeOutput(result, "call", true, "ok")
      expect(result.duration).toBe(0)
    }
  )

  workflowTest(
    "3. Resource.make(async …) doing real I/O while a node waits for it",
    async ({ harness }) => {
      harness.registerFunction("call", async (_inputs, ctx) => {
        const api = (await ctx.getResource("api")) as { readonly ok: boolean }
        return { ok: api.ok }
      })
      const api = Resource.make(async () => (await (await fetch(url)).json()) as { ok: boolean })
      const result = await harness.execute(oneTask, {}, { resources: { api } })
      expect(result).toSucceed()
      harness.assertNodeOutput(result, "call", true, "ok")
      expect(result.duration).toBe(0)
    }
  )

  workflowTest(
    "3b. harness.resource(Resource.make(async …)) with real I/O",
    async ({ harness }) => {
      const api = await harness.resource(
        "api",
        Resource.make(async () => (await (await fetch(url)).json()) as { ok: boolean })
      )
      expect(api.ok).toBe(true)
      expect(harness.now()).toBe(0)
    }
  )
})

describe("Weft's own Promises do not hold virtual time", () => {
  // A connect that fails twice and is retried every 5 virtual seconds.
  const retryingResource = () => {
    let attempts = 0
    return Resource.effect(
      Effect.suspend(() =>
        ++attempts < 3 ? Effect.fail(new Error("refused")) : Effect.succeed({ attempts })
      ).pipe(Effect.retry(Schedule.spaced("5 seconds")))
    )
  }
  const slow = Workflow.make("slow").task("call", "call", { timeout: "1 minute" }).build()

  workflowTest(
    "4. await ctx.getResource() of a resource that sleeps on the Clock is instant",
    async ({ harness }) => {
      harness.registerFunction("call", async (_inputs, ctx) => {
        const db = (await ctx.getResource("db")) as { readonly attempts: number }
        return { attempts: db.attempts }
      })
      const result = await harness.execute(slow, {}, { resources: { db: retryingResource() } })
      expect(result).toSucceed()
      harness.assertNodeOutput(result, "call", 3, "attempts")
      expect(result.duration).toBe(10_000)
      expect(result.timing.realMs).toBeLessThan(5_000)
    }
  )

  workflowTest("4b. Effect.promise(() => ctx.getResource()) likewise", async ({ harness }) => {
    harness.registerFunction("call", (_inputs, ctx) =>
      Effect.map(
        Effect.promise(() => ctx.getResource("db") as Promise<{ readonly attempts: number }>),
        (db) => ({ attempts: db.attempts })
      )
    )
    const result = await harness.execute(slow, {}, { resources: { db: retryingResource() } })
    expect(result).toSucceed()
    expect(result.duration).toBe(10_000)
  })
})

describe("work started on a call's behalf is counted until it ends", () => {
  workflowTest(
    "after ctx.getResource() completes, the same call's real I/O holds time again",
    async ({ harness }) => {
      let attempts = 0
      // (annotateLogsScoped replaces the acquiring fiber's context for the rest of its life; the
      // region watches the fiber itself, not its context, to know when it ended.)
      const db = Resource.effect(
        Effect.andThen(
          Effect.annotateLogsScoped({ resource: "db" }),
          Effect.suspend(() =>
            ++attempts < 3 ? Effect.fail(new Error("refused")) : Effect.succeed({ attempts })
          ).pipe(Effect.retry(Schedule.spaced("5 seconds")))
        )
      )
      harness.registerFunction("call", async (_inputs, ctx) => {
        await ctx.getResource("db")
        // 50 ms of real I/O: must not let the 1 minute node timeout fire
        const body = (await (await fetch(url)).json()) as { ok: boolean }
        return { ok: body.ok }
      })
      const wf = Workflow.make("both").task("call", "call", { timeout: "1 minute" }).build()
      const result = await harness.execute(wf, {}, { resources: { db } })
      expect(result).toSucceed()
      expect(result.duration).toBe(10_000)
    }
  )
})

describe("5. work the harness cannot see fails loudly, early, naming it", () => {
  it("a callback resumed by an event on an emitter after virtual time moved on", async () => {
    const emitter = new EventEmitter()
    const started = performance.now()
    const program = Effect.gen(function* () {
      // The real work is started outside the callback's register: the harness cannot see it.
      setTimeout(() => emitter.emit("done"), 50)
      const unseen = Effect.callback<string>((resume) => {
        emitter.once("done", () => resume(Effect.succeed("done")))
      }).pipe(Effect.withSpan("wait for the emitter"))
      // A poller keeps virtual time moving meanwhile (with nothing else alive it is a deadlock).
      let done = false
      const poller = Effect.gen(function* () {
        while (!done) yield* Effect.sleep("1 second")
      })
      return yield* Effect.all(
        [Effect.tap(unseen, () => Effect.sync(() => (done = true))), poller],
        {
          concurrency: 2
        }
      )
    }).pipe(Effect.withSpan("job"))
    const exit = await Effect.runPromiseExit(VirtualTime.run(program))
    expect(performance.now() - started).toBeLessThan(5_000)
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
    const failure = error?._tag === "Fail" ? error.error : undefined
    expect(failure).toBeInstanceOf(VirtualTime.RealWorkUnobserved)
    const unobserved = failure as VirtualTime.RealWorkUnobserved
    expect(unobserved.label).toBe("job > wait for the emitter")
    expect(unobserved.from).toBe(0)
    expect(unobserved.to).toBeGreaterThan(0)
    expect(unobserved.message).toMatch(/withRealWork/)
    expect(unobserved.message).toMatch(/scaled/)
  })

  it("with nothing else alive it is a deadlock, reported at once naming what was open", async () => {
    const emitter = new EventEmitter()
    const started = performance.now()
    const program = Effect.callback<string>((resume) => {
      emitter.once("done", () => resume(Effect.succeed("done")))
    }).pipe(Effect.withSpan("wait for the emitter"))
    const timer = setTimeout(() => emitter.emit("done"), 2_000)
    try {
      const error = await Effect.runPromise(Effect.flip(VirtualTime.run(program)))
      expect(performance.now() - started).toBeLessThan(1_500)
      expect(error._tag).toBe("VirtualTimeDeadlock")
      expect(error.message).toMatch(/wait for the emitter/)
      expect(error.message).toMatch(/withRealWork/)
    } finally {
      clearTimeout(timer)
    }
  })

  it("the same through the harness: execute rejects naming the node", async () => {
    const harness = await Harness.create({ leakCheck: false })
    try {
      const emitter = new EventEmitter()
      harness.registerFunction("call", () =>
        Effect.gen(function* () {
          // Wait until the poller runs (virtual time moves), then start the unseen real work.
          yield* Effect.sleep("1 second")
          setTimeout(() => emitter.emit("done"), 50)
          return yield* Effect.callback<string>((resume) => {
            emitter.once("done", () => resume(Effect.succeed("done")))
          })
        })
      )
      // Long node timeouts: a timeout firing first would end the wait before the callback does.
      const wf = Workflow.make("unseen")
        .task("call", "call", { timeout: "20 days" })
        .code("poll", "for (let i = 0; i < 1e7; i++) await sleep(1000); return 1", {
          timeout: "20 days"
        })
        .build()
      const error = await harness.execute(wf).then(
        () => undefined,
        (e: unknown) => e
      )
      expect((error as { _tag?: string })._tag).toBe("RealWorkUnobserved")
      expect((error as Error).message).toMatch(/call/)
    } finally {
      await harness.close()
    }
  })
})
