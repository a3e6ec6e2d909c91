import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import path from "node:path"
import { TempDirectory } from "@weft/fixtures"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const appDir = path.resolve(import.meta.dirname, "..")
const cli = path.join(appDir, "dist", "cli.js")

let dir: Awaited<ReturnType<typeof TempDirectory.create>>

beforeAll(async () => {
  // `pnpm test` builds first; this covers running vitest on its own
  if (!existsSync(cli)) {
    const build = spawnSync(path.join(appDir, "node_modules", ".bin", "tsup"), { cwd: appDir })
    if (build.status !== 0) throw new Error(`building dist/cli.js failed: ${build.stderr}`)
  }
  dir = await TempDirectory.create({
    prefix: "weft-demo-cli",
    files: {
      "broken.json": '{ "version": 1, "id": "w", ',
      "invalid.json": {
        version: 1,
        id: "w",
        nodes: [{ kind: "code", id: "a", source: "return (" }],
        connections: [{ from: "a", output: "", to: "nowhere", input: "x" }]
      },
      "empty-params.json": {},
      "list-params.json": [1, 2],
      "etl-params.json": { date: "2026-11-19" }
    }
  })
})

afterAll(() => dir?.remove())

/** Runs the CLI the way `pnpm demo` does, from `dir` (INIT_CWD). */
const demo = (...args: ReadonlyArray<string>) => {
  const run = spawnSync(process.execPath, [cli, ...args], {
    cwd: appDir,
    env: { ...process.env, INIT_CWD: dir.path, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 80_000
  })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

const expectOneMessage = (stderr: string, text: string) => {
  expect(stderr.startsWith(`weft-demo: ${text}`)).toBe(true)
  expect(stderr).not.toMatch(/\n\s+at /) // no stack trace
}

describe("CLI input errors: one message on stderr, exit status 2", () => {
  it("names a workflow file that does not exist", () => {
    const { status, stderr, stdout } = demo("run", "missing.json")
    expect(status).toBe(2)
    expect(stderr).toBe("weft-demo: workflow file not found: missing.json\n")
    expect(stdout).toBe("")
  })

  it("says a workflow file is not JSON", () => {
    const { status, stderr } = demo("run", "broken.json")
    expect(status).toBe(2)
    expectOneMessage(stderr, "workflow file broken.json is not valid JSON:")
    expect(stderr.trim().split("\n")).toHaveLength(1)
  })

  it("lists every problem of an invalid workflow with where it is", () => {
    const { status, stderr } = demo("run", "invalid.json")
    expect(status).toBe(2)
    expectOneMessage(stderr, "invalid.json is not a valid workflow:")
    expect(stderr).toContain("connections[0].to")
    expect(stderr).toContain("nodes[0].source")
  })

  it("names the params a built-in workflow is missing", () => {
    const { status, stderr } = demo("run", "workflows/etl.json", "--params", "empty-params.json")
    expect(status).toBe(2)
    expect(stderr).toBe(
      'weft-demo: missing params for workflow "nightly-etl" in empty-params.json: date (e.g. {"date":"2026-11-20"})\n'
    )
  })

  it("says params must be a JSON object", () => {
    const { status, stderr } = demo("run", "etl", "--params", "list-params.json")
    expect(status).toBe(2)
    expectOneMessage(stderr, "params file list-params.json must hold a JSON object")
  })

  it("names an unknown option", () => {
    const { status, stderr } = demo("--verbose")
    expect(status).toBe(2)
    expect(stderr).toBe("weft-demo: unknown option --verbose (see --help for the options)\n")
  })

  it("names an unknown built-in workflow and lists the known ones", () => {
    const { status, stderr } = demo("run", "payroll")
    expect(status).toBe(2)
    expect(stderr).toBe(
      'weft-demo: unknown workflow "payroll": use checkout, etl, monitoring or a workflow JSON file\n'
    )
  })

  it("refuses a timeline in a directory that does not exist", () => {
    const { status, stderr } = demo("run", "etl", "--timeline", "no/such/dir/t.html")
    expect(status).toBe(2)
    expectOneMessage(stderr, "cannot write no/such/dir/t.html")
  })

  it("reports an unreachable database server in one line, exit status 1", () => {
    const { status, stderr } = demo(
      "run",
      "etl",
      "--database-url",
      "postgres://nobody@127.0.0.1:1/none"
    )
    expect(status).toBe(1)
    expectOneMessage(
      stderr,
      "could not connect to PostgreSQL at postgres://nobody@127.0.0.1:1/none"
    )
  })
})

describe("CLI", () => {
  it("prints its usage with --help", () => {
    const { status, stdout } = demo("--help")
    expect(status).toBe(0)
    expect(stdout).toContain("Usage: weft-demo [run <workflow>] [options]")
    expect(stdout).toContain("--database-url <url>")
  })

  it("prints the graphs as Mermaid without running them", () => {
    const { status, stdout } = demo("--mermaid")
    expect(status).toBe(0)
    expect(stdout).toContain("%% checkout")
    expect(stdout).toContain("%% nightly-etl")
    expect(stdout).toContain("%% monitoring")
    expect(stdout).toMatch(/flowchart|graph/)
    expect(stdout).not.toContain("Weft demo")
  })

  it("runs a workflow JSON file with params on embedded services, writes the timeline and exits 0", async () => {
    const { status, stdout, stderr } = demo(
      "run",
      "workflows/etl.json",
      "--params",
      "etl-params.json",
      "--timeline",
      "timeline.html"
    )
    expect(stderr).toBe("")
    expect(status).toBe(0)
    expect(stdout).toContain("PGlite")
    expect(stdout).toMatch(/extract\s+succeeded\s+1/)
    expect(stdout).toContain(
      "2026-11-19: extracted 2 → accepted 2 (rejected 0) → 2 facts → loaded 2 rows"
    )
    expect(stdout).toContain("✓ 1 workflow succeeded")
    const html = await dir.readText("timeline.html")
    expect(html).toContain("Nightly ETL")
    expect(html).toContain('class="bar attempt succeeded"')
    expect(html).toContain('data-node-id="extract"')
  }, 90_000)

  it("runs all three demos on embedded services, the checkout retrying the real API's two 503s, and exits 0", () => {
    const { status, stdout, stderr } = demo()
    expect(stderr).toBe("")
    expect(status).toBe(0)
    expect(stdout).toContain("charge attempt 1/5 failed: PaymentsUnavailable")
    expect(stdout).toMatch(/charge\s+succeeded\s+3/)
    expect(stdout).toContain(
      "POST /payments/charges 503, POST /payments/charges 503, POST /payments/charges 201"
    )
    expect(stdout).toContain("extracted 12 → accepted 10 (rejected 2) → 8 facts → loaded 8 rows")
    expect(stdout).toContain("loop smoothing converged")
    expect(stdout).toContain("alert alert_1 sent")
    expect(stdout).toContain("✓ 3 workflows succeeded")
  }, 90_000)

  it("exits 1 with the failure in the summary when the payments API never recovers", () => {
    const { status, stdout } = demo("run", "checkout", "--payment-failures", "9")
    expect(status).toBe(1)
    expect(stdout).toMatch(/charge\s+failed\s+5/)
    expect(stdout).toContain("✗ 1 of 1 workflow did not succeed: checkout failed")
  }, 90_000)
})
