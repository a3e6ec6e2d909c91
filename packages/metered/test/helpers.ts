// Workflow data builders for tests (the shape @weft/graph's builder produces), and the setup and
// scenarios the test files share.
import { randomUUID } from "node:crypto"
import { afterAll } from "@effect/vitest"
import { MockLlm } from "@weft/fixtures"
import { Connection as GraphConnection, Node as GraphNode } from "@weft/graph"
import { Journal, Runtime } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import { Effect } from "effect"
import { Redis } from "ioredis"
import type { BudgetStore } from "../src/Budget.js"
import { Meter, type PriceTable } from "../src/index.js"

type Workflow = Runtime.Workflow
type Node = Workflow["nodes"][number]
type Connection = Workflow["connections"][number]

/** A task node (function name defaults to the id), as @weft/graph's `Node.task` makes it. */
export const task = (
  id: string,
  options: { readonly fn?: string; readonly retry?: Node["retry"] } = {}
) =>
  GraphNode.task(id, options.fn ?? id, options.retry === undefined ? {} : { retry: options.retry })

export const code = (id: string, source: string) => GraphNode.code(id, source)
export const connect = GraphConnection.make

export const workflow = (
  id: string,
  nodes: ReadonlyArray<Node>,
  connections: ReadonlyArray<Connection> = [],
  settings: Partial<Workflow["settings"]> = {}
): Workflow => ({
  id,
  nodes,
  connections,
  loops: [],
  settings: { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast", ...settings }
})

export const sandbox = Sandbox.layerQuickJsInThread

/**
 * The same scenario for every budget store: a reservation never settled within its hold is
 * released by the next reservation; settling it late still charges the actual amount once.
 */
export const abandonedReservation = (store: BudgetStore, bucket: string) =>
  Effect.gen(function* () {
    const request = { bucket, amount: 6, limit: 10, retainMillis: 60_000, holdMillis: 1000 }
    const first = yield* store.reserve({ ...request, now: 0 })
    const early = yield* store.reserve({ ...request, now: 999 })
    const late = yield* store.reserve({ ...request, now: 1000 })
    const state = yield* store.state(bucket)
    const settledLate =
      first._tag === "Reserved" ? yield* store.settle(first.reservation, 3, 60_000) : undefined
    return { first: first._tag, early: early._tag, late: late._tag, state, settledLate }
  })

export const abandonedExpected: Effect.Success<ReturnType<typeof abandonedReservation>> = {
  first: "Reserved",
  early: "Refused",
  late: "Reserved",
  state: { spent: 0, reserved: 6 },
  settledLate: { spent: 3, reserved: 6 }
}

/** An LLM price in USD per million tokens (input, output): costs are easy to check by hand. */
export const perMillion = (input: number, output: number) => ({
  input: { amount: input, per: 1_000_000 },
  output: { amount: output, per: 1_000_000 }
})

/** A USD price table with these `llm` models, and any other meters. */
export const llmPrices = (
  models: PriceTable.PriceTable["meters"][string]["models"],
  meters: PriceTable.PriceTable["meters"] = {}
): PriceTable.PriceTable => ({ currency: "USD", meters: { llm: { models }, ...meters } })

const keyOf = (key: Journal.AttemptKey) => `${key.nodeId}:${key.iteration}:${key.attempt}`

/**
 * A journal in the shape of a durable engine's: `recording` records every attempt (in
 * `records`, keyed `node:iteration:attempt`), `replaying` (a restart) returns the recorded
 * attempts instead of running them again.
 */
export const journals = () => {
  const records = new Map<string, Journal.AttemptRecord>()
  const recording: Journal.Journal = {
    open: (execution) =>
      Effect.map(Journal.memory.open(execution), (live) => ({
        ...live,
        attempt: (key, run) =>
          Effect.tap(run, (record) => Effect.sync(() => records.set(keyOf(key), record)))
      }))
  }
  const replaying: Journal.Journal = {
    open: (execution) =>
      Effect.map(Journal.memory.open(execution), (live) => ({
        ...live,
        attempt: (key, run) => {
          const record = records.get(keyOf(key))
          return record === undefined ? run : Effect.succeed(record)
        }
      }))
  }
  return { recording, replaying, records }
}

/**
 * The real Redis server for a test file (WEFT_TEST_REDIS_URL, default redis://127.0.0.1:6379):
 * `client()` opens a connection (kept in `clients`, in opening order); every key is to go under
 * `prefix` (random per file). After the file's tests the keys are deleted and the connections
 * closed (registers `afterAll`: call at the top level of a test file).
 */
export const redisServer = () => {
  const url = process.env.WEFT_TEST_REDIS_URL ?? "redis://127.0.0.1:6379"
  const prefix = `weft-test:${randomUUID()}:`
  const clients: Array<Redis> = []
  const client = () => {
    const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 })
    clients.push(redis)
    return redis
  }
  afterAll(async () => {
    const redis = client()
    let cursor = "0"
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== "0")
    await Promise.all(clients.map((c) => c.quit()))
  })
  return { url, prefix, clients, client }
}

/**
 * The same scenario for every shared budget store: two meters (two workers), each on its own
 * `store()`, share a customer's daily budget of 0.05; 16 calls of 0.005 each (8 per worker) run at
 * once. Returns how many runs succeeded, how many upstream calls were made, and the customer's
 * spending as each worker reads it. `prices` must price `llm` model `big` at `perMillion(10, 40)`.
 */
export const sharedCustomerBudget = (prices: PriceTable.PriceTable, store: () => BudgetStore) =>
  Effect.gen(function* () {
    const budgets = [
      { name: "customer-daily", limit: 0.05, scope: { key: "customer", period: "day" } }
    ] as const
    const customer = randomUUID()
    const llm = MockLlm.make({ usage: { input: 100, output: 100 } })
    const workers = yield* Effect.all(
      [0, 1].map(() => Meter.make({ prices, budgets, store: store() }))
    )
    const runs = workers.flatMap((meter) => {
      const client = meter.client(llm, {
        complete: {
          meter: "llm",
          model: (r) => r.model,
          estimate: (r) => ({ input: r.prompt.length, output: r.maxTokens ?? 0 }),
          usage: (reply) => reply.usage
        }
      })
      const runtime = Runtime.make({
        functions: meter.functions({
          summarize: () =>
            client.complete({ model: "big", prompt: "p".repeat(100), maxTokens: 100 })
        })
      })
      return Array.from({ length: 8 }, () =>
        meter.execute(runtime, workflow("w", [task("summarize")]), {}, { keys: { customer } })
      )
    })
    const results = yield* Effect.all(runs, { concurrency: "unbounded" })
    const spent = yield* Effect.forEach(workers, (meter) => meter.spent("customer-daily", customer))
    return {
      succeeded: results.filter((r) => r.status === "succeeded").length,
      upstreamCalls: llm.callCount(),
      spent
    }
  }).pipe(Effect.provide(sandbox))

/** What `sharedCustomerBudget` returns on a store that holds the budget: room for 10 of the 16. */
export const sharedCustomerBudgetExpected: Effect.Success<ReturnType<typeof sharedCustomerBudget>> =
  {
    succeeded: 10,
    upstreamCalls: 10,
    spent: [
      { spent: 0.05, reserved: 0 },
      { spent: 0.05, reserved: 0 }
    ]
  }
