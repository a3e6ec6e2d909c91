import { MockHttp, MockResource } from "@weft/fixtures"
import { Trace } from "@weft/runtime"
import { workflowTest } from "@weft/testing"
import { describe, expect } from "vitest"
import type { SqlClient } from "../src/services/database.js"
import { params, workflow } from "../src/workflows/checkout.js"

const paymentsFailingTwice = () =>
  MockHttp.make({ baseUrl: "https://payments.test" })
    .on("POST", "/charges")
    .replyOnce(503, { error: "unavailable" })
    .replyOnce(503, { error: "unavailable" })
    .reply(201, { id: "ch_1", amount: 5880, currency: "EUR", status: "succeeded" })

const mailAccepting = () =>
  MockHttp.make({ baseUrl: "https://mail.test" })
    .on("POST", "/messages")
    .reply(202, { id: "msg_1" })

const ordersTable = () => {
  const db = MockResource.make<SqlClient>()
  db.when("query").returns([{ id: 7 }])
  return db
}

describe("checkout", () => {
  workflowTest(
    "charges on the third attempt after two 503s, waiting 200 + 400 ms of virtual time",
    async ({ harness }) => {
      const payments = paymentsFailingTwice()
      await harness.mock("payments", payments)
      await harness.mock("mail", mailAccepting())
      await harness.mock("db", ordersTable())

      const result = await harness.execute(workflow, params)

      harness.assertWorkflowSuccess(result)
      harness.assertNodeOutput(result, "charge", "ch_1", "chargeId")
      harness.assertRetried("charge", 2, result)
      expect(result.nodes.charge?.attempts).toBe(3)
      expect(Trace.ofType(result.trace, "node-retrying").map((e) => e.delay)).toEqual([200, 400])
      expect(result.timing.virtualMs).toBe(600)
      // the total: 2 × 12.50 + 24.00 = 49.00, plus 20 % tax
      expect(payments.calls("POST", "/charges").map((call) => call.body)).toEqual([
        { amount: 5880, currency: "EUR", reference: "ord_1001" },
        { amount: 5880, currency: "EUR", reference: "ord_1001" },
        { amount: 5880, currency: "EUR", reference: "ord_1001" }
      ])
      harness.assertResourceCalled("payments", "post", { times: 3 })
    }
  )

  workflowTest(
    "sends the receipt and records the order after the charge, in parallel",
    async ({ harness }) => {
      await harness.mock("payments", paymentsFailingTwice())
      await harness.mock("mail", mailAccepting())
      await harness.mock("db", ordersTable())

      const result = await harness.execute(workflow, params)

      harness.assertWorkflowSuccess(result)
      harness.assertOrder("charge", "send_receipt")
      harness.assertOrder("charge", "record_order")
      harness.assertResourceCalled("mail", "post", { times: 1 })
      harness.assertNodeOutput(result, "record_order", 7, "orderRow")
      const insert = harness.calls("db", "query")[0]
      expect(insert?.args[1]).toEqual([
        "ord_1001",
        "ada@example.com",
        5880,
        "EUR",
        "ch_1",
        JSON.stringify([
          { sku: "MUG-01", quantity: 2, price: 12.5 },
          { sku: "TEE-M", quantity: 1, price: 24 }
        ])
      ])
      const started = (id: string) => result.nodes[id]?.startedAt ?? Number.NaN
      expect(started("send_receipt")).toBe(started("record_order"))
    }
  )

  workflowTest(
    "fails with RetriesExhausted when the payments API stays down",
    async ({ harness }) => {
      await harness.mock(
        "payments",
        MockHttp.make().on("POST", "/charges").reply(503, { error: "down" })
      )
      await harness.mock("mail", mailAccepting())
      await harness.mock("db", ordersTable())

      const result = await harness.execute(workflow, params)

      expect(result.status).toBe("failed")
      expect(result.nodes.charge?.attempts).toBe(5)
      expect(result.errors[0]?.message).toContain("503")
      harness.assertResourceNotCalled("mail")
      harness.assertResourceNotCalled("db")
    }
  )

  workflowTest("does not retry a declined payment", async ({ harness }) => {
    await harness.mock(
      "payments",
      MockHttp.make().on("POST", "/charges").reply(402, { error: "card declined" })
    )
    await harness.mock("mail", mailAccepting())
    await harness.mock("db", ordersTable())

    const result = await harness.execute(workflow, params)

    expect(result.status).toBe("failed")
    expect(result.nodes.charge?.attempts).toBe(1)
    expect(Trace.ofType(result.trace, "node-failed")[0]?.error).toBe("PaymentDeclined")
  })

  workflowTest("rejects an invalid cart before calling the payments API", async ({ harness }) => {
    await harness.mock("payments", paymentsFailingTwice())
    await harness.mock("mail", mailAccepting())
    await harness.mock("db", ordersTable())

    const result = await harness.execute(workflow, {
      ...params,
      order: { id: "ord_1", email: "nobody", items: [] }
    })

    expect(result.status).toBe("failed")
    expect(Trace.ofType(result.trace, "node-failed")[0]?.error).toBe("InvalidCart")
    expect(result.errors[0]?.message).toContain("order.email must be an e-mail address")
    harness.assertResourceNotCalled("payments")
  })
})
