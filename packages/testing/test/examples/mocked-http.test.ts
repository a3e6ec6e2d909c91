// Example: mocking an external HTTP service.
//
// `MockHttp` (from @weft/fixtures) answers by method and path and records every request.
// Registered with `harness.mock`, it is what `getResource("http")` returns inside a code node;
// its responses reach the node as `{ status, ok, headers, body }`.
import { MockHttp } from "@weft/fixtures"
import { Workflow } from "@weft/graph"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

const workflow = Workflow.make("api_test")
  .code(
    "fetch_api",
    `const http = await getResource("http")
     const response = await http.get("/api/data")
     return { api_data: response.body.data }`
  )
  .build()

workflowTest("a code node reads from a mocked HTTP service", async ({ harness }) => {
  const http = await harness.mock(
    "http",
    MockHttp.make().on("GET", "/api/data").reply(200, { data: "test" })
  )

  const result = await harness.execute(workflow)

  harness.assertNodeOutput(result, "fetch_api", "test", "api_data")
  harness.assertResourceCalled("http", "get", { times: 1 })
  expect(harness.isMock("http")).toBe(true)
  expect(http.calls("GET", "/api/data")).toHaveLength(1)
  http.assertAllRoutesUsed()
})

workflowTest("a slow service is slow on the virtual clock only", async ({ harness }) => {
  await harness.mock(
    "http",
    MockHttp.make().on("GET", "/api/data").delay("30 seconds").reply(200, { data: "late" })
  )

  const result = await harness.execute(workflow)

  harness.assertNodeOutput(result, "fetch_api", "late", "api_data")
  expect(result.duration).toBe(30_000)
  expect(result.timing.realMs).toBeLessThan(5_000)
})

workflowTest("a service slower than the node's timeout fails the node", async ({ harness }) => {
  await harness.mock(
    "http",
    MockHttp.make().on("GET", "/api/data").delay("30 seconds").reply(200, { data: "late" })
  )
  const impatient = Workflow.make("api_test")
    .code(
      "fetch_api",
      `const http = await getResource("http")
       return { api_data: (await http.get("/api/data")).body.data }`,
      { timeout: "5 seconds" }
    )
    .build()

  const result = await harness.execute(impatient)

  harness.assertWorkflowFailure(result, { node: "fetch_api", tag: "NodeTimedOut" })
  expect(result.duration).toBe(5_000)
  // the abandoned request is cut off when the test ends: no leak to report
})

workflowTest(
  "an unmatched request fails the node, naming the routes that exist",
  async ({ harness }) => {
    await harness.mock("http", MockHttp.make().on("GET", "/api/other").reply(200, {}))

    const result = await harness.execute(workflow)

    harness.assertWorkflowFailure(result, { node: "fetch_api", message: "GET /api/other" })
  }
)
