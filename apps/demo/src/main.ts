// The CLI: parse, load, run, report. Returns the exit status instead of exiting, so the
// process ends by itself once everything it opened is closed.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { Workflow } from "@weft/graph"
import { type ExecutionResult, Runtime, Timeline } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import { Cause, Effect, Exit, Fiber, Logger } from "effect"
import { type Args, parse, usage } from "./args.js"
import { durableMain, durableUsage, isDurableCommand } from "./durable.js"
import * as Environment from "./environment.js"
import { duration, style, short } from "./format.js"
import * as Progress from "./progress.js"
import { UsageError } from "./services/errors.js"
import { isJsonObject, type JsonObject } from "./services/json.js"
import * as Summary from "./summary.js"
import { type Demo, demos, find } from "./workflows/index.js"

export interface Io {
  readonly stdout: {
    readonly write: (text: string) => void
    readonly isTTY?: boolean
    readonly columns?: number
  }
  readonly stderr: { readonly write: (text: string) => void }
  /** Where relative paths start: the directory the user ran the command from. */
  readonly cwd: string
  readonly env: { readonly [name: string]: string | undefined }
}

interface Target {
  readonly workflow: Workflow.Workflow
  readonly params: JsonObject
  readonly demo?: Demo
  readonly source: string
}

/** apps/demo (dist/cli.js and src/main.ts both live one level below it). */
const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

const display = (file: string, cwd: string): string => {
  const relative = path.relative(cwd, file)
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative
}

const readJsonFile = (file: string, what: string, cwd: string): unknown => {
  const shown = display(file, cwd)
  if (!existsSync(file)) throw new UsageError({ message: `${what} not found: ${shown}` })
  if (statSync(file).isDirectory())
    throw new UsageError({ message: `${what} ${shown} is a directory, not a JSON file` })
  let text: string
  try {
    text = readFileSync(file, "utf8")
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new UsageError({ message: `cannot read ${what} ${shown}: ${reason}` })
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new UsageError({
      message: `${what} ${shown} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`
    })
  }
}

const loadWorkflow = (
  arg: string,
  cwd: string
): { workflow: Workflow.Workflow; source: string } => {
  const builtIn = find(arg)
  if (builtIn !== undefined && !arg.endsWith(".json"))
    return { workflow: builtIn.workflow, source: `built-in ${builtIn.name}` }
  let file = path.resolve(cwd, arg)
  // `pnpm demo run workflows/etl.json` from the repo root: the demo's own copy
  if (!existsSync(file) && !path.isAbsolute(arg) && existsSync(path.resolve(appDir, arg)))
    file = path.resolve(appDir, arg)
  if (!existsSync(file) && !arg.includes("/") && !arg.includes("\\") && !arg.endsWith(".json")) {
    throw new UsageError({
      message: `unknown workflow "${arg}": use ${demos.map((d) => d.name).join(", ")} or a workflow JSON file`
    })
  }
  const json = readJsonFile(file, "workflow file", cwd)
  const shown = display(file, cwd)
  const decoded = Effect.runSync(
    Effect.result(Workflow.fromJSON(json, { checkSyntax: Sandbox.syntaxMessage }))
  )
  if (decoded._tag === "Failure") {
    const issues = decoded.failure.issues
      .slice(0, 8)
      .map((issue) => `  - ${issue.path === "" ? "(root)" : issue.path}: ${issue.message}`)
    const more =
      decoded.failure.issues.length > 8 ? [`  … and ${decoded.failure.issues.length - 8} more`] : []
    throw new UsageError({
      message: [`${shown} is not a valid workflow:`, ...issues, ...more].join("\n")
    })
  }
  return { workflow: decoded.success, source: shown }
}

const targetsOf = (args: Args, cwd: string): Array<Target> => {
  if (args.command !== "run" || args.workflow === undefined) {
    return demos.map((demo) => ({
      workflow: demo.workflow,
      params: demo.params,
      demo,
      source: demo.file
    }))
  }
  const { workflow, source } = loadWorkflow(args.workflow, cwd)
  const demo = find(workflow.id)
  let params: JsonObject
  if (args.params !== undefined) {
    const file = path.resolve(cwd, args.params)
    const json = readJsonFile(file, "params file", cwd)
    if (!isJsonObject(json)) {
      throw new UsageError({
        message: `params file ${display(file, cwd)} must hold a JSON object such as ${JSON.stringify(demo?.params ?? { key: "value" })}`
      })
    }
    params = json
    const missing = (demo?.requiredParams ?? []).filter((key) => !Object.hasOwn(json, key))
    if (demo !== undefined && missing.length > 0) {
      const sample = Object.fromEntries(missing.map((key) => [key, demo.params[key] ?? null]))
      throw new UsageError({
        message: `missing params for workflow "${workflow.id}" in ${display(file, cwd)}: ${missing.join(", ")} (e.g. ${JSON.stringify(sample)})`
      })
    }
  } else params = demo?.params ?? {}
  return [{ workflow, params, source, ...(demo === undefined ? {} : { demo }) }]
}

const resolveOutput = (file: string, cwd: string): string => {
  const resolved = path.resolve(cwd, file)
  const dir = path.dirname(resolved)
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError({
      message: `cannot write ${file}: directory ${display(dir, cwd)} does not exist`
    })
  return resolved
}

const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (typeof error === "object" && error !== null && "message" in error)
    return String((error as { message: unknown }).message)
  return String(error)
}

