import { Runtime } from "@weft/runtime"
import { Effect } from "effect"
import { Durable } from "../src/index.ts"
import { connect, task, workflow, postgresUrl, schemaName } from "../test/helpers.ts"
const wf = workflow("sum", [task("a"), task("b")], [connect("a", "n", "b", "n")])
const schema = schemaName("smoke")
const t0 = performance.now()
Effect.runPromise(Effect.gen(function* () {
  const execution = yield* Durable.start(wf, { base: 1 }, { key: "sum-1" })
  const result = yield* execution.result
  console.log(result.status, result.outputs, (performance.now()-t0).toFixed(0))
}).pipe(Effect.provide(Durable.layerPostgres({ url: process.argv[2] ?? postgresUrl, schema, runtime: Runtime.make({ functions: { a: ({ base }: { base: number }) => ({ n: base }), b: ({ n }: { n: number }) => ({ n: n + 1 }) } }) })))).then(() => process.exit(0), (e) => { console.error("ERR", e); process.exit(1) })
