// Durable runs of the demo (`@weft/durable` on a SQLite file): `run <workflow> --store demo.db`
// prints the execution key and runs it; Ctrl-C suspends it; `resume --store demo.db` finishes
// whatever was unfinished; `status --store demo.db [key]` and `send --store demo.db <key> <event>
// [payload]` work beside a running runner. The demo's own data (PGlite) lives next to the store
// (`demo.db.pgdata/`), so a resumed checkout still finds its orders.
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { Durable } from "@weft/durable"
import type { Workflow } from "@weft/graph"
import type { ExecutionResult, Runtime } from "@weft/runtime"
import type { Io } from "./main.js"
import { duration, style } from "./format.js"
import type { Database } from "./services/database.js"
import * as HttpClient from "./services/httpClient.js"
import * as HttpServices from "./services/httpServices.js"
import { toJsonValue } from "./services/json.js"
import * as Tables from "./services/schema.js"
import * as Summary from "./summary.js"
import { demos, find } from "./workflows/index.js"

export const durableUsage = `Durable runs (a SQLite file keeps every execution; Ctrl-C suspends, it does not cancel):
  run <workflow> --store <file> [--key <key>] [--params <file>]
                          run a built-in workflow durably; prints its execution key
  resume --store <file>   resume every unfinished execution in the store
  status --store <file> [key]
                          list the executions (or show one)
  send --store <file> <key> <event> [payload-json]
                          send an event to an execution's event nodes`

/** Whether `argv` is one of the durable commands (anything with --store, or resume/status/send). */
export const isDurableCommand = (argv: ReadonlyArray<string>): boolean =>
  argv[0] === "resume" ||
  argv[0] === "status" ||
  argv[0] === "send" ||
  argv.some((arg) => arg === "--store" || arg.startsWith("--store="))

interface Parsed {
  readonly command: "run" | "resume" | "status" | "send"
  readonly store: string
  readonly positionals: ReadonlyArray<string>
  readonly key?: string
  readonly params?: string
}

class DurableUsageError extends Error {}

const parse = (argv: ReadonlyArray<string>): Parsed => {
  const positionals: Array<string> = []
  const values = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=")
      const name = eq === -1 ? arg : arg.slice(0, eq)
      if (name !== "--store" && name !== "--key" && name !== "--params")
        throw new DurableUsageError(`unknown option ${name} for a durable run (see --help)`)
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
      if (value === undefined || value === "") throw new DurableUsageError(`${name} needs a value`)
      values.set(name, value)
    } else positionals.push(arg)
  }
  const [command, ...rest] = positionals
  if (command !== "run" && command !== "resume" && command !== "status" && command !== "send")
    throw new DurableUsageError(`--store goes with run, resume, status or send\n\n${durableUsage}`)
  const store = values.get("--store")
  if (store === undefined) throw new DurableUsageError(`${command} needs --store <file>`)
  const key = values.get("--key")
  const params = values.get("--params")
  return {
    command,
    store,
    positionals: rest,
    ...(key === undefined ? {} : { key }),
    ...(params === undefined ? {} : { params })
  }
}

/** The demo's services, with PGlite's data in `<store>.pgdata` (seeded on first use only). */
const openEnvironment = async (store: string) => {
  const dataDir = `${store}.pgdata`
  const fresh = !existsSync(dataDir)
  const { PGlite } = await import("@electric-sql/pglite")
  const pg = await PGlite.create({ dataDir })
  const rows = (r: ReadonlyArray<unknown>) =>
    r.map((row) => toJsonValue(row) as Record<string, never>)
  const params = (p: ReadonlyArray<unknown> | undefined) =>
    (p ?? []).map((v) => (v !== null && typeof v === "object" ? JSON.stringify(v) : v))
  const database: Database = {
    engine: "pglite",
    description: `PGlite (embedded PostgreSQL, data in ${dataDir})`,
    query: async (sql, p) => rows((await pg.query(sql, params(p))).rows),
    execute: async (sql, p) => {
      if (p === undefined || p.length === 0) {
        const results = await pg.exec(sql)
        return { rowCount: results.reduce((sum, r) => sum + (r.affectedRows ?? 0), 0) }
      }
      return { rowCount: (await pg.query(sql, params(p))).affectedRows ?? 0 }
    },
    close: () => pg.close()
  }
  if (fresh) await Tables.prepare(database)
  const services = await HttpServices.start({})
  return {
    database,
    resources: {
      db: { query: database.query, execute: database.execute },
      payments: HttpClient.make(services.urls.payments),
      mail: HttpClient.make(services.urls.mail),
      metrics: HttpClient.make(services.urls.ops),
      alerts: HttpClient.make(services.urls.ops)
    },
    close: async () => {
      await services.close()
      await database.close()
    }
  }
}