export const main = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  if (isDurableCommand(argv)) return durableMain(argv, io)
  const fail = (message: string, status: number) => {
    io.stderr.write(`weft-demo: ${message}\n`)
    return status
  }
  let args: Args
  let targets: Array<Target>
  let timelineFile: string | undefined
  try {
    args = parse(argv)
    if (args.command === "help") {
      io.stdout.write(`${usage}\n\n${durableUsage}\n`)
      return 0
    }
    targets = targetsOf(args, io.cwd)
    timelineFile = args.timeline === undefined ? undefined : resolveOutput(args.timeline, io.cwd)
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, 2)
    return fail(`unexpected error: ${error instanceof Error ? error.message : String(error)}`, 1)
  }

  if (args.mermaid) {
    for (const target of targets)
      io.stdout.write(
        `%% ${target.workflow.id} (${target.source})\n${Workflow.toMermaid(target.workflow)}\n\n`
      )
    return 0
  }

  const tty = io.stdout.isTTY === true && !args.plain && io.env.TERM !== "dumb"
  const color = io.stdout.isTTY === true && io.env.NO_COLOR === undefined
  const s = style(color)
  const out = (text: string) => io.stdout.write(text)

  const program = Effect.scoped(
    Effect.gen(function* () {
      const names = targets.map((t) => t.workflow.id).join(", ")
      out(`${s.bold("Weft demo")}  ${s.dim(`${names} · starting the database and services…`)}\n`)
      const env = yield* Environment.acquire({
        ...(args.databaseUrl === undefined ? {} : { databaseUrl: args.databaseUrl }),
        ...(args.paymentFailures === undefined ? {} : { paymentFailures: args.paymentFailures })
      })
      out(`  database  ${env.database.description}\n`)
      out(`  services  ${env.services.origin} (payments, mail, ops APIs on loopback)\n`)
      out(`  sandbox   QuickJS (WebAssembly, worker threads)\n`)
      const runs: Array<{ target: Target; result: ExecutionResult.ExecutionResult }> = []
      for (const target of targets) {
        const { workflow } = target
        out(
          `\n${s.bold(`▶ ${workflow.name ?? workflow.id}`)}  ${s.dim(workflow.description ?? "")}\n`
        )
        const progress = Progress.make(workflow, {
          write: out,
          interactive: tty,
          color,
          ...(io.stdout.columns === undefined ? {} : { columns: io.stdout.columns })
        })
        const result = yield* Runtime.execute(workflow, target.params, {
          resources: env.resources,
          onEvent: progress.onEvent
        }).pipe(Effect.ensuring(Effect.sync(progress.close)))
        out(`\n${Summary.render(workflow, result, s)}\n`)
        // console.log lines captured from the sandboxed code nodes
        for (const node of Object.values(result.nodes))
          for (const line of (node.logs ?? []).slice(0, 3))
            out(`  ${s.dim(`${node.nodeId} log:`)} ${short(line, 140)}\n`)
        for (const line of target.demo?.highlights(result) ?? []) out(`  ${s.green("→")} ${line}\n`)
        for (const error of result.errors.slice(0, 3))
          out(`  ${s.red("✗")} ${error._tag}: ${short(error.message, 160)}\n`)
        const verdict =
          result.status === "succeeded" ? s.green(result.status) : s.red(result.status)
        out(`  ${workflow.id} ${verdict} in ${duration(result.duration)}\n`)
        runs.push({ target, result })
      }
      const requests = env.services.requests()
      if (requests.length > 0) {
        const list = requests.map((r) => `${r.method} ${r.path} ${r.status}`).join(", ")
        out(`\n${s.dim(`HTTP: ${requests.length} requests served (${list})`)}\n`)
      }
      return runs
    })
  ).pipe(Effect.provide(Sandbox.layerQuickJs()), Effect.provide(Logger.layer([])))

  // Ctrl-C interrupts the run: finalizers close the servers and drop the schema on a server
  const fiber = Effect.runFork(program)
  const interrupt = () => {
    Effect.runFork(Fiber.interrupt(fiber))
  }
  process.once("SIGINT", interrupt)
  process.once("SIGTERM", interrupt)
  const exit = await Effect.runPromise(Fiber.await(fiber))
  process.removeListener("SIGINT", interrupt)
  process.removeListener("SIGTERM", interrupt)
  if (Exit.isFailure(exit)) {
    if (Cause.hasInterruptsOnly(exit.cause)) return fail("interrupted", 130)
    return fail(describeFailure(exit.cause), 1)
  }
  const runs = exit.value
  if (timelineFile !== undefined) {
    const html = Timeline.render(
      runs.map(({ target, result }) => ({
        title: target.workflow.name ?? target.workflow.id,
        result
      })),
      { title: "Weft demo timeline" }
    )
    try {
      writeFileSync(timelineFile, html)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      return fail(`could not write the timeline to ${display(timelineFile, io.cwd)}: ${reason}`, 1)
    }
    out(`timeline written to ${display(timelineFile, io.cwd)}\n`)
  }
  const failed = runs.filter((run) => run.result.status !== "succeeded")
  const total = runs.reduce((sum, run) => sum + run.result.duration, 0)
  if (failed.length === 0) {
    out(
      `${s.green("✓")} ${runs.length} workflow${runs.length === 1 ? "" : "s"} succeeded (${duration(total)})\n`
    )
    return 0
  }
  out(
    `${s.red("✗")} ${failed.length} of ${runs.length} workflow${runs.length === 1 ? "" : "s"} did not succeed: ${failed.map((r) => `${r.target.workflow.id} ${r.result.status}`).join(", ")}\n`
  )
  return 1
}
