// Command-line parsing. Every mistake becomes one UsageError with a message that says what to
// do instead.
import { UsageError } from "./services/errors.js"

export interface Args {
  readonly command: "all" | "run" | "help"
  /** `run`'s argument: a built-in name (checkout, etl, monitoring) or a workflow JSON file. */
  readonly workflow?: string
  readonly params?: string
  readonly databaseUrl?: string
  readonly timeline?: string
  readonly mermaid: boolean
  readonly plain: boolean
  readonly paymentFailures?: number
}

export const usage = `Usage: weft-demo [run <workflow>] [options]

Runs Weft's demo workflows on embedded services: PGlite (PostgreSQL in-process), the QuickJS
sandbox and loopback HTTP servers on 127.0.0.1 — nothing to install.

Commands:
  (none)                  run all three demos: checkout, etl, monitoring
  run <workflow>          run one: a built-in name (checkout, etl, monitoring) or a workflow
                          JSON file such as workflows/etl.json

Options:
  --params <file>         JSON object of params for \`run\` (default: the demo's sample params)
  --database-url <url>    use this PostgreSQL server instead of PGlite (the demo works in a
                          schema of its own and drops it at exit)
  --timeline <file>       write an HTML timeline of the execution trace(s)
  --mermaid               print the workflow graph(s) as Mermaid and exit without running
  --payment-failures <n>  how many charges the payments API fails with 503 first (default 2)
  --plain                 plain progress lines even on a terminal
  -h, --help              show this help

Relative paths are resolved against the directory you ran the command from.
Exit status: 0 all workflows succeeded, 1 a workflow did not succeed, 2 bad input.`

const valueFlags = new Set(["--params", "--database-url", "--timeline", "--payment-failures"])

export const parse = (argv: ReadonlyArray<string>): Args => {
  const positionals: Array<string> = []
  const values = new Map<string, string>()
  let mermaid = false
  let plain = false
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === "-h" || arg === "--help") help = true
    else if (arg === "--mermaid") mermaid = true
    else if (arg === "--plain") plain = true
    else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=")
      const name = eq === -1 ? arg : arg.slice(0, eq)
      if (!valueFlags.has(name)) {
        throw new UsageError({ message: `unknown option ${name} (see --help for the options)` })
      }
      const value = eq === -1 ? argv[i + 1] : arg.slice(eq + 1)
      if (eq === -1) i++
      if (value === undefined || value === "" || (eq === -1 && value.startsWith("--"))) {
        throw new UsageError({ message: `${name} needs a value, e.g. ${name} ${example(name)}` })
      }
      if (values.has(name)) throw new UsageError({ message: `${name} was given twice` })
      values.set(name, value)
    } else if (arg.startsWith("-") && arg !== "-") {
      throw new UsageError({ message: `unknown option ${arg} (see --help for the options)` })
    } else positionals.push(arg)
  }
  const common = {
    mermaid,
    plain,
    ...optional("params", values.get("--params")),
    ...optional("databaseUrl", values.get("--database-url")),
    ...optional("timeline", values.get("--timeline")),
    ...optional("paymentFailures", count(values.get("--payment-failures")))
  }
  if (help) return { command: "help", ...common }
  const [command, ...rest] = positionals
  if (command === undefined) {
    if (common.params !== undefined) {
      throw new UsageError({
        message: "--params applies to one workflow: use `run <workflow> --params <file>`"
      })
    }
    return { command: "all", ...common }
  }
  if (command !== "run") {
    throw new UsageError({
      message: `unknown command "${command}"; use \`run <workflow>\`, or no command to run all demos (see --help)`
    })
  }
  const [workflow, ...extra] = rest
  if (workflow === undefined) {
    throw new UsageError({
      message:
        "run needs a workflow: checkout, etl, monitoring or a JSON file (e.g. run workflows/etl.json)"
    })
  }
  if (extra.length > 0) {
    throw new UsageError({
      message: `run takes one workflow, got extra argument(s): ${extra.join(" ")}`
    })
  }
  return { command: "run", workflow, ...common }
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }

const count = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError({
      message: `--payment-failures must be a whole number >= 0, got "${value}"`
    })
  }
  return n
}

const example = (flag: string): string => {
  switch (flag) {
    case "--params":
      return "params.json"
    case "--database-url":
      return "postgres://postgres@127.0.0.1:5432/test"
    case "--timeline":
      return "timeline.html"
    default:
      return "3"
  }
}
