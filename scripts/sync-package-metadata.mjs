// Brings every public package's package.json in line with what scripts/check-pack.mjs checks:
// an exports entry per public module (src/<Module>.ts → "<name>/<Module>", no "./*" pattern that
// would expose tsup's chunk files), LICENSE packed (copied from the root when missing), and no
// placeholder repository. Run it after adding a package or a public module:
//   node scripts/sync-package-metadata.mjs
import fs from "node:fs"
import path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const license = path.join(root, "LICENSE")
for (const dir of fs.readdirSync(path.join(root, "packages")).sort()) {
  const home = path.join(root, "packages", dir)
  const file = path.join(home, "package.json")
  if (!fs.existsSync(file)) continue
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"))
  if (pkg.private === true) continue
  const before = JSON.stringify(pkg)
  const modules = fs
    .readdirSync(path.join(home, "src"))
    .filter((name) => /^[A-Z]\w*\.ts$/.test(name))
    .map((name) => name.slice(0, -3))
    .sort()
  const exports = { ".": { types: "./dist/index.d.ts", import: "./dist/index.js" } }
  for (const module of modules)
    exports[`./${module}`] = { types: `./dist/${module}.d.ts`, import: `./dist/${module}.js` }
  // hand-written entry points (e.g. @weft/metered's "./redis" backend) are kept as they are
  for (const [key, value] of Object.entries(pkg.exports ?? {}))
    if (/^\.\/[a-z][\w-]*$/.test(key) && value !== null) exports[key] = value
  exports["./internal/*"] = null
  exports["./package.json"] = "./package.json"
  pkg.exports = exports
  pkg.license = "MIT"
  pkg.files = [...new Set([...(pkg.files ?? ["dist", "README.md", "CHANGELOG.md"]), "LICENSE"])]
  if (/example\.invalid/.test(JSON.stringify(pkg.repository ?? ""))) delete pkg.repository
  if (!fs.existsSync(path.join(home, "LICENSE"))) {
    fs.copyFileSync(license, path.join(home, "LICENSE"))
    console.log(`${pkg.name}: LICENSE copied`)
  }
  if (JSON.stringify(pkg) !== before) {
    fs.writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`)
    console.log(`${pkg.name}: package.json updated`)
  }
}
