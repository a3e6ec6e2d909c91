// Packs every public package the way `pnpm publish` would, installs the tarballs into a fresh
// project outside the repo and checks what a user gets:
//   - each tarball holds LICENSE, README.md and dist/, no sources or tests, no `workspace:`
//     ranges, and no `./*` export (which would expose tsup's hashed chunk files);
//   - a consumer file that imports every package type-checks with `strict` and
//     `skipLibCheck: false` under `nodenext` and `bundler` resolution, with no diagnostics at all;
//   - the packages run from the tarballs under plain Node (ESM), and `require()` of one fails
//     with the error the READMEs quote.
// Offline: the tarballs are extracted into node_modules/@weft/*, and their registry
// dependencies (effect, vitest, pg, ...) are linked from this repo's installed node_modules.
import { execFileSync, spawnSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const started = performance.now()
const failures = []
const fail = (message) => failures.push(message)

const packages = fs
  .readdirSync(path.join(root, "packages"))
  .map((dir) => path.join(root, "packages", dir))
  .filter((dir) => fs.existsSync(path.join(dir, "package.json")))
  .map((dir) => ({
    dir,
    manifest: JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"))
  }))
  .filter(({ manifest }) => manifest.private !== true)
  .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name))

const work = fs.mkdtempSync(path.join(os.tmpdir(), "weft-pack-"))
const tarballs = path.join(work, "tarballs")
const project = path.join(work, "consumer")
const modules = path.join(project, "node_modules")
fs.mkdirSync(tarballs)
fs.mkdirSync(path.join(modules, "@weft"), { recursive: true })

const pnpm = process.env.npm_execpath
const pack = (dir) => {
  const before = new Set(fs.readdirSync(tarballs))
  if (pnpm?.endsWith(".js") || pnpm?.endsWith(".cjs"))
    execFileSync(process.execPath, [pnpm, "pack", "--pack-destination", tarballs], {
      cwd: dir,
      stdio: "pipe"
    })
  else
    execFileSync(pnpm ?? "pnpm", ["pack", "--pack-destination", tarballs], {
      cwd: dir,
      stdio: "pipe"
    })
  const created = fs.readdirSync(tarballs).filter((file) => !before.has(file))
  if (created.length !== 1) throw new Error(`pnpm pack in ${dir} wrote ${created.length} tarballs`)
  return path.join(tarballs, created[0])
}

