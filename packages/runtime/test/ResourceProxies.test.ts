import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Resource, Runtime } from "../src/index.js"
import { code, sandbox, workflow } from "./helpers.js"

// Like @weft/fixtures' MockResource: a proxy that answers every property name with a method.
const answersAnything = () =>
  new Proxy({} as Record<string, unknown>, {
    get: (_target, key) =>
      typeof key === "string"
        ? async (...args: Array<unknown>) => ({ method: key, args })
        : undefined
  })

describe("resources that are proxies", () => {
  it.effect("a proxy answering any property is called by code nodes (it has no allowlist)", () =>
    Effect.gen(function* () {
      const wf = workflow("mocked", [
        code("a", `const db = await getResource("db"); return await db.query("select 1", [1])`)
      ])
      const result = yield* Runtime.execute(wf, {}, { resources: { db: answersAnything() } })
      assert.deepStrictEqual(result.errors, [])
      assert.deepStrictEqual(result.outputs.a, { method: "query", args: ["select 1", [1]] })
      assert.isUndefined(Resource.allowedMethods(answersAnything()))
    }).pipe(Effect.provide(sandbox))
  )
})