export const durableMain = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  const s = style(io.stdout.isTTY === true && io.env.NO_COLOR === undefined)
  const out = (text: string) => io.stdout.write(text)
  let parsed: Parsed
  try {
    parsed = parse(argv)
  } catch (error) {
    io.stderr.write(`weft-demo: ${error instanceof Error ? error.message : String(error)}\n`)
    return 2
  }
  const filename = path.resolve(io.cwd, parsed.store)
  const describe = (error: unknown) =>
    typeof error === "object" && error !== null && "message" in error
      ? `${String((error as { _tag?: unknown })._tag ?? "Error")}: ${String((error as { message: unknown }).message)}`
      : String(error)

  if (parsed.command === "status" || parsed.command === "send") {
    if (!existsSync(filename)) {
      io.stderr.write(`weft-demo: no store at ${parsed.store}\n`)
      return 2
    }
    const store = await Durable.open({ sqlite: { filename }, runner: false }).catch(
      (error: unknown) => error
    )
    if (!("close" in (store as object))) {
      io.stderr.write(`weft-demo: ${describe(store)}\n`)
      return 1
    }
    const reader = store as Durable.DurableStore
    try {
      if (parsed.command === "send") {
        const [key, event, payload] = parsed.positionals
        if (key === undefined || event === undefined) {
          io.stderr.write(`weft-demo: send needs <key> <event> [payload-json]\n`)
          return 2
        }
        let json: Runtime.Params[string] = null
        if (payload !== undefined) {
          try {
            json = JSON.parse(payload)
          } catch {
            io.stderr.write(`weft-demo: the payload must be JSON, e.g. '{"approved":true}'\n`)
            return 2
          }
        }
        await reader.send(key, event, json)
        out(`sent ${event} to ${key}\n`)
        return 0
      }
      const [key] = parsed.positionals
      const infos = key === undefined ? await reader.list() : [await reader.status(key)]
      if (infos.length === 0) out("no executions\n")
      for (const info of infos) {
        const when =
          info.finishedAt === undefined ? "" : ` in ${duration(info.finishedAt - info.createdAt)}`
        out(`${info.key}  ${info.workflowId}  ${info.status}${when}\n`)
      }
      return 0
    } catch (error) {
      io.stderr.write(`weft-demo: ${describe(error)}\n`)
      return 1
    } finally {
      await reader.close()
    }
  }

  // run / resume: this process is the runner
  let workflow: Workflow.Workflow | undefined
  let params: Runtime.Params = {}
  if (parsed.command === "run") {
    const name = parsed.positionals[0]
    const demo = name === undefined ? undefined : find(name)
    if (demo === undefined) {
      io.stderr.write(
        `weft-demo: run --store needs a built-in workflow: ${demos.map((d) => d.name).join(", ")}\n`
      )
      return 2
    }
    workflow = demo.workflow
    params = demo.params
    if (parsed.params !== undefined) {
      try {
        params = JSON.parse(
          readFileSync(path.resolve(io.cwd, parsed.params), "utf8")
        ) as Runtime.Params
      } catch (error) {
        io.stderr.write(`weft-demo: cannot read params ${parsed.params}: ${describe(error)}\n`)
        return 2
      }
    }
  }
  const env = await openEnvironment(filename)
  const store = await Durable.open({
    sqlite: { filename },
    resources: env.resources,
    handleSignals: false
  }).catch((error: unknown) => error)
  if (!("close" in (store as object))) {
    await env.close()
    io.stderr.write(`weft-demo: ${describe(store)}\n`)
    return 1
  }
  const runner = store as Durable.DurableStore
  let stopping = false
  const suspend = () => {
    if (stopping) return
    stopping = true
    out(
      `\n${s.dim("suspending (resume with: weft-demo resume --store")} ${parsed.store}${s.dim(")")}\n`
    )
    void runner
      .close()
      .then(env.close)
      .finally(() => process.exit(130))
  }
  process.once("SIGINT", suspend)
  process.once("SIGTERM", suspend)
  try {
    const keys: Array<string> = []
    if (workflow !== undefined) {
      const key = await runner.start(
        workflow,
        params,
        parsed.key === undefined ? {} : { key: parsed.key }
      )
      out(
        `${s.bold("execution")} ${key}  ${s.dim(`(store ${parsed.store}; Ctrl-C suspends it)`)}\n`
      )
      keys.push(key)
    } else {
      for (const info of await runner.list({ status: "running" })) keys.push(info.key)
      out(keys.length === 0 ? "nothing to resume\n" : `resuming ${keys.join(", ")}\n`)
    }
    let failed = 0
    for (const key of keys) {
      const result: ExecutionResult.ExecutionResult = await runner.result(key)
      const definition = workflow ?? find(result.workflowId)?.workflow
      if (definition !== undefined) out(`\n${Summary.render(definition, result, s)}\n`)
      const verdict = result.status === "succeeded" ? s.green(result.status) : s.red(result.status)
      out(`  ${key} ${verdict} in ${duration(result.duration)}\n`)
      if (result.status !== "succeeded") failed++
    }
    return failed === 0 ? 0 : 1
  } catch (error) {
    io.stderr.write(`weft-demo: ${describe(error)}\n`)
    return 1
  } finally {
    process.removeListener("SIGINT", suspend)
    process.removeListener("SIGTERM", suspend)
    if (!stopping) {
      await runner.close()
      await env.close()
    }
  }
}