// 1. pack, inspect, extract
const registryDeps = new Map() // name -> the directory it resolves to from the package that needs it
for (const { dir, manifest } of packages) {
  const tarball = pack(dir)
  const entries = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
  for (const required of [
    "package/LICENSE",
    "package/README.md",
    "package/package.json",
    "package/dist/index.js",
    "package/dist/index.d.ts"
  ])
    if (!entries.includes(required))
      fail(`${manifest.name}: the tarball has no ${required.slice(8)}`)
  const stray = entries.filter((entry) => /^package\/(src|test|bench)\//.test(entry))
  if (stray.length > 0)
    fail(`${manifest.name}: the tarball ships ${stray[0]} (and ${stray.length - 1} more)`)
  const target = path.join(modules, manifest.name)
  fs.mkdirSync(target, { recursive: true })
  execFileSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"])
  const packed = JSON.parse(fs.readFileSync(path.join(target, "package.json"), "utf8"))
  if (packed.license !== "MIT") fail(`${manifest.name}: license is ${packed.license}, not MIT`)
  // every public module (src/<Module>.ts) is importable as "<name>/<Module>", and nothing else
  const publicModules = fs
    .readdirSync(path.join(dir, "src"))
    .filter((file) => /^[A-Z]\w*\.ts$/.test(file))
    .map((file) => `./${file.slice(0, -3)}`)
  for (const subpath of publicModules)
    if (packed.exports?.[subpath] === undefined)
      fail(`${manifest.name}: exports has no "${subpath}" for src/${subpath.slice(2)}.ts`)
  if (packed.exports?.["./*"] !== undefined)
    fail(`${manifest.name}: exports "./*" exposes dist's chunk files`)
  if (packed.repository !== undefined && /example\.invalid/.test(JSON.stringify(packed.repository)))
    fail(`${manifest.name}: repository.url is a placeholder`)
  for (const field of ["dependencies", "peerDependencies"])
    for (const [name, range] of Object.entries(packed[field] ?? {})) {
      if (String(range).startsWith("workspace:"))
        fail(`${manifest.name}: ${field}.${name} is still ${range}`)
      if (!name.startsWith("@weft/") && !registryDeps.has(name)) {
        const installed = path.join(dir, "node_modules", name)
        if (fs.existsSync(installed)) registryDeps.set(name, fs.realpathSync(installed))
        else if (field === "dependencies")
          fail(`${manifest.name}: dependency ${name} is not installed in the repo`)
      }
    }
}
// what a consumer installs next to them: the peers, and the compiler
for (const name of ["effect", "vitest", "typescript", "@types/node"]) {
  if (registryDeps.has(name)) continue
  const candidates = [
    path.join(root, "node_modules", name),
    ...packages.map(({ dir }) => path.join(dir, "node_modules", name))
  ]
  const found = candidates.find((candidate) => fs.existsSync(candidate))
  if (found === undefined) throw new Error(`${name} is not installed in the repo: run pnpm install`)
  registryDeps.set(name, fs.realpathSync(found))
}
for (const [name, dir] of registryDeps) {
  const link = path.join(modules, name)
  fs.mkdirSync(path.dirname(link), { recursive: true })
  fs.symlinkSync(dir, link, "dir")
}

// 2. type-check a consumer file under both resolutions
const dependencies = Object.fromEntries(
  packages.map(({ manifest }) => [manifest.name, manifest.version])
)
fs.writeFileSync(
  path.join(project, "package.json"),
  JSON.stringify({ name: "weft-consumer", private: true, type: "module", dependencies }, null, 2)
)
fs.writeFileSync(
  path.join(project, "consumer.ts"),
  `import { Failures, MockHttp } from "@weft/fixtures"
import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { Runtime, Timeline, Trace } from "@weft/runtime"
import { Sandbox } from "@weft/sandbox"
import { Matchers, workflowTest } from "@weft/testing"
import { Effect } from "effect"
import { expect } from "vitest"
${packages.map(({ manifest }, i) => `export * as package${i} from "${manifest.name}"`).join("\n")}

const checkout = Workflow.make("checkout")
  .code("price", "return { cents: 999 }")
  .code("charge", "return cents", { retry: Policy.exponential({ base: "200 millis", maxAttempts: 5 }) })
  .connect("price", "cents", "charge", "cents")
  .build()

export const execute = () => Runtime.run(checkout, {})

export const run = async (): Promise<string> => {
  const result = await Runtime.run(checkout, {})
  return Timeline.render(result) + Trace.lines(result.trace).join("\\n")
}

export const program: Effect.Effect<unknown, unknown> = Runtime.execute(checkout, {}).pipe(
  Effect.provide(Sandbox.layerQuickJs())
)

Matchers.install()
workflowTest("charges once", async ({ harness }) => {
  await harness.mock("payments", MockHttp.make().on("POST", "/charges").failTimes(1, new Failures.ConnectionError()).reply(201, { id: "ch_1" }))
  const result = await harness.execute(checkout, {})
  expect(result).toSucceed()
  expect(result).toHaveNodeOutput("charge", 999)
  expect(1).toBe(1)
  expect.soft(result.status).toBe("succeeded")
})
`
)
const base = {
  strict: true,
  skipLibCheck: false,
  noEmit: true,
  // with declarations on, an exported inferred type must be nameable from the packages' exports
  declaration: true,
  target: "ES2023",
  lib: ["ES2023", "DOM"],
  types: ["node"],
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true
}
const resolutions = {
  nodenext: { module: "nodenext", moduleResolution: "nodenext" },
  bundler: { module: "esnext", moduleResolution: "bundler" }
}
const tsc = path.join(registryDeps.get("typescript"), "bin", "tsc")
for (const [name, options] of Object.entries(resolutions)) {
  const config = `tsconfig.${name}.json`
  fs.writeFileSync(
    path.join(project, config),
    JSON.stringify({ compilerOptions: { ...base, ...options }, files: ["consumer.ts"] }, null, 2)
  )
  const check = spawnSync(process.execPath, [tsc, "-p", config, "--pretty", "false"], {
    cwd: project,
    encoding: "utf8"
  })
  const diagnostics = `${check.stdout}${check.stderr}`
    .split("\n")
    .filter((line) => /error TS\d+/.test(line))
  if (check.status !== 0 || diagnostics.length > 0)
    fail(
      `tsc (${name} resolution, skipLibCheck: false) reported ${diagnostics.length} diagnostics:\n  ${(diagnostics.length > 0 ? diagnostics : [check.stdout + check.stderr]).slice(0, 20).join("\n  ")}`
    )
}

// 3. run from the tarballs: ESM import works; require() fails with the documented error
const esm = spawnSync(
  process.execPath,
  [
    "--input-type=module",
    "-e",
    `import { Workflow } from "@weft/graph"
import { Runtime, Timeline } from "@weft/runtime"
const wf = Workflow.make("hello").code("greet", "return 'hi ' + name").build()
const result = await Runtime.run(wf, { greet: { name: "Ada" } })
if (result.outputs.greet !== "hi Ada") throw new Error("unexpected output " + JSON.stringify(result.outputs))
if (!Timeline.render(result).startsWith("<!doctype html>")) throw new Error("no timeline")
console.log("ok")`
  ],
  { cwd: project, encoding: "utf8", timeout: 60_000 }
)
if (esm.status !== 0 || esm.stdout.trim() !== "ok")
  fail(
    `running @weft/runtime from its tarball failed (exit ${esm.status}):\n${esm.stdout}${esm.stderr}`
  )
const cjs = spawnSync(process.execPath, ["-e", `require("@weft/runtime")`], {
  cwd: project,
  encoding: "utf8"
})
const requireError =
  /Error \[ERR_PACKAGE_PATH_NOT_EXPORTED\]: No "exports" main defined in .*@weft\/runtime\/package\.json/
if (cjs.status === 0 || !requireError.test(cjs.stderr))
  fail(
    `require("@weft/runtime") did not fail with ERR_PACKAGE_PATH_NOT_EXPORTED as the READMEs say:\n${cjs.stderr}`
  )

const seconds = ((performance.now() - started) / 1000).toFixed(1)
// WEFT_PACK_KEEP=1 keeps the temporary project of a failed check for a look
const keep = failures.length > 0 && process.env.WEFT_PACK_KEEP === "1"
if (!keep) fs.rmSync(work, { recursive: true, force: true })
if (failures.length > 0) {
  console.error(
    `pack check: ${failures.length} problem(s)${keep ? ` (project kept in ${work})` : " (WEFT_PACK_KEEP=1 keeps the project)"}\n- ${failures.join("\n- ")}\n(exports, LICENSE and repository: node scripts/sync-package-metadata.mjs fixes them)`
  )
  process.exit(1)
}
console.log(
  `pack check: ${packages.length} tarballs installed into a fresh project; consumer type-checks under nodenext and bundler with skipLibCheck: false; ESM run ok; require() refused as documented (${seconds}s)`
)
