// One runner process of the crash tests: opens the store (resuming whatever was running), starts
// or attaches to the execution, prints progress lines (JSON) the parent kills it on, and prints
// the result. Side effects go to a separate SQLite file, keyed by idempotency key.
import { DatabaseSync } from "node:sqlite"
import { Runtime } from "@weft/runtime"
import { Durable } from "../../src/index.js"
import { crashWorkflow, eventName } from "./workflow.js"

interface Config {
  readonly store:
    | { readonly sqlite: { readonly filename: string } }
    | { readonly postgres: { readonly url: string; readonly schema: string } }
  readonly effects: string
  readonly key: string
  /** Send the event node's event from this process right after starting (the reference run). */
  readonly sendEvent?: boolean
  /**
   * The kill point of this run: the process holds there for 1 s so the parent's SIGKILL lands
   * exactly there (before the node's side effect for `begin`, after it for `effect`).
   */
  readonly hold?: { readonly node: string; readonly on: "begin" | "effect" }
}

const config = JSON.parse(process.argv[2]!) as Config
const t0 = performance.now()
const say = (line: object) =>
  process.stdout.write(`${JSON.stringify({ ...line, ms: Math.round(performance.now() - t0) })}\n`)

const effects = new DatabaseSync(config.effects)
effects.exec("PRAGMA busy_timeout = 5000")
effects.exec(
  "CREATE TABLE IF NOT EXISTS effects (idempotency_key TEXT NOT NULL, node TEXT NOT NULL, pid INTEGER NOT NULL)"
)
const insert = effects.prepare("INSERT INTO effects (idempotency_key, node, pid) VALUES (?, ?, ?)")

const pause = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

// begin → (side effect) → effect → 40 ms of "work" → return: a kill on `effect` lands mid-node.
const holds = (node: string, on: "begin" | "effect") =>
  config.hold?.node === node && config.hold.on === on

const sideEffect = async (key: string, node: string) => {
  say({ t: "begin", node, key })
  if (holds(node, "begin")) await pause(1_000)
  insert.run(key, node, process.pid)
  say({ t: "effect", node, key })
  await pause(holds(node, "effect") ? 1_000 : 40)
}

const runtime = Runtime.make({
  functions: {
    step: async (
      inputs: { readonly v?: number; readonly w?: number },
      context: Runtime.TaskContext
    ) => {
      await sideEffect(context.idempotencyKey, context.nodeId)
      return { v: ((inputs.v ?? 1) * 7 + (inputs.w ?? 0) + context.nodeId.length) % 1000003 }
    },
    flaky: async (inputs: { readonly v: number }, context: Runtime.TaskContext) => {
      say({ t: "attempt", node: context.nodeId, attempt: context.attempt })
      if (context.attempt < 3)
        throw Object.assign(new Error(`busy (attempt ${context.attempt})`), { name: "Busy" })
      await sideEffect(context.idempotencyKey, context.nodeId)
      return { v: inputs.v + 1 }
    },
    record: async (key: string, node: string) => {
      await sideEffect(key, node)
      return null
    }
  }
})

for (const signal of ["SIGTERM", "SIGINT"] as const)
  process.once(signal, () => say({ t: "signal", signal }))
const store = await Durable.open({ ...config.store, runtime, pollInterval: 50 })
say({ t: "open" })
await store.start(crashWorkflow(), { v: 3 }, { key: config.key })
if (config.sendEvent === true) await store.send(config.key, eventName, { v: 5 })
const result = await store.result(config.key)
say({ t: "result", result })
say({ t: "closing" })
await store.close()
say({ t: "closed" })
effects.close()
