// Runs every package's benchmark (`bench` script) and prints one summary table.
// Each benchmark writes bench-results/summary.json: [{ benchmark, figure, baseline, ratio }].
// `pnpm bench --json` also writes the combined table to bench-results.json at the root.
import { spawnSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const json = process.argv.includes("--json")
const rows = []
for (const dir of fs.readdirSync(path.join(root, "packages")).sort()) {
  const pkgDir = path.join(root, "packages", dir)
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"))
  if (!pkg.scripts?.bench || !fs.existsSync(path.join(pkgDir, "bench"))) continue
  console.log(`\n=== ${pkg.name} ===`)
  const run = spawnSync("pnpm", ["run", "bench"], { cwd: pkgDir, stdio: "inherit" })
  if (run.status !== 0) {
    console.error(`${pkg.name}: benchmark failed (exit ${run.status})`)
    process.exitCode = 1
    continue
  }
  const file = path.join(pkgDir, "bench-results", "summary.json")
  if (fs.existsSync(file)) {
    for (const row of JSON.parse(fs.readFileSync(file, "utf8"))) rows.push({ package: pkg.name, ...row })
  }
}
if (rows.length > 0) {
  console.log("\nSummary")
  const cols = ["package", "benchmark", "figure", "baseline", "ratio"]
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)))
  const line = (vals) => vals.map((v, i) => String(v ?? "").padEnd(width[i])).join("  ")
  console.log(line(cols))
  console.log(line(width.map((w) => "-".repeat(w))))
  for (const r of rows) console.log(line(cols.map((c) => r[c])))
}
if (json) {
  fs.writeFileSync(path.join(root, "bench-results.json"), `${JSON.stringify(rows, null, 2)}\n`)
  console.log("\nwrote bench-results.json")
}
