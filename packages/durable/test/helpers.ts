// Small builders for workflow data in tests, and temporary store locations.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PgClient } from "@effect/sql-pg"
import { afterAll } from "@effect/vitest"
import { Connection as GraphConnection, Node as GraphNode } from "@weft/graph"
import type { Runtime } from "@weft/runtime"
import { Effect, Redacted } from "effect"
import { Reactivity } from "effect/reactivity"

type Workflow = Runtime.Workflow
type Node = Workflow["nodes"][number]
type Settings = Workflow["settings"]
type Connection = Workflow["connections"][number]

/** A task node (function name defaults to the id), as @weft/graph's `Node.task` makes it. */
export const task = (
  id: string,
  options: GraphNode.NodeOptions & { readonly fn?: string } = {}
) => {
  const { fn, ...rest } = options
  return GraphNode.task(id, fn ?? id, rest)
}

export const code = GraphNode.code
export const connect = GraphConnection.make

export const workflow = (
  id: string,
  nodes: ReadonlyArray<Node>,
  connections: ReadonlyArray<Connection> = [],
  settings: Partial<Settings> = {}
): Workflow => ({
  id,
  nodes,
  connections,
  loops: [],
  settings: { mode: "parallel", concurrency: "unbounded", failureMode: "fail-fast", ...settings }
})

/** A fresh directory for store files; `cleanup` removes it. */
export const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-durable-"))
  return {
    dir,
    file: (name: string) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true })
  }
}

/** PostgreSQL for tests (`WEFT_TEST_DATABASE_URL`, default the local server). */
export const postgresUrl =
  process.env.WEFT_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

const schemas = new Set<string>()

/** A schema name of its own per suite/test, so suites run in parallel; `dropSchemas` removes them. */
export const schemaName = (suite: string) => {
  const name = `weft_${suite}_${process.pid}_${Math.floor(Math.random() * 1e9).toString(36)}`
  schemas.add(name)
  return name
}

/** Drops every schema this test file created (call in `afterAll`). */
export const dropSchemas = (): Promise<void> => {
  const names = [...schemas]
  schemas.clear()
  if (names.length === 0) return Promise.resolve()
  return Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(PgClient.make({ url: Redacted.make(postgresUrl), maxConnections: 1 }), (sql) =>
        Effect.forEach(names, (name) => sql.unsafe(`DROP SCHEMA IF EXISTS "${name}" CASCADE`).raw, {
          discard: true
        })
      )
    ).pipe(Effect.provide(Reactivity.layer), Effect.ignore)
  )
}

/**
 * Store locations for one test file: a temporary directory for SQLite files (`file(name)`) and
 * PostgreSQL schemas from `schemaName`; after the file's tests both are removed (registers
 * `afterAll`, so call it at the top level of a test file).
 */
export const storeLocations = () => {
  const dirs = tempDir()
  afterAll(async () => {
    dirs.cleanup()
    await dropSchemas()
  })
  return dirs
}
