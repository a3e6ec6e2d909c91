// Regenerates workflows/*.json from the TypeScript definitions (test/workflows.test.ts fails
// when they drift apart). Run: pnpm --filter @weft/demo workflows (it also formats them).
import { writeFileSync } from "node:fs"
import path from "node:path"
import { Workflow } from "@weft/graph"
import { demos } from "../src/workflows/index.js"

const appDir = path.resolve(import.meta.dirname, "..")
for (const demo of demos) {
  writeFileSync(
    path.join(appDir, demo.file),
    `${JSON.stringify(Workflow.toJSON(demo.workflow), null, 2)}\n`
  )
  console.log(`wrote ${demo.file}`)
}
