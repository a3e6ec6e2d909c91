// Type-checks the documentation's examples against the built packages:
// - every ```ts block inside a JSDoc `@example` of packages/*/src/*.ts (public modules);
// - every ```ts block of README.md / packages/*/README.md / apps/demo/README.md that imports
//   something (a block without imports is a fragment, e.g. a type signature, and is skipped).
// Each block becomes its own module under apps/demo/.docs-check/ (where every @weft package
// resolves) and one `tsc` run checks them all. Exit 1 with file:line of each failing example.
import { spawnSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const out = path.join(root, "apps", "demo", ".docs-check")
fs.rmSync(out, { recursive: true, force: true })
fs.mkdirSync(out, { recursive: true })

const examples = [] // { file, line, code }
const packagesDir = path.join(root, "packages")
for (const pkg of fs.readdirSync(packagesDir).sort()) {
  const src = path.join(packagesDir, pkg, "src")
  if (!fs.existsSync(src)) continue
  for (const name of fs.readdirSync(src).sort()) {
    if (!name.endsWith(".ts")) continue
    const file = path.join(src, name)
    const lines = fs.readFileSync(file, "utf8").split("\n")
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*\*\s*@example/.test(lines[i])) continue
      let j = i + 1
      while (j < lines.length && !/^\s*\*\s*```(ts|typescript)\s*$/.test(lines[j])) {
        if (/^\s*\*\s*@\w/.test(lines[j]) || /\*\//.test(lines[j])) break
        j++
      }
      if (j >= lines.length || !/```(ts|typescript)/.test(lines[j])) continue
      const body = []
      let k = j + 1
      for (; k < lines.length && !/^\s*\*\s*```\s*$/.test(lines[k]); k++) {
        body.push(lines[k].replace(/^\s*\* ?/, ""))
      }
      examples.push({ file, line: j + 2, code: body.join("\n") })
      i = k
    }
  }
}
const readmes = [path.join(root, "README.md"), path.join(root, "apps", "demo", "README.md")]
for (const pkg of fs.readdirSync(packagesDir)) readmes.push(path.join(packagesDir, pkg, "README.md"))
for (const file of readmes) {
  if (!fs.existsSync(file)) continue
  const lines = fs.readFileSync(file, "utf8").split("\n")
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue
    const body = []
    let k = i + 1
    for (; k < lines.length && !/^```\s*$/.test(lines[k]); k++) body.push(lines[k])
    const code = body.join("\n")
    if (/^\s*import\s/m.test(code)) examples.push({ file, line: i + 2, code })
    i = k
  }
}

const map = {}
examples.forEach((ex, n) => {
  const name = `example-${String(n).padStart(4, "0")}.ts`
  map[name] = ex
  fs.writeFileSync(path.join(out, name), `${ex.code}\nexport {}\n`)
})
fs.writeFileSync(
  path.join(out, "tsconfig.json"),
  JSON.stringify(
    {
      extends: "../../../tsconfig.base.json",
      compilerOptions: { noUnusedLocals: false, noUnusedParameters: false },
      include: ["*.ts"]
    },
    null,
    2
  )
)
const tsc = spawnSync(path.join(root, "node_modules", ".bin", "tsc"), ["-p", out, "--pretty", "false"], {
  encoding: "utf8"
})
const errors = `${tsc.stdout}${tsc.stderr}`.split("\n").filter((l) => l.trim() !== "")
const failing = new Map()
for (const line of errors) {
  const m = /(example-\d+\.ts)\((\d+),(\d+)\): (.*)$/.exec(line)
  if (!m) continue
  const ex = map[m[1]]
  const where = `${path.relative(root, ex.file)}:${ex.line + Number(m[2]) - 1}`
  if (!failing.has(where)) failing.set(where, m[4])
}
for (const [where, message] of failing) console.log(`${where}  ${message}`)
const other = errors.filter((l) => !/example-\d+\.ts\(/.test(l))
if (tsc.status !== 0 && failing.size === 0) console.log(other.join("\n"))
console.log(`docs: ${examples.length} examples checked, ${failing.size} failing`)
process.exit(tsc.status === 0 ? 0 : 1)
