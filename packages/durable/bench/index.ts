// Per-node cost of durable executions on SQLite and PostgreSQL, beside the engine's own cost per
// activity (a bare Effect workflow of N activities on the same store setup, measured in the same
// run: Weft's overhead on top of the engine) and the in-memory runtime; and the resume time of an
// execution with 1,000 finished nodes. Writes bench-results/summary.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Runtime } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import { Effect, Layer, Schema } from "effect"
import { ClusterWorkflowEngine, SingleRunner } from "effect/cluster"
import { Digest } from "effect/crypto"
import { SqlClient } from "effect/sql"
import { Activity, Workflow } from "effect/workflow"
import { PgClient } from "@effect/sql-pg"
import { Redacted } from "effect"
import { Durable } from "../src/index.js"
import * as Sqlite from "../src/internal/sqliteClient.js"

const dir = mkdtempSync(join(tmpdir(), "weft-durable-bench-"))
const pgUrl = process.env.WEFT_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
let schemaCount = 0
const schemas: Array<string> = []
const schema = () => {
  const name = `weft_bench_${process.pid}_${schemaCount++}`
  schemas.push(name)
  return name
}

type Wf = Runtime.Workflow
const chain = (n: number, fn = "step"): Wf => ({
  id: `chain-${n}`,
  nodes: Array.from({ length: n }, (_, i) => ({
    kind: "task" as const,
    id: `n${i}`,
    function: i === n - 1 ? fn : "step"
  })),
  connections: Array.from({ length: n - 1 }, (_, i) => ({
    from: `n${i}`,
    output: "v",
    to: `n${i + 1}`,
    input: "v"
  })),
  loops: [],
  settings: { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast" }
})
const step = ({ v }: { readonly v?: number }) => ({ v: (v ?? 0) + 1 })
const runtime = Runtime.make({ functions: { step } })

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

type StoreKind = "sqlite" | "postgres"
const durableLayer = (kind: StoreKind, name: string, options: Durable.StoreOptions = {}) =>
  kind === "sqlite"
    ? Durable.layerSqlite({ filename: join(dir, `${name}.db`), runtime, ...options })
    : Durable.layerPostgres({ url: pgUrl, schema: name, runtime, ...options })

/** ms per node of a durable chain of `n` nodes (median of `runs`, one store, a new key each run). */
const weftPerNode = (kind: StoreKind, n: number, runs: number) =>
  Effect.gen(function* () {
    const workflow = chain(n)
    yield* Effect.flatMap(Durable.start(workflow, {}, { key: "warm-up" }), (e) => e.result)
    const times: Array<number> = []
    for (let run = 0; run < runs; run++) {
      const started = performance.now()
      const result = yield* Effect.flatMap(
        Durable.start(workflow, {}, { key: `run-${run}` }),
        (e) => e.result
      )
      if (result.status !== "succeeded")
        throw new Error(`bench run failed: ${JSON.stringify(result.errors)}`)
      times.push((performance.now() - started) / n)
    }
    return median(times)
  }).pipe(Effect.provide(durableLayer(kind, kind === "sqlite" ? `weft-${n}` : schema())))

const Bare = Workflow.make("BareChain", {
  payload: { key: Schema.String, n: Schema.Number },
  success: Schema.Number,
  idempotencyKey: (payload) => payload.key
})
const bareImpl = Bare.toLayer(
  Effect.fnUntraced(function* (payload) {
    let v = 0
    for (let i = 0; i < payload.n; i++) {
      const current = v
      v = yield* Activity.make({
        name: `a${i}`,
        success: Schema.Number,
        execute: Effect.sync(() => current + 1)
      })
    }
    return v
  })
)
const engineOn = (sql: Layer.Layer<SqlClient.SqlClient, unknown>, advisory: boolean) =>
  bareImpl.pipe(
    Layer.provideMerge(ClusterWorkflowEngine.layer),
    Layer.provideMerge(
      SingleRunner.layer({
        runnerStorage: "sql",
        shardingConfig: {
          entityMessagePollInterval: 200,
          entityReplyPollInterval: 200,
          shardLockDisableAdvisory: !advisory
        }
      })
    ),
    Layer.provide(Digest.layerWebCrypto),
    Layer.provide(sql),
    Layer.orDie
  )

/** ms per activity of a bare Effect workflow of `n` activities on the same store setup. */
const enginePerActivity = (kind: StoreKind, n: number, runs: number) =>
  Effect.gen(function* () {
    yield* Bare.execute({ key: "warm-up", n })
    const times: Array<number> = []
    for (let run = 0; run < runs; run++) {
      const started = performance.now()
      yield* Bare.execute({ key: `run-${run}`, n })
      times.push((performance.now() - started) / n)
    }
    return median(times)
  }).pipe(
    Effect.provide(
      engineOn(
        kind === "sqlite"
          ? Sqlite.layer({ filename: join(dir, `bare-${n}.db`) })
          : Layer.effect(
              SqlClient.SqlClient,
              Effect.gen(function* () {
                const name = schema()
                yield* Effect.scoped(
                  Effect.flatMap(
                    PgClient.make({ url: Redacted.make(pgUrl), maxConnections: 1 }),
                    (admin) => admin.unsafe(`CREATE SCHEMA IF NOT EXISTS ${name}`).raw
                  )
                )
                return yield* PgClient.make({
                  url: Redacted.make(pgUrl),
                  startupParameters: { search_path: name }
                })
              })
            ).pipe(Layer.provide(Sqlite.reactivity)),
        false
      )
    )
  )

/** µs per node of the in-memory runtime on the same chain (one sandbox for all runs). */
const memoryPerNode = (n: number) =>
  Effect.gen(function* () {
    const workflow = chain(n)
    for (let i = 0; i < 5; i++) yield* runtime.execute(workflow)
    const times: Array<number> = []
    for (let run = 0; run < 15; run++) {
      const started = performance.now()
      yield* runtime.execute(workflow)
      times.push((performance.now() - started) / n)
    }
    return median(times)
  }).pipe(Effect.provide(Sandbox.layerQuickJs()), Effect.runPromise)

/** Time from opening the store to the result, for an execution with `finished` finished nodes. */
const resume = (kind: StoreKind, finished: number) =>
  Effect.gen(function* () {
    const name = kind === "sqlite" ? `resume-${finished}` : schema()
    const workflow = chain(finished + 1, "last")
    let release: (() => void) | undefined
    const blocked = new Promise<void>((resolve) => {
      release = resolve
    })
    const first = Runtime.make({
      functions: {
        step,
        last: () => {
          release?.()
          return new Promise(() => {})
        }
      }
    })
    // run the first `finished` nodes, then close while the last one hangs (it suspends)
    const suspended = Effect.gen(function* () {
      yield* Durable.start(workflow, {}, { key: "resume" })
      yield* Effect.promise(() => blocked)
    }).pipe(Effect.provide(durableLayer(kind, name, { runtime: first, shutdownTimeout: 50 })))
    const fillStarted = performance.now()
    yield* suspended
    const fillMs = performance.now() - fillStarted
    const second = Runtime.make({ functions: { step, last: step } })
    const started = performance.now()
    const result = yield* Durable.result("resume").pipe(
      Effect.provide(durableLayer(kind, name, { runtime: second }))
    )
    const ms = performance.now() - started
    if (result.status !== "succeeded")
      throw new Error(`resume failed: ${JSON.stringify(result.errors)}`)
    return { ms, fillMs }
  })

interface Row {
  readonly benchmark: string
  readonly figure: string
  readonly baseline: string
  readonly ratio: string
}
const rows: Array<Row> = []
const memoryUs = (await memoryPerNode(200)) * 1000

const kinds: Array<StoreKind> = ["sqlite"]
if (
  await Effect.runPromise(
    Effect.scoped(
      Layer.build(Durable.layerPostgres({ url: pgUrl, schema: schema(), runner: false }))
    ).pipe(
      Effect.as(true),
      Effect.catch(() => Effect.succeed(false))
    )
  )
) {
  kinds.push("postgres")
} else {
  console.log(`PostgreSQL at ${pgUrl} not reachable: PostgreSQL rows skipped`)
}

for (const kind of kinds) {
  const n = kind === "sqlite" ? 200 : 100
  const weft = await Effect.runPromise(weftPerNode(kind, n, 5))
  const engine = await Effect.runPromise(enginePerActivity(kind, n, 5))
  rows.push({
    benchmark: `${kind}: durable ms/node (chain of ${n} task nodes)`,
    figure: `${weft.toFixed(2)} ms/node`,
    baseline: `engine alone ${engine.toFixed(2)} ms/activity`,
    ratio: `${(weft / engine).toFixed(2)}x (Weft overhead ${(((weft - engine) / engine) * 100).toFixed(0)}%)`
  })
  rows.push({
    benchmark: `${kind}: durable vs in-memory runtime`,
    figure: `${weft.toFixed(2)} ms/node`,
    baseline: `in-memory ${memoryUs.toFixed(1)} µs/node`,
    ratio: `${((weft * 1000) / memoryUs).toFixed(0)}x`
  })
  const { fillMs, ms } = await Effect.runPromise(resume(kind, 1000))
  rows.push({
    benchmark: `${kind}: resume an execution with 1,000 finished nodes`,
    figure: `${ms.toFixed(0)} ms (open to result)`,
    baseline: `running them ${fillMs.toFixed(0)} ms`,
    ratio: `${(ms / fillMs).toFixed(2)}x`
  })
}

console.table(rows)
mkdirSync(new URL("../bench-results/", import.meta.url), { recursive: true })
writeFileSync(
  new URL("../bench-results/summary.json", import.meta.url),
  `${JSON.stringify(rows, null, 2)}\n`
)
rmSync(dir, { recursive: true, force: true })
// leave nothing behind on the server
await Effect.runPromise(
  Effect.scoped(
    Effect.flatMap(PgClient.make({ url: Redacted.make(pgUrl), maxConnections: 1 }), (sql) =>
      Effect.forEach(schemas, (name) => sql.unsafe(`DROP SCHEMA IF EXISTS "${name}" CASCADE`).raw, {
        discard: true
      })
    )
  ).pipe(Effect.provide(Sqlite.reactivity), Effect.ignore)
)
process.exit(0)
