import { EventEmitter } from "node:events"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Resource, Runtime } from "../src/index.js"
import { code, sandbox, workflow } from "./helpers.js"

class Client extends EventEmitter {
  readonly password = "hunter2"
  readonly host = "db.internal"
  query(sql: string) {
    return { rows: [sql] }
  }
  end() {
    return "closed"
  }
  get secret() {
    return this.password
  }
}

const attempt = (expression: string) =>
  `const db = await getResource("db"); try { result = { ok: await ${expression} } } catch (e) { result = { error: String(e && e.message || e) } }`

describe("the resource bridge", () => {
  it.effect("lets a guest call only the resource's own methods, never inherited ones or data", () =>
    Effect.gen(function* () {
      const probes = {
        query: `db.query("select 1")`,
        valueOf: "db.valueOf()",
        toString: "db.toString()",
        constructor: "db.constructor()",
        hasOwnProperty: `db.hasOwnProperty("password")`,
        lookupGetter: `db.__lookupGetter__("secret")`,
        on: `db.on("x", 1)`,
        password: "db.password()",
        secret: "db.secret()"
      }
      const wf = workflow(
        "probe",
        Object.entries(probes).map(([id, expression]) => code(id, attempt(expression)))
      )
      const result = yield* Runtime.execute(wf, {}, { resources: { db: new Client() } })
      assert.deepStrictEqual(result.outputs.query, { ok: { rows: ["select 1"] } })
      for (const id of Object.keys(probes).filter((id) => id !== "query")) {
        const output = result.outputs[id] as { readonly error?: string }
        assert.isString(output.error, `${id} should not be callable`)
        assert.include(output.error, "callable: end, query")
      }
      assert.notInclude(JSON.stringify(result.outputs), "hunter2")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("a resource built on a JavaScript built-in class exposes only its own class's methods", () =>
    Effect.gen(function* () {
      class Registry extends Map<string, string> {
        lookup(key: string) {
          return this.has(key) ? "known" : "unknown"
        }
      }
      const registry = new Registry([["token", "s3cret"]])
      const probes = {
        lookup: `db.lookup("token")`,
        get: `db.get("token")`,
        entries: "db.entries()",
        forEach: "db.forEach(() => {})"
      }
      const wf = workflow(
        "builtins",
        Object.entries(probes).map(([id, expression]) => code(id, attempt(expression)))
      )
      const result = yield* Runtime.execute(wf, {}, { resources: { db: registry } })
      assert.deepStrictEqual(result.outputs.lookup, { ok: "known" })
      for (const id of ["get", "entries", "forEach"]) {
        const output = result.outputs[id] as { readonly error?: string }
        assert.isString(output.error, `${id} should not be callable`)
        assert.include(output.error, "callable: lookup")
      }
      assert.notInclude(JSON.stringify(result.outputs), "s3cret")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect("an allowlist narrows what is callable (a pool's end() is not)", () =>
    Effect.gen(function* () {
      const wf = workflow("allow", [
        code("use", attempt(`db.query("q")`)),
        code("close", attempt("db.end()"))
      ])
      const result = yield* Runtime.execute(
        wf,
        {},
        {
          resources: { db: Resource.allow(new Client(), ["query"]) }
        }
      )
      assert.deepStrictEqual(result.outputs.use, { ok: { rows: ["q"] } })
      const closed = result.outputs.close as { readonly error: string }
      assert.include(closed.error, `"end"`)
      assert.include(closed.error, "callable: query")
    }).pipe(Effect.provide(sandbox))
  )

  it.effect(
    "calls go through a proxy's traps: a recording proxy sees them, a mock's made-up methods work",
    () =>
      Effect.gen(function* () {
        const seen: Array<string> = []
        const recorded = new Proxy(new Client(), {
          get(target, key) {
            const value = Reflect.get(target, key, target) as unknown
            if (typeof value !== "function" || typeof key === "symbol") return value
            return (...args: Array<unknown>) => {
              seen.push(key)
              return (value as (...a: Array<unknown>) => unknown).apply(target, args)
            }
          }
        })
        const mock = new Proxy({} as Record<string, unknown>, {
          get: (target, key) =>
            key === "lookup" ? (id: string) => ({ id }) : Reflect.get(target, key)
        })
        const wf = workflow("proxies", [
          code("recorded", attempt(`db.query("q")`)),
          code("made", `const m = await getResource("mock"); result = await m.lookup("7")`),
          code(
            "inherited",
            `const m = await getResource("mock"); try { result = await m.valueOf() } catch (e) { result = { error: String(e && e.message || e) } }`
          )
        ])
        const result = yield* Runtime.execute(wf, {}, { resources: { db: recorded, mock } })
        assert.deepStrictEqual(result.outputs.recorded, { ok: { rows: ["q"] } })
        assert.deepStrictEqual(seen, ["query"])
        assert.deepStrictEqual(result.outputs.made, { id: "7" })
        assert.include((result.outputs.inherited as { readonly error: string }).error, `"valueOf"`)
      }).pipe(Effect.provide(sandbox))
  )
})
