// The runtime's attempt hooks: code nodes' usage through Attempt.CurrentAttempt (live, recorded,
// replayed once) and `concurrency` enforced on Redis through Attempt.ConcurrencyLimiter.
import { randomUUID } from "node:crypto"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Journal, Runtime, type Trace } from "@weft/runtime"
import { Effect } from "effect"
import pg from "pg"
import { Lock, Meter, PriceTable } from "../src/index.js"
import { lockBackend as pgLockBackend } from "../src/postgres.js"
import { lockBackend } from "../src/redis.js"
import { overlapping } from "./processes.js"
import { journals, redisServer, sandbox, workflow } from "./helpers.js"

type Node = Runtime.Workflow["nodes"][number]

const usageOf = (events: ReadonlyArray<Trace.TraceEvent>) =>
  events.flatMap((e) => {
    if (e.type !== "node-emitted") return []
    const event = e.event as { readonly type?: unknown; readonly cost?: unknown } | null
    return event !== null && typeof event === "object" && event.type === "metered.usage"
      ? [{ nodeId: e.nodeId, cost: event.cost }]
      : []
  })

describe("code nodes' usage (Attempt.CurrentAttempt)", () => {
  it.effect(
    "recordUsage goes live into the trace and into the attempt record; a replay counts it once",
    () =>
      Effect.gen(function* () {
        const meter = yield* Meter.make({
          prices: PriceTable.example,
          budgets: [{ name: "per-run", limit: 1, scope: "execution" }]
        })
        let calls = 0
        const runtime = Runtime.make({
          functions: {
            ...meter.hostFunctions,
            upstream: () => {
              calls++
              return { input: 1000, output: 100 }
            }
          }
        })
        const wf = workflow("coded", [
          {
            kind: "code",
            id: "ask",
            source: `const usage = await upstream()
              const { cost } = await recordUsage({ meter: "llm", model: "gpt-4o", quantities: usage })
              result = cost`
          }
        ])
        const live: Array<Trace.TraceEvent> = []
        const { recording, replaying, records } = journals()
        const first = yield* meter
          .execute(runtime, wf, {}, { executionId: "exec-c", onEvent: (e) => live.push(e) })
          .pipe(Effect.provideService(Journal.CurrentJournal, recording))
        assert.strictEqual(first.status, "succeeded")
        // gpt-4o: 1000 * 2.5e-6 + 100 * 10e-6 = 0.0035
        assert.deepStrictEqual(usageOf(live), [{ nodeId: "ask", cost: 0.0035 }])
        // seen live: before the node's own success event
        const usageAt = live.findIndex((e) => usageOf([e]).length > 0)
        const doneAt = live.findIndex((e) => e.type === "node-succeeded")
        assert.isBelow(usageAt, doneAt)
        assert.deepStrictEqual(usageOf(records.get("ask:1:1")!.events), [
          { nodeId: "ask", cost: 0.0035 }
        ])
        assert.deepStrictEqual(usageOf(first.trace), [{ nodeId: "ask", cost: 0.0035 }])
        assert.deepStrictEqual(first.costs.byNode, { ask: 0.0035 })
        const replayed = yield* meter
          .execute(runtime, wf, {}, { executionId: "exec-c" })
          .pipe(Effect.provideService(Journal.CurrentJournal, replaying))
        assert.strictEqual(calls, 1)
        assert.deepStrictEqual(usageOf(replayed.trace), [{ nodeId: "ask", cost: 0.0035 }])
        assert.deepStrictEqual(replayed.costs.byNode, { ask: 0.0035 })
        assert.strictEqual(replayed.costs.total, 0.0035)
        // the budget was charged by the first run only
        assert.deepStrictEqual(yield* meter.spent("per-run", "exec-c"), {
          spent: 0.0035,
          reserved: 0
        })
      }).pipe(Effect.provide(sandbox))
  )
})

const { prefix, client } = redisServer()

/**
 * Two runtimes (each with its own in-process limiter, as two processes would have), each on its
 * own lock backend, run the same three nodes keyed on one account (limit 1): two code nodes and a
 * task. Returns the intervals the nodes' critical sections ran.
 */
