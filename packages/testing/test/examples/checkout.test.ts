// Example: a checkout flow with payments and email.
//
// Two mocked services; the payment service fails twice before it answers, and the charge
// node's retry policy (exponential backoff, all on the virtual clock) gets it through.
import { Failures, MockHttp } from "@weft/fixtures"
import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { workflowTest } from "@weft/testing"
import { expect } from "vitest"

const checkout = Workflow.make("checkout")
  .code(
    "price",
    "return { cents: Math.round(items.reduce((sum, item) => sum + item.price, 0) * 100) }"
  )
  .code(
    "charge",
    `const payments = await getResource("payments")
     const response = await payments.post("/charges", { json: { amount: cents, user: user_id } })
     return response.body`,
    {
      retry: Policy.exponential({
        base: "200 millis",
        maxAttempts: 5,
        maxDelay: "5 seconds",
        jitter: "none"
      })
    }
  )
  .code(
    "receipt",
    `const email = await getResource("email")
     const response = await email.post("/send", { json: { to: user_id, charge: charge.id } })
     return response.body`
  )
  .connect("price", "cents", "charge", "cents")
  .connect("charge", "", "receipt", "charge")
  .build()

const params = { user_id: 123, price: { items: [{ id: 1, price: 99.99 }] } }

workflowTest("checkout charges the card and emails a receipt", async ({ harness }) => {
  const payments = await harness.mock(
    "payments",
    MockHttp.make().on("POST", "/charges").reply(201, { id: "ch_1", status: "success" })
  )
  const email = await harness.mock(
    "email",
    MockHttp.make().on("POST", "/send").reply(200, { id: "email_123" })
  )

  const result = await harness.execute(checkout, params)

  harness.assertWorkflowSuccess(result)
  harness.assertResourceCalled("payments", "post", { times: 1 })
  harness.assertResourceCalled("email", "post", { times: 1 })
  harness.assertOrder("price", "charge", "receipt")
  expect(payments.calls("POST", "/charges")[0]?.body).toEqual({ amount: 9999, user: 123 })
  expect(email.calls("POST", "/send")[0]?.body).toEqual({ to: 123, charge: "ch_1" })
  harness.assertNodeOutput(result, "receipt", "email_123", "id")
})

workflowTest(
  "a flaky payment service is retried with backoff, charging once",
  async ({ harness }) => {
    await harness.mock(
      "payments",
      MockHttp.make()
        .on("POST", "/charges")
        .failTimes(2, new Failures.ConnectionError())
        .reply(201, { id: "ch_2" })
    )
    await harness.mock("email", MockHttp.make().on("POST", "/send").reply(200, { id: "email_456" }))

    const result = await harness.execute(checkout, params)

    harness.assertWorkflowSuccess(result)
    harness.assertRetried("charge", 2)
    harness.assertResourceCalled("payments", "post", { times: 3 })
    harness.assertResourceCalled("email", "post", {
      times: 1,
      with: ["/send", { json: { to: 123, charge: "ch_2" } }]
    })
    expect(result.nodes.charge?.duration).toBe(600) // 200 ms + 400 ms of backoff
  }
)

workflowTest("when payments stay down, no receipt is sent", async ({ harness }) => {
  await harness.mock(
    "payments",
    MockHttp.make().on("POST", "/charges").fail(new Failures.ServiceUnavailable())
  )
  await harness.mock("email", MockHttp.make().on("POST", "/send").reply(200, {}))

  const result = await harness.execute(checkout, params)

  harness.assertWorkflowFailure(result, { node: "charge", tag: "ServiceUnavailable" })
  harness.assertExecutionCount("charge", 5)
  harness.assertResourceNotCalled("email")
  harness.assertNodeStatus(result, "receipt", "skipped")
})
