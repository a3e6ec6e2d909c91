// Checkout: validate the cart → price it → charge it through the payments API (retried with
// exponential backoff: the demo's payments server answers 503 to the first two calls) → then,
// in parallel, e-mail the receipt and record the order in PostgreSQL.
import { Workflow } from "@weft/graph"
import { Policy } from "@weft/retry"
import { Sandbox } from "@weft/sandbox"
import type { JsonObject } from "../services/json.js"
import { js } from "./source.js"

export const workflow = Workflow.make("checkout", {
  name: "Checkout",
  description:
    "Validate a cart, price it, charge it (retrying a flaky payments API), then e-mail the receipt and record the order in parallel."
})
  .code(
    "validate_cart",
    js`
      if (typeof order !== "object" || order === null) throw new Error("params.order is missing")
      const problems = []
      if (typeof order.id !== "string" || order.id === "") problems.push("order.id must be a non-empty string")
      if (typeof order.email !== "string" || !order.email.includes("@")) problems.push("order.email must be an e-mail address")
      if (!Array.isArray(order.items) || order.items.length === 0) problems.push("order.items must list at least one item")
      for (const [i, item] of (order.items ?? []).entries()) {
        if (typeof item.sku !== "string") problems.push("items[" + i + "].sku must be a string")
        if (!Number.isInteger(item.quantity) || item.quantity < 1) problems.push("items[" + i + "].quantity must be a positive integer")
        if (typeof item.price !== "number" || item.price < 0) problems.push("items[" + i + "].price must be a price >= 0")
      }
      if (problems.length > 0) {
        const error = new Error(problems.join("; "))
        error.name = "InvalidCart"
        throw error
      }
      return { id: order.id, email: order.email, currency: order.currency ?? "EUR", items: order.items }
    `,
    { description: "Checks the order's id, e-mail and items; fails with InvalidCart." }
  )
  .code(
    "price",
    js`
      const subtotal = cart.items.reduce((sum, item) => sum + Math.round(item.price * 100) * item.quantity, 0)
      const rate = typeof taxRate === "number" ? taxRate : 0
      const tax = Math.round(subtotal * rate)
      return { currency: cart.currency, subtotal, tax, total: subtotal + tax }
    `,
    { description: "Totals the cart in cents, with tax (the node-scoped `taxRate` param)." }
  )
  .code(
    "charge",
    js`
      const payments = await getResource("payments")
      const response = await payments.post("/charges", {
        json: { amount: totals.total, currency: totals.currency, reference: orderId }
      })
      if (!response.ok) {
        const error = new Error("payments API answered " + response.status + ": " + JSON.stringify(response.body))
        error.name = response.status >= 500 ? "PaymentsUnavailable" : "PaymentDeclined"
        throw error
      }
      return { chargeId: response.body.id, amount: response.body.amount, currency: response.body.currency }
    `,
    {
      description: "Charges the total; 5xx and network errors are retried, a decline is not.",
      resources: ["payments"],
      timeout: "10 seconds",
      retry: Policy.exponential({
        base: "200 millis",
        factor: 2,
        maxAttempts: 5,
        maxDelay: "2 seconds",
        retryOn: ["PaymentsUnavailable", "NetworkError"],
        abortOn: ["PaymentDeclined"]
      })
    }
  )
  .code(
    "send_receipt",
    js`
      const mail = await getResource("mail")
      const amount = (charge.amount / 100).toFixed(2) + " " + charge.currency
      const response = await mail.post("/messages", {
        json: { to: cart.email, subject: "Your order " + cart.id, text: "We charged " + amount + " (" + charge.chargeId + "). Thank you!" }
      })
      if (!response.ok) {
        const error = new Error("mail API answered " + response.status)
        error.name = response.status >= 500 ? "MailUnavailable" : "MailRejected"
        throw error
      }
      return { messageId: response.body.id, to: cart.email }
    `,
    {
      description: "E-mails the receipt.",
      resources: ["mail"],
      retry: Policy.fixed({
        delay: "500 millis",
        maxAttempts: 3,
        retryOn: ["MailUnavailable", "NetworkError"]
      })
    }
  )
  .code(
    "record_order",
    js`
      const db = await getResource("db")
      const rows = await db.query(
        "insert into orders (order_id, customer_email, total_cents, currency, charge_id, items) values ($1, $2, $3, $4, $5, $6::jsonb) returning id",
        [cart.id, cart.email, charge.amount, charge.currency, charge.chargeId, JSON.stringify(cart.items)]
      )
      return { orderRow: rows[0].id }
    `,
    { description: "Records the paid order in the orders table.", resources: ["db"] }
  )
  .connect("validate_cart", "", "price", "cart")
  .connect("validate_cart", "id", "charge", "orderId")
  .connect("price", "", "charge", "totals")
  .connect("validate_cart", "", "send_receipt", "cart")
  .connect("charge", "", "send_receipt", "charge")
  .connect("validate_cart", "", "record_order", "cart")
  .connect("charge", "", "record_order", "charge")
  .timeout("60 seconds")
  .build({ checkSyntax: Sandbox.syntaxMessage })

/** Sample params: the order (workflow-wide) and the price node's scoped tax rate. */
export const params: JsonObject = {
  order: {
    id: "ord_1001",
    email: "ada@example.com",
    currency: "EUR",
    items: [
      { sku: "MUG-01", quantity: 2, price: 12.5 },
      { sku: "TEE-M", quantity: 1, price: 24.0 }
    ]
  },
  price: { taxRate: 0.2 }
}

/** Params a run must have (checked before it starts). */
export const requiredParams: ReadonlyArray<string> = ["order"]
