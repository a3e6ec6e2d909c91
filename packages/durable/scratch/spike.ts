import { Effect, Layer, Schema } from "effect"
import { ClusterWorkflowEngine, SingleRunner } from "effect/cluster"
import { Digest } from "effect/crypto"
import { Activity, Workflow, WorkflowEngine } from "effect/workflow"
import * as Sqlite from "../src/internal/sqliteClient.ts"

const W = Workflow.make("Spike", { payload: { key: Schema.String, n: Schema.Number }, success: Schema.Number, idempotencyKey: (p) => p.key })
const file = process.argv[2]!
const crashAt = Number(process.argv[3] ?? -1)
const impl = W.toLayer(Effect.fnUntraced(function* (p) {
  let sum = 0
  for (let i = 0; i < p.n; i++) {
    sum += yield* Activity.make({ name: `a${i}`, success: Schema.Number, execute: Effect.sync(() => { console.log("run", i); if (i === crashAt) process.exit(9); return i }) })
  }
  return sum
}))
const layer = impl.pipe(
  Layer.provideMerge(ClusterWorkflowEngine.layer),
  Layer.provideMerge(SingleRunner.layer({ runnerStorage: "sql", shardingConfig: { entityMessagePollInterval: 50, entityReplyPollInterval: 50 } })),
  Layer.provide(Digest.layerWebCrypto),
  Layer.provide(Sqlite.layer({ filename: file }))
)
const t0 = performance.now()
Effect.runPromise(Effect.gen(function* () {
  const r = yield* W.execute({ key: "k1", n: Number(process.argv[4] ?? 5) })
  console.log("result", r, (performance.now() - t0).toFixed(0), "ms")
}).pipe(Effect.provide(layer))).then(() => process.exit(0), (e) => { console.error(e); process.exit(1) })
