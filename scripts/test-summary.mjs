// Sums vitest's JSON reports (test-results/vitest.json in each package) into per-package
// lines and one closing line `tests: N passed, N failed`. Exits 1 when any test failed or
// when a package that has tests produced no report.
import fs from "node:fs"
import path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const dirs = ["packages", "apps"].flatMap((group) =>
  fs.existsSync(path.join(root, group))
    ? fs.readdirSync(path.join(root, group)).map((name) => path.join(group, name))
    : []
)
let passed = 0
let failed = 0
let missing = 0
for (const dir of dirs.sort()) {
  const pkgFile = path.join(root, dir, "package.json")
  if (!fs.existsSync(pkgFile)) continue
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8"))
  if (!pkg.scripts?.test) continue
  const report = path.join(root, dir, "test-results", "vitest.json")
  if (!fs.existsSync(report)) {
    console.log(`${pkg.name.padEnd(16)} no test report`)
    missing++
    continue
  }
  const r = JSON.parse(fs.readFileSync(report, "utf8"))
  const p = r.numPassedTests ?? 0
  // A file that fails to load has no failed tests but is a failure all the same.
  const f = Math.max(r.numFailedTests ?? 0, r.numFailedTestSuites ?? 0)
  const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  passed += p
  failed += f
  console.log(`${pkg.name.padEnd(16)} ${p} passed, ${f} failed${s ? `, ${s} skipped` : ""}`)
}
console.log(`tests: ${passed} passed, ${failed} failed`)
process.exit(failed > 0 || missing > 0 ? 1 : 0)