const contend = (key: string, one: Lock.Backend, two: Lock.Backend) =>
  Effect.gen(function* () {
    const intervals: Array<{ start: number; end: number; node: string }> = []
    // the node's critical section: a host function (code nodes) or the task itself
    const hold = (node: string) =>
      Effect.gen(function* () {
        const start = Date.now()
        yield* Effect.sleep(60)
        intervals.push({ start, end: Date.now(), node })
        return node
      })
    const functions = { hold: (name: unknown) => hold(String(name)), work: () => hold("task") }
    const runtimes = [Runtime.make({ functions }), Runtime.make({ functions })] as const
    const concurrency = { key: "{account}", limit: 1 }
    const nodes: ReadonlyArray<Node> = [
      { kind: "code", id: "c1", source: `result = await hold("c1")`, concurrency },
      { kind: "code", id: "c2", source: `result = await hold("c2")`, concurrency },
      { kind: "task", id: "t", function: "work", concurrency }
    ]
    const wf = workflow("locked", nodes)
    const params = { c1: { account: key }, c2: { account: key }, t: { account: key } }
    const options = { waitMillis: 30_000, retryMillis: 10, leaseMillis: 5_000 }
    const [a, b] = yield* Effect.all(
      [
        runtimes[0].execute(wf, params).pipe(Effect.provide(Lock.layer(one, options))),
        runtimes[1].execute(wf, params).pipe(Effect.provide(Lock.layer(two, options)))
      ],
      { concurrency: "unbounded" }
    )
    assert.strictEqual(a.status, "succeeded", JSON.stringify(a.errors))
    assert.strictEqual(b.status, "succeeded", JSON.stringify(b.errors))
    return intervals
  })

describe("concurrency on Redis (Lock.layer → Attempt.ConcurrencyLimiter)", () => {
  it.live(
    "code and task nodes with the same key in two runtimes on two connections never overlap",
    () =>
      Effect.gen(function* () {
        const key = `account-${randomUUID()}`
        const intervals = yield* contend(
          key,
          lockBackend(client(), { prefix }),
          lockBackend(client(), { prefix })
        )
        assert.strictEqual(intervals.length, 6)
        assert.deepStrictEqual(overlapping(intervals), [])
        // the key is free afterwards
        const probe = yield* lockBackend(client(), { prefix }).tryAcquire(key, 0, 1_000)
        assert.isDefined(probe)
        if (probe !== undefined) yield* probe.release
      }).pipe(Effect.provide(sandbox))
  )

  it.live("a code node whose Redis lock is lost fails its attempt with LockLost", () =>
    Effect.gen(function* () {
      const redis = client()
      const key = `lost-${randomUUID()}`
      let interrupted = false
      const runtime = Runtime.make({
        functions: {
          // deletes the lock behind the holder's back, then works for longer than a lease
          sabotage: () =>
            Effect.andThen(
              Effect.promise(() => redis.del(`${prefix}lock:${key}#0`)),
              Effect.onInterrupt(Effect.as(Effect.sleep(10_000), "finished"), () =>
                Effect.sync(() => {
                  interrupted = true
                })
              )
            )
        }
      })
      const wf = workflow("lost", [
        {
          kind: "code",
          id: "charge",
          source: "result = await sabotage()",
          concurrency: { key, limit: 1 }
        }
      ])
      const result = yield* runtime
        .execute(wf, {})
        .pipe(Effect.provide(Lock.layer(lockBackend(redis, { prefix }), { leaseMillis: 300 })))
      assert.strictEqual(result.status, "failed")
      const error = result.errors[0]!
      assert.strictEqual(error._tag, "NodeFailed")
      if (error._tag === "NodeFailed") assert.strictEqual(error.errorTag, "LockLost")
      assert.include(error.message, key)
      assert.isTrue(interrupted)
    }).pipe(Effect.provide(sandbox))
  )
})

describe("concurrency on PostgreSQL advisory locks (Lock.layer)", () => {
  const url = process.env.WEFT_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
  const pools = [
    new pg.Pool({ connectionString: url, max: 4 }),
    new pg.Pool({ connectionString: url, max: 4 })
  ] as const
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()))
  })

  it.live("code and task nodes with the same key in two runtimes on two pools never overlap", () =>
    Effect.gen(function* () {
      const key = `account-${randomUUID()}`
      const intervals = yield* contend(key, pgLockBackend(pools[0]), pgLockBackend(pools[1]))
      assert.strictEqual(intervals.length, 6)
      assert.deepStrictEqual(overlapping(intervals), [])
    }).pipe(Effect.provide(sandbox))
  )
})
