import { spawn } from "node:child_process"
import { DatabaseSync } from "node:sqlite"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import type { Runtime } from "@weft/runtime"
import { postgresUrl, schemaName, storeLocations } from "./helpers.js"
import { Durable } from "../src/index.js"
import { chain, effectful, eventName } from "./crash/workflow.js"

const child = fileURLToPath(new URL("./crash/child.ts", import.meta.url))
const dirs = storeLocations()

type Line = {
  readonly t: string
  readonly node?: string
  readonly key?: string
  readonly result?: Runtime.ExecutionResult
}
type KillPoint = {
  readonly node: string
  readonly on: "begin" | "effect"
  readonly afterMillis?: number
}

/** Runs one child; kills it with SIGKILL at `kill` (if given); resolves with its lines. */
const runChild = (config: object, kill?: KillPoint, signal: NodeJS.Signals = "SIGKILL") =>
  new Promise<{ lines: Array<Line>; killed: boolean; code: number | null; stderr: string }>(
    (resolve, reject) => {
      const proc = spawn(process.execPath, ["--import", "tsx", child, JSON.stringify(config)], {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        stdio: ["ignore", "pipe", "pipe"]
      })
      const lines: Array<Line> = []
      let killed = false
      let buffer = ""
      let stderr = ""
      const timer = setTimeout(() => {
        proc.kill("SIGKILL")
        reject(
          new Error(
            `child did not finish in 60 s; waiting for ${JSON.stringify(kill)}; lines: ${JSON.stringify(lines.slice(-5))}; stderr: ${stderr}`
          )
        )
      }, 60_000)
      proc.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString()
      })
      proc.stdout.on("data", (chunk: Buffer) => {
        buffer += chunk.toString()
        let newline = buffer.indexOf("\n")
        while (newline >= 0) {
          const text = buffer.slice(0, newline)
          buffer = buffer.slice(newline + 1)
          newline = buffer.indexOf("\n")
          if (!text.startsWith("{")) continue
          const line = JSON.parse(text) as Line
          lines.push(line)
          if (!killed && kill !== undefined && line.t === kill.on && line.node === kill.node) {
            killed = true
            proc.kill(signal)
          }
        }
      })
      proc.on("exit", (code) => {
        clearTimeout(timer)
        resolve({ lines, killed, code, stderr })
      })
    }
  )

