// Example: resources are cleaned up.
//
// Functions registered with the harness are callable from code nodes. The harness itself
// releases everything it created after the test — last created, first released — even when
// the test fails or times out.
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { afterAll, expect } from "vitest"

workflowTest("a code node cleans up the resources it creates", async ({ harness }) => {
  const created: Array<string> = []
  const cleaned: Array<string> = []
  harness.registerFunction("create_resource", async (name: string) => {
    created.push(name)
    return `resource_${name}`
  })
  harness.registerFunction("cleanup_resource", async (name: string) => {
    cleaned.push(name)
  })

  const workflow = Workflow.make("resource_test")
    .code(
      "use_resources",
      `const db = await create_resource("database")
       const cache = await create_resource("cache")
       try {
         return { db, cache }
       } finally {
         await cleanup_resource("database")
         await cleanup_resource("cache")
       }`
    )
    .build()

  const result = await harness.execute(workflow)

  harness.assertNodeOutput(result, "use_resources", {
    db: "resource_database",
    cache: "resource_cache"
  })
  expect(created).toHaveLength(2)
  expect(cleaned).toHaveLength(2)
  expect(new Set(created)).toEqual(new Set(cleaned))
})

const lifecycle: Array<string> = []

workflowTest(
  "harness resources are released after the test, in reverse order",
  async ({ harness }) => {
    await harness.resource("database", {
      acquire: async () => {
        lifecycle.push("open database")
        return { query: async (sql: string) => [{ sql }] }
      },
      release: async () => {
        lifecycle.push("close database")
      }
    })
    await harness.resource("cache", {
      acquire: async () => {
        lifecycle.push("open cache")
        return { get: async (key: string) => key }
      },
      release: async () => {
        lifecycle.push("close cache")
      }
    })
    harness.addCleanup(() => lifecycle.push("custom cleanup"))

    const workflow = Workflow.make("uses_db")
      .code("read", `const db = await getResource("database"); return await db.query("select 1")`)
      .build()
    const result = await harness.execute(workflow)

    harness.assertWorkflowSuccess(result)
    harness.assertResourceCalled("database", "query", { times: 1, with: ["select 1"] })
    harness.assertResourceNotCalled("cache")
    expect(lifecycle).toEqual(["open database", "open cache"])
  }
)

afterAll(() => {
  expect(lifecycle).toEqual([
    "open database",
    "open cache",
    "custom cleanup",
    "close cache",
    "close database"
  ])
})
