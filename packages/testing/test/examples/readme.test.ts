// The root README's 20-line example, run as written; the last test keeps the two identical.
import { Failures, MockHttp } from "@weft/fixtures"
import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { Runtime } from "@weft/runtime"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

// Build: a graph of code nodes (run in a QuickJS sandbox), validated when built.
const checkout = Workflow.make("checkout")
  .code("price", "return { cents: Math.round(items.reduce((s, i) => s + i.price, 0) * 100) }")
  .code("charge", `const payments = await getResource("payments")
     return (await payments.post("/charges", { json: { amount: cents } })).body`,
    { retry: Policy.exponential({ base: "200 millis", maxAttempts: 5 }) })
  .connect("price", "cents", "charge", "cents")
  .build()

// Run: for real, with your payments client (any object whose methods return Promises).
export const charge = (items: Array<{ price: number }>, payments: object) =>
  Runtime.run(checkout, { price: { items } }, { resources: { payments } })

// Test: on virtual time — the 200 + 400 ms of backoff take no real time.
workflowTest("charges once after two failures", async ({ harness }) => {
  await harness.mock("payments", MockHttp.make().on("POST", "/charges")
    .failTimes(2, new Failures.ConnectionError()).reply(201, { id: "ch_1" }))
  const result = await harness.execute(checkout, { price: { items: [{ price: 9.99 }] } })
  expect(result).toSucceed()
  harness.assertNodeOutput(result, "charge", "ch_1", "id")
  harness.assertResourceCalled("payments", "post", { times: 3 })
  expect(result.duration).toBe(600)
})

workflowTest("this page is the root README's example, verbatim", async () => {
  const { readFileSync } = await import("node:fs")
  const readme = readFileSync(new URL("../../../../README.md", import.meta.url), "utf8")
  const start = readme.indexOf("```ts\nimport { Failures") + "```ts\n".length
  const block = readme.slice(start, readme.indexOf("```", start))
  expect(readFileSync(new URL(import.meta.url), "utf8")).toContain(block)
})
