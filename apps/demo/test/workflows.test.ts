import { readFileSync } from "node:fs"
import path from "node:path"
import { Workflow } from "@weft/graph"
import { Sandbox } from "@weft/sandbox"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { demos } from "../src/workflows/index.js"

const appDir = path.resolve(import.meta.dirname, "..")

describe("workflows/*.json", () => {
  for (const demo of demos) {
    it(`${demo.file} is the JSON form of src/workflows/${demo.name}.ts (regenerate: pnpm workflows)`, () => {
      const stored: unknown = JSON.parse(readFileSync(path.join(appDir, demo.file), "utf8"))
      expect(stored).toEqual(Workflow.toJSON(demo.workflow))
    })

    it(`${demo.file} reads back as the same, valid workflow`, () => {
      const text = readFileSync(path.join(appDir, demo.file), "utf8")
      const workflow = Effect.runSync(Workflow.fromJSON(text, { checkSyntax: Sandbox.syntaxMessage }))
      expect(Workflow.toJSON(workflow)).toEqual(Workflow.toJSON(demo.workflow))
    })
  }

  it("checkout charges after pricing and fans out to receipt and order", () => {
    const checkout = demos.find((d) => d.name === "checkout")!.workflow
    expect(Workflow.levels(checkout)).toEqual([
      ["validate_cart"],
      ["price"],
      ["charge"],
      ["send_receipt", "record_order"]
    ])
  })
})