/** A small seeded PRNG (mulberry32), so a failing run can be replayed from its printed seed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

// `count` points at node boundaries (`begin`: before the node's side effect) or mid-node
// (`effect`: after it, before the node returns), plus one during the delay node (190 ms after
// n12's side effect: n12 takes 40 ms, then the 300 ms delay runs).
const killPlan = (seed: number, count: number): Array<KillPoint> => {
  const random = prng(seed)
  const candidates = chain.filter((node) => node !== "n12")
  const picked = new Set<string>()
  while (picked.size < count) picked.add(candidates[Math.floor(random() * candidates.length)]!)
  return chain.flatMap((node): Array<KillPoint> => {
    if (node === "n12") return [{ node, on: "effect", afterMillis: 190 }]
    return picked.has(node) ? [{ node, on: random() < 0.5 ? "begin" : "effect" }] : []
  })
}

const summary = (result: Runtime.ExecutionResult) => ({
  status: result.status,
  outputs: result.outputs,
  nodes: Object.fromEntries(
    Object.entries(result.nodes).map(([id, node]) => [
      id,
      { status: node.status, attempts: node.attempts }
    ])
  )
})

const crashSuite = (name: string, store: (label: string) => object) =>
  it(`${name}: an execution SIGKILLed at 11 points (10 from a seed, one mid-delay) resumes to the same result, side effects once per key (twice at most for an interrupted node)`, async () => {
    const seed = Number(process.env.WEFT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
    const plan = killPlan(seed, 10)
    console.log(
      `${name} crash test seed ${seed} (WEFT_CRASH_SEED=${seed} replays it): kills at ${plan.map((p) => `${p.node}/${p.on}${p.afterMillis === undefined ? "" : `+${p.afterMillis}ms`}`).join(", ")}`
    )
    const effects = dirs.file(`${name}-effects.db`)

    const reference = await runChild({
      store: store("reference"),
      effects: dirs.file(`${name}-reference-effects.db`),
      key: "reference",
      sendEvent: true
    })
    const expected = reference.lines.find((line) => line.t === "result")?.result
    assert.isDefined(expected, `the uninterrupted run printed no result: ${reference.stderr}`)
    assert.strictEqual(expected!.status, "succeeded")

    const crashedStore = store("crashed")
    const config = { store: crashedStore, effects, key: "crashed" }
    for (const [index, point] of plan.entries()) {
      const run = await runChild(
        point.afterMillis === undefined
          ? { ...config, hold: { node: point.node, on: point.on } }
          : config,
        point
      )
      assert.isTrue(
        run.killed,
        `the child never reached ${point.node}/${point.on} (exit ${run.code}): ${run.stderr.slice(-2000)}`
      )
      if (index === 0) {
        // the event comes from another process (this one, as a reader), long before its node waits
        const reader = await Durable.open({
          ...(crashedStore as Durable.OpenOptions),
          runner: false
        })
        await reader.send("crashed", eventName, { v: 5 })
        await reader.close()
      }
    }
    const last = await runChild(config)
    const actual = last.lines.find((line) => line.t === "result")?.result
    assert.isDefined(
      actual,
      `the resumed run printed no result (exit ${last.code}): ${last.stderr.slice(-2000)}`
    )
    assert.deepStrictEqual(summary(actual!), summary(expected!))
    // The trace of the resumed execution has one start and one success per node: no replay duplicates.
    const succeeded = actual!.trace
      .filter((event) => event.type === "node-succeeded")
      .map((event) => (event as { nodeId: string }).nodeId)
    assert.strictEqual(succeeded.length, new Set(succeeded).size)
    assert.strictEqual(succeeded.length, effectful.length + 2) // + the delay and event nodes
    assert.deepStrictEqual(actual!.outputs.approval, { v: 5 })

    const db = new DatabaseSync(effects)
    const counts = db
      .prepare(
        "SELECT idempotency_key AS key, node, count(*) AS n FROM effects GROUP BY idempotency_key, node"
      )
      .all() as Array<{ key: string; node: string; n: number }>
    db.close()
    assert.strictEqual(
      counts.length,
      effectful.length,
      "one idempotency key per node with a side effect"
    )
    const killedMidNode = new Set(
      plan.filter((p) => p.on === "effect" && p.afterMillis === undefined).map((p) => p.node)
    )
    for (const { key, node, n } of counts) {
      assert.strictEqual(key, `crashed:${node}:1`)
      if (killedMidNode.has(node))
        assert.isAtMost(n, 2, `${node} was interrupted once; its side effect ran ${n} times`)
      else if (node === "n12")
        assert.isAtMost(n, 2, `n12 (killed 150 ms after it returned) ran ${n} times`)
      else if (node !== "p1" && node !== "p2")
        assert.strictEqual(n, 1, `${node}'s side effect ran ${n} times`)
      else assert.isAtMost(n, 2, `${node} (parallel with a killed node) ran ${n} times`)
    }
    // Every node killed mid-node did run again (the record was not stored before the kill).
    for (const node of killedMidNode) {
      assert.strictEqual(
        counts.find((c) => c.node === node)?.n,
        2,
        `${node} was killed after its side effect, before its record was stored: it must run again`
      )
    }
  })

describe("graceful shutdown, with real processes", () => {
  it("SIGTERM suspends the execution (it stays running); the next runner resumes it without re-running finished nodes", async () => {
    const config = {
      store: { sqlite: { filename: dirs.file("sigterm.db") } },
      effects: dirs.file("sigterm-effects.db"),
      key: "t"
    }
    const first = await runChild(config, { node: "n06", on: "begin" }, "SIGTERM")
    assert.isTrue(first.killed)
    const early = first.lines.find((line) => line.t === "result")?.result
    assert.isUndefined(
      early,
      `the signal finished the execution (${early?.status}) instead of suspending it`
    )
    const db = new DatabaseSync(dirs.file("sigterm.db"))
    const row = db
      .prepare("SELECT status FROM weft_executions WHERE execution_key = 't'")
      .get() as { status: string }
    db.close()
    assert.strictEqual(row.status, "running")
    const second = await runChild({ ...config, sendEvent: true })
    const result = second.lines.find((line) => line.t === "result")?.result
    assert.strictEqual(result?.status, "succeeded")
    const effects = new DatabaseSync(config.effects)
    const counts = effects
      .prepare("SELECT node, count(*) AS n FROM effects GROUP BY node")
      .all() as Array<{ node: string; n: number }>
    effects.close()
    // n06 had begun when the signal came: it may run again; every other node ran exactly once
    for (const { node, n } of counts)
      if (node !== "n06") assert.strictEqual(n, 1, `${node} ran ${n} times`)
    const secondBegins = second.lines.filter((line) => line.t === "begin").map((line) => line.node)
    assert.notInclude(secondBegins, "n01")
  })
})

describe("crash and resume, with real processes", () => {
  crashSuite("sqlite", (label) => ({ sqlite: { filename: dirs.file(`sqlite-${label}.db`) } }))
  crashSuite("postgres", (label) => ({
    postgres: { url: postgresUrl, schema: schemaName(`crash_${label}`) }
  }))
})
